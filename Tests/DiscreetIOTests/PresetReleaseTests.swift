import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The transitions fixture protected under each preset: the release matches its golden
/// copy in fixtures/golden (set DISCREET_UPDATE_GOLDEN=1 to rewrite them after a deliberate
/// change), shows the rulebook's symbols, rounding and percentages, and passes the audit
/// of the written release with the data (rounding and suppression combined).
@Suite struct PresetReleaseTests {
    static let root = (transitionsSpec as NSString).deletingLastPathComponent.replacingOccurrences(of: "/fixtures/transitions", with: "")

    struct Written {
        let dir: TemporaryDirectory
        let out: String
        let release: ProtectedRelease
        func table(_ name: String) throws -> [[String]] { try Self.rows(out + "/tables/\(name).csv") }
        func indicators() throws -> [[String]] { try Self.rows(out + "/indicators.csv") }
        static func rows(_ path: String) throws -> [[String]] {
            // Fields with a comma (the indicators' groups) are quoted: discreet's own reader.
            let reader = try CSVReader(path: path)
            defer { reader.close() }
            var rows = [reader.header]
            while try reader.next() { rows.append((0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) }) }
            return rows
        }
    }

    func protect(_ preset: String, randomness: RandomnessSource = .operatingSystem) throws -> Written {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        let plan = try ReleasePipeline.plan(specPath: Self.root + "/fixtures/transitions/preset-\(preset).yaml")
        let release = try ReleasePipeline.protect(
            plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop, temporaryDirectory: dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false), randomness: randomness)
        return Written(dir: dir, out: out, release: release)
    }

    /// The release's tables and indicators, byte for byte, against the golden copy.
    func compareGolden(_ preset: String, _ w: Written) throws {
        let golden = Self.root + "/fixtures/golden/\(preset)"
        let files = w.release.plan.tables.filter(\.declared).map { "tables/\($0.name).csv" } + ["indicators.csv"]
        for file in files {
            let made = try Data(contentsOf: URL(fileURLWithPath: w.out + "/" + file))
            let path = golden + "/" + file
            if ProcessInfo.processInfo.environment["DISCREET_UPDATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try made.write(to: URL(fileURLWithPath: path))
            }
            let expected = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(made == expected, "\(preset): \(file) differs from its golden copy")
        }
    }

    func auditWithTheData(_ w: Written) throws {
        let audit = try PublishedAudit.run(directory: w.out, truth: .init(plan: w.release.plan, ingest: w.release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings.prefix(3))")
        #expect(audit.sensitiveChecked > 100)
    }

    /// NHS: 1 to 7 withheld as `*`, every published count a multiple of 5 and marked
    /// rounded, zeros kept, whole-number percentages below a denominator of 4,000.
    @Test func nhs() throws {
        let w = try protect("nhs")
        try compareGolden("nhs", w)
        let rows = try w.table("transition_by_area_age")
        #expect(rows[0] == ["area", "age_band", "value", "display", "status"])
        for row in rows.dropFirst() {
            if row[4] == "rounded" {
                #expect(Int(row[2])! % 5 == 0 && row[3] == row[2])
            } else {
                #expect(["primary", "secondary"].contains(row[4]) && row[2].isEmpty && row[3] == "*")
            }
        }
        let indicators = try w.indicators()
        let percent = indicators[0].firstIndex(of: "percent")!
        let denominator = indicators[0].firstIndex(of: "denominator")!
        for row in indicators.dropFirst() where !row[percent].isEmpty {
            #expect(row[percent].contains(".") == (Int(row[denominator])! >= 4000))
        }
        #expect(indicators.contains { $0[percent + 1] == "-" })
        try auditWithTheData(w)
    }

    /// DfE: `c` for withheld cells, the city and its constituencies rounded to the nearest
    /// 10, wards exact, whole-number percentages.
    @Test func dfe() throws {
        let w = try protect("dfe")
        try compareGolden("dfe", w)
        let area = w.release.plan.spec.dimension(named: "area")!.dimension
        for row in try w.table("transition_by_area_sex").dropFirst() {
            let depth = area.depths[area.node(row[0])!]
            switch row[4] {
            case "rounded":
                #expect(depth <= 1 && Int(row[2])! % 10 == 0)
            case "published":
                #expect(depth == 2)
            default:
                #expect(row[3] == "c")
            }
        }
        let indicators = try w.indicators()
        let percent = indicators[0].firstIndex(of: "percent")!
        #expect(indicators.dropFirst().allSatisfy { !$0[percent].contains(".") })
        try auditWithTheData(w)
    }

    /// Ofqual: every published count a multiple of 5; counts of 1 to 4 shown as "fewer
    /// than 5" (and stated as 1 to 4 in release.json), and nobody can tell them exactly.
    @Test func ofqual() throws {
        let w = try protect("ofqual")
        try compareGolden("ofqual", w)
        var small = 0
        for row in try w.table("transition_by_area_ethnicity").dropFirst() {
            if row[4] == "rounded" { #expect(Int(row[2])! % 5 == 0) }
            if row[3] == "fewer than 5" {
                #expect(row[4] == "primary" && row[2].isEmpty)
                small += 1
            }
        }
        #expect(small > 10)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: w.out + "/release.json"))) as! [String: Any]
        let cells = (json["tables"] as! [[String: Any]]).flatMap { $0["cells"] as! [[String: Any]] }
        let stated = cells.filter { $0["display"] as? String == "fewer than 5" }.map { $0["bounds"] as? [Int] }
        #expect(!stated.isEmpty && stated.allSatisfy { $0 == [1, 4] })
        try auditWithTheData(w)
    }

    /// ONS SRS: threshold 10, dominance and p% on the care costs, nothing rounded.
    @Test func onsSRS() throws {
        let w = try protect("ons-srs")
        try compareGolden("ons-srs", w)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: w.out + "/manifest.json"))) as! [String: Any]
        let policy = manifest["policy"] as! [String: Any]
        #expect(policy["preset"] as? String == "ons-srs")
        #expect(policy["rounding"] == nil)
        for row in try w.table("transition_by_area_age").dropFirst() { #expect(row[4] != "rounded") }
        let costs = w.release.tables.first { $0.name == "care_cost_by_area_age" }!
        #expect(costs.statuses.contains { $0.failed.contains(.dominance) || $0.failed.contains(.pPercent) })
    }
}
