import Foundation
import Testing

/// The transitions spec with another protection section, written to a temporary directory
/// with its relative paths made absolute.
func transitionsSpec(protection: String, in dir: String) throws -> String {
    let fixture = root + "/fixtures/transitions"
    var text = try String(contentsOfFile: fixture + "/spec.yaml", encoding: .utf8)
    text = text.replacingOccurrences(of: "path: extracts/", with: "path: \(fixture)/extracts/")
    text = text.replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: \(fixture)/wards.csv")
    text = String(text[..<text.range(of: "\nprotection:")!.lowerBound]) + "\n" + protection + "\n"
    let path = dir + "/spec.yaml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func json(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
}

@Suite(.serialized) struct RoundingCommandTests {
    /// Random rounding draws from the operating system unless the test option asks for a
    /// seed; the manifest says which, and a seeded run repeats exactly.
    @Test func randomRoundingNamesItsRandomness() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try transitionsSpec(protection: """
            protection:
              primary: {frequency: {threshold: 5, comparator: "<"}, zeros: publish}
              rounding: {method: random, base: 5}
            """, in: dir)
        let a = try discreet("protect", "--spec", spec, "--out", dir + "/a", "--reproducible-seed", "7")
        #expect(a.status == 0, "\(a.err)")
        #expect(a.out.contains("rounded "))
        #expect(a.out.contains("warning: random rounding drew from the reproducible generator (seed 7): not for publication"))
        let b = try discreet("protect", "--spec", spec, "--out", dir + "/b", "--reproducible-seed", "7")
        #expect(b.status == 0)
        for file in ["tables/transition_by_area_age.csv", "indicators.csv"] {
            #expect(FileManager.default.contents(atPath: dir + "/a/" + file) == FileManager.default.contents(atPath: dir + "/b/" + file))
        }
        let seeded = try json(dir + "/a/manifest.json")["randomness"] as! [String: Any]
        #expect(seeded["used"] as? Bool == true)
        #expect((seeded["source"] as? String)?.contains("not for publication") == true)
        #expect(seeded["seed"] as? String == "7")

        let os = try discreet("protect", "--spec", spec, "--out", dir + "/c")
        #expect(os.status == 0, "\(os.err)")
        #expect(!os.out.contains("warning"))
        let system = try json(dir + "/c/manifest.json")["randomness"] as! [String: Any]
        #expect(system["source"] as? String == "operating system cryptographic generator")
        #expect(system["seed"] == nil)
        // The written release passes the audit, which knows only the stated intervals.
        let audit = try discreet("audit", dir + "/c")
        #expect(audit.status == 0, "\(audit.err)")
    }

    /// Controlled rounding: the indicators' one-way tables add up, and so do the linked
    /// tables of the transition cohort (four dimensions behind them), found by the search.
    @Test func controlledRoundingAddsUpOrSaysWhyNot() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try transitionsSpec(protection: """
            protection:
              primary: {frequency: {threshold: 5, comparator: "<"}, zeros: publish}
              rounding: {method: controlled, base: 5}
            """, in: dir)
        let run = try discreet("protect", "--spec", spec, "--out", dir + "/r")
        #expect(run.status == 0, "\(run.err)")
        #expect(!run.out.contains("rounded conventionally instead"), "\(run.out)")
        let byAge = try String(contentsOfFile: dir + "/r/tables/transition_by_area_age.csv", encoding: .utf8)
        var rows: [String: [String: Int]] = [:]
        for line in byAge.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rows[f[0], default: [:]][f[1]] = Int(f[2])
        }
        for (area, ages) in rows {
            if let all = ages["14-25"], let young = ages["14-17"], let old = ages["18-25"] { #expect(all == young + old, "\(area)") }
        }
        let release = try json(dir + "/r/release.json")
        let wards = (release["dimensions"] as! [[String: Any]]).first { $0["name"] as? String == "area" }!["categories"] as! [[String: Any]]
        let parent = Dictionary(uniqueKeysWithValues: wards.map { ($0["code"] as! String, $0["parent"] as? String) })
        let indicator = (release["indicators"] as! [[String: Any]]).first { $0["name"] as? String == "living_in_community" }!
        var sums: [String: Int] = [:]
        var totals: [String: Int] = [:]
        var complete: [String: Bool] = [:]
        for cell in indicator["cells"] as! [[String: Any]] {
            let code = cell["area"] as! String
            let value = cell["numerator"] as? Int
            if let value { totals[code] = value }
            if let p = parent[code], let p {
                if let value { sums[p, default: 0] += value } else { complete[p] = false }
            }
        }
        var checked = 0
        for (group, sum) in sums where complete[group] != false {
            guard let total = totals[group] else { continue }
            #expect(total == sum, "\(group)")
            checked += 1
        }
        #expect(checked > 0)
        let audit = try discreet("audit", dir + "/r")
        #expect(audit.status == 0, "\(audit.err)")
    }

    /// Sums of magnitude tables round to their own base, in the column's units, and state
    /// their ranges; contributor counts stay exact; the audit passes with the data.
    @Test func sumsRoundToTheirOwnBase() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try transitionsSpec(protection: """
            protection:
              preset: nhs
              primary:
                dominance: {n: 2, k: 85, comparator: ">"}
              rounding: {sums: 1000}
            """, in: dir)
        let run = try discreet("protect", "--spec", spec, "--out", dir + "/r")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("conventional rounding of counts to base 5, sums to 1000"))
        let costs = try String(contentsOfFile: dir + "/r/tables/care_cost_by_area_age.csv", encoding: .utf8)
        var rounded = 0
        for line in costs.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f[4] == "rounded" else { continue }
            #expect(f[2].hasSuffix("000.00"), "\(f[2])")
            #expect(Int(f[5]) != nil)
            rounded += 1
        }
        #expect(rounded > 10)
        let audit = try discreet("audit", dir + "/r", "--spec", spec)
        #expect(audit.status == 0, "\(audit.err)")
        // A base finer than the column holds is an error.
        let bad = try transitionsSpec(protection: """
            protection:
              preset: nhs
              rounding: {sums: 0.005}
            """, in: dir)
        let refused = try discreet("validate", bad, "--no-data")
        #expect(refused.status == 2)
        #expect(refused.err.contains("rounding: sums must be a whole number of at least two of the smallest units of column 'care_cost' (0.01)"))
    }

    @Test func validateExplainsAPreset() throws {
        let run = try discreet("validate", root + "/fixtures/transitions/preset-nhs.yaml", "--explain", "--no-data")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("# preset 'nhs', with the spec's own settings laid over it"))
        #expect(run.out.contains("  rounding: {method: conventional, base: 5, margins: rounded}"))
        #expect(run.out.contains("  percentages: {decimals: 1, whole_below: 4000}"))
    }
}
