import DiscreetTestSupport
import Foundation
import Testing

/// Two partners whose extracts share people (see BatchPlanTests in DiscreetIOTests).
func writeTwoPartnerBatch(in dir: String) throws {
    let spec = PartnerExtracts.spec([("a.csv", "Alpha Trust"), ("b.csv", "Beta Council")], title: "Two partners")
    let (a, b) = PartnerExtracts.twoPartners()
    try spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
    try a.write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
    try b.write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
}

@Suite(.serialized) struct BatchCommandTests {
    @Test func aBatchWritesTheCombinedReleaseAndEachPartnersEachAuditable() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTwoPartnerBatch(in: dir)
        let out = dir + "/releases"
        let run = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("read 2 inputs from 2 partners: 51 rows, 42 people"))
        #expect(run.out.contains("  combined (all partners): 51 rows; 1 table, withheld 2 of 4 cells; written to \(out)/combined"))
        #expect(run.out.contains("  alpha-trust (Alpha Trust): 29 rows; 1 table, withheld 0 of 4 cells; written to \(out)/alpha-trust"))
        #expect(run.out.contains("  beta-council (Beta Council): 22 rows; 1 table, withheld 2 of 4 cells; written to \(out)/beta-council"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["alpha-trust", "beta-council", "combined"])
        // Each partner's table has the spec's name; the combined total is published, and
        // the combined X (9, of which Alpha's 7) is withheld, so that 9 - 7 tells nothing.
        let combined = try String(contentsOfFile: out + "/combined/tables/people.csv", encoding: .utf8)
        #expect(combined.contains("ALL,42,42,published"))
        #expect(combined.contains("X,,[c],secondary"))
        let alpha = try String(contentsOfFile: out + "/alpha-trust/tables/people.csv", encoding: .utf8)
        #expect(alpha.contains("X,7,7,published"))
        let beta = try String(contentsOfFile: out + "/beta-council/tables/people.csv", encoding: .utf8)
        #expect(beta.contains("X,,[c],primary"))
        for release in ["combined", "alpha-trust", "beta-council"] {
            let audit = try discreet("audit", out + "/" + release)
            #expect(audit.status == 0, "\(release): \(audit.out)\(audit.err)")
        }
        // Run again: the releases exist, nothing is replaced without --overwrite.
        let again = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(again.status == 1)
        #expect(again.err.contains("exists"), "\(again.err)")
        #expect(try String(contentsOfFile: out + "/alpha-trust/tables/people.csv", encoding: .utf8) == alpha)
    }

    @Test func aBatchWithNoiseIsRefusedBeforeReadingAnything() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try discreet("batch", "--spec", root + "/fixtures/transitions/noise.yaml", "--out", dir + "/out")
        #expect(run.status == 2, "\(run.err)")
        #expect(run.err.contains("a batch protects by suppression and rounding"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// Five partners, each with its own people and some shared with the next partner;
    /// `corrupt` gets a row with a field too many on line 4.
    func writeFivePartnerBatch(in dir: String, corrupt: String?, extra: String = "") throws {
        let names = ["A", "B", "C", "D", "E"]
        let spec = PartnerExtracts.spec(names.map { ("\($0.lowercased()).csv", "Partner \($0)") }, extra: extra)
        try spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        for (k, n) in names.enumerated() {
            var rows = "id,area\n"
            for (a, area) in ["X", "Y", "Z"].enumerated() {
                for i in 0..<(8 + 2 * a + k) { rows += "\(n)\(area)\(i),\(area)\n" }
                // Two people also in the next partner's extract.
                let next = names[(k + 1) % names.count]
                for i in 0..<2 { rows += "\(next)\(area)\(i),\(area)\n" }
            }
            if n == corrupt {
                var lines = rows.split(separator: "\n").map(String.init)
                lines[3] += ",surplus"
                rows = lines.joined(separator: "\n") + "\n"
            }
            try rows.write(toFile: dir + "/\(n.lowercased()).csv", atomically: true, encoding: .utf8)
        }
    }

    @Test func oneCorruptExtractAmongFiveStopsOnlyItsPartner() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeFivePartnerBatch(in: dir, corrupt: "C")
        let out = dir + "/releases"
        let run = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(run.status == 5, "\(run.out)\(run.err)")
        #expect(run.err.contains("error: Partner C: \(dir)/c.csv:4:3: "), "\(run.err)")
        #expect(!run.err.contains("surplus"))
        #expect(run.err.contains("the combined dashboard is not released without Partner C"))
        #expect(run.out.contains("read 4 inputs from 4 partners"), "\(run.out)")
        #expect(run.out.contains("  partner-c (Partner C): not released: its extracts could not be used"))
        #expect(run.out.contains("the batch is partial"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["partner-a", "partner-b", "partner-d", "partner-e"])
        for release in ["partner-a", "partner-b", "partner-d", "partner-e"] {
            let audit = try discreet("audit", out + "/" + release)
            #expect(audit.status == 0, "\(release): \(audit.out)\(audit.err)")
            let manifest = try String(contentsOfFile: out + "/" + release + "/manifest.json", encoding: .utf8)
            #expect(manifest.contains("\"missing_partners\": [\n      \"Partner C\"\n    ]"), "\(manifest)")
        }
    }

    @Test func theSpecCanReleaseTheCombinedDashboardWithoutAMissingPartner() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeFivePartnerBatch(in: dir, corrupt: "E", extra: "batch:\n  combined_when_partners_missing: release\n")
        let out = dir + "/releases"
        let run = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(run.status == 5, "\(run.out)\(run.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["combined", "partner-a", "partner-b", "partner-c", "partner-d"])
        let manifest = try String(contentsOfFile: out + "/combined/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"release\": \"combined\""))
        #expect(manifest.contains("\"missing_partners\": [\n      \"Partner E\"\n    ]"), "\(manifest)")
        #expect(try discreet("audit", out + "/combined").status == 0)
        // Nothing wrong: every release, exit 0.
        let whole = dir + "/whole"
        try writeFivePartnerBatch(in: dir, corrupt: nil)
        let clean = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", whole)
        #expect(clean.status == 0, "\(clean.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: whole).count == 6)
    }
}

