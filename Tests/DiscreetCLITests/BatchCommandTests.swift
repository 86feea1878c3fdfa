import DiscreetIO
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
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["alpha-trust", "batch-ledger.sqlite", "batch-report.json", "beta-council", "combined"])
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
        // Run again: nothing changed, nothing is done (see aRerunWithNothingChangedDoesNoWork).
        let again = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(again.status == 0, "\(again.err)")
        #expect(try String(contentsOfFile: out + "/alpha-trust/tables/people.csv", encoding: .utf8) == alpha)
    }

    /// The batch's ledger records what each release was made from: run again with the same
    /// spec and extracts, the batch reads nothing and writes nothing; after one partner's
    /// extract changes, that partner's release and the combined one are made again (with
    /// --overwrite), and the other partner's is kept, untouched.
    @Test func aRerunWithNothingChangedDoesNoWork() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTwoPartnerBatch(in: dir)
        let out = dir + "/releases"
        let first = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(first.status == 0, "\(first.err)")
        let keys = ["alpha-trust", "beta-council", "combined"]
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: out)) == Set(keys + ["batch-ledger.sqlite", "batch-report.json"]))
        func manifests() throws -> [Data] { try keys.map { try Data(contentsOf: URL(fileURLWithPath: out + "/\($0)/manifest.json")) } }
        func inodes() throws -> [Int] { try keys.map { (try FileManager.default.attributesOfItem(atPath: out + "/" + $0)[.systemFileNumber] as? Int) ?? -1 } }
        let before = try manifests()
        let directories = try inodes()
        // Each release recorded complete, naming the release its directory holds.
        let entries = try BatchLedger(path: out + "/batch-ledger.sqlite").entries()
        #expect(entries.map(\.release) == keys && entries.allSatisfy(\.complete))
        for (entry, manifest) in zip(entries, before) {
            let id = try #require(try JSONSerialization.jsonObject(with: manifest) as? [String: Any])["release_id"] as? String
            #expect(id == entry.releaseID)
        }

        let again = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("nothing changed since \(entries[0].recorded): the spec and every extract are as they were; 3 releases in \(out) are up to date"), "\(again.out)")
        #expect(!again.out.contains("read 2 inputs"))
        #expect(try manifests() == before && inodes() == directories)

        // One more person in B's extract: B's release and the combined one are made again,
        // protected around A's release as it was published, which is kept.
        let b = try String(contentsOfFile: dir + "/b.csv", encoding: .utf8)
        try (b + "p999,Z\n").write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
        let changed = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(changed.status == 1)
        #expect(changed.err.contains("exists"), "\(changed.err)")
        let replaced = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out, "--overwrite")
        #expect(replaced.status == 0, "\(replaced.err)")
        #expect(replaced.out.contains("read 2 inputs from 2 partners: 52 rows, 43 people"), "\(replaced.out)")
        #expect(replaced.out.contains("  alpha-trust (Alpha Trust): 29 rows; 1 table, withheld 0 of 4 cells; unchanged, kept in \(out)/alpha-trust"), "\(replaced.out)")
        #expect(replaced.out.contains("audit passed; 2 releases written to \(out), 1 kept"), "\(replaced.out)")
        let after = try manifests()
        #expect(after[0] == before[0] && after[1] != before[1] && after[2] != before[2])
        #expect(try inodes()[0] == directories[0])
        for release in keys {
            let audit = try discreet("audit", out + "/" + release)
            #expect(audit.status == 0, "\(release): \(audit.out)\(audit.err)")
        }
        let recorded = try BatchLedger(path: out + "/batch-ledger.sqlite").entries()
        #expect(recorded.allSatisfy { $0.complete })
        // The ledger names what each directory holds: A's release as before.
        var ids: [String?] = []
        for manifest in after { ids.append(try #require(try JSONSerialization.jsonObject(with: manifest) as? [String: Any])["release_id"] as? String) }
        #expect(recorded.map(\.releaseID) == ids && ids[0] == entries[0].releaseID)
        // The releases made again were compared with their previous releases: the report
        // says how, and their manifests name the release compared with.
        #expect(replaced.out.contains("    since its release of \(entries[1].recorded): withheld again"), "\(replaced.out)")
        let report = try JSONDecoder().decode(BatchReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/batch-report.json")))
        #expect(Set(report.releases.map(\.release)) == Set(keys) && !report.partial)
        for (k, release) in keys.enumerated() {
            let reported = try #require(report.releases.first { $0.release == release })
            let manifest = try #require(try JSONSerialization.jsonObject(with: after[k]) as? [String: Any])
            let named = (manifest["batch"] as? [String: Any])?["previous_release"] as? String
            if release == "alpha-trust" {
                #expect(reported.status == "kept" && reported.previous == nil)
            } else {
                #expect(reported.status == "written")
                #expect(reported.previous?.releaseID == entries[k].releaseID && named == entries[k].releaseID)
                #expect(reported.previous?.comparedTables == 1)
                #expect(try BatchLedger(path: out + "/batch-ledger.sqlite").historyCount(release) == 2)
            }
        }
        // One more person in B: its total grew by one, a change the report lists.
        let beta = try #require(report.releases.first { $0.release == "beta-council" }?.previous)
        #expect(beta.changes.contains { $0.kind == "figure" && $0.change == 1 && $0.cells == [["ALL"]] }, "\(beta.changes)")
        // And run once more: up to date again.
        #expect(try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out).out.contains("are up to date"))
    }

    /// With 'batch: small_changes: refuse', a release whose change since the last one
    /// isolates a small group is not written, nor any other: exit code 4, the releases as
    /// they were.
    @Test func smallChangesCanRefuseTheBatch() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTwoPartnerBatch(in: dir)
        let spec = try String(contentsOfFile: dir + "/spec.yaml", encoding: .utf8)
        try (spec + "\nbatch:\n  small_changes: refuse\n").write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let out = dir + "/releases"
        let first = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(first.status == 0, "\(first.err)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/beta-council/manifest.json"))
        let b = try String(contentsOfFile: dir + "/b.csv", encoding: .utf8)
        try (b + "p999,Z\n").write(toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
        let changed = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out, "--overwrite")
        #expect(changed.status == 4, "\(changed.out)\(changed.err)")
        #expect(changed.err.contains("release 'beta-council', table '") && changed.err.contains("changed by +1 since release"), "\(changed.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/beta-council/manifest.json")) == before)
    }

    /// A batch holds its ledger for the whole run: a second batch on the same --out is
    /// refused while the first runs (it would build on releases the first is replacing).
    @Test func aSecondBatchOnTheSameDirectoryIsRefusedWhileOneRuns() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTwoPartnerBatch(in: dir)
        let out = dir + "/releases"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let held = open(out + "/batch-ledger.sqlite", O_RDWR | O_CREAT, 0o644)
        #expect(held >= 0 && flock(held, LOCK_EX) == 0)
        let refused = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out)
        #expect(refused.status == 1)
        #expect(refused.err.contains("another discreet batch is writing to \(out)"), "\(refused.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["batch-ledger.sqlite"])
        close(held)
        #expect(try discreet("batch", "--spec", dir + "/spec.yaml", "--out", out).status == 0)
    }

    /// Progress on standard error: one JSON object per line for schedulers (rows read every
    /// 65,536 rows of a partner's extracts, each partner read, the joint protection, the
    /// audit alone, each release written), plain lines otherwise, nothing with --quiet.
    @Test func theBatchReportsItsProgress() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeTwoPartnerBatch(in: dir)
        // Alpha's extract: 70,000 rows more (people in Z).
        var a = try String(contentsOfFile: dir + "/a.csv", encoding: .utf8)
        for k in 0..<70_000 { a += "q\(k),Z\n" }
        try a.write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        // One extract at a time: the events in order.
        let run = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", dir + "/json", "--progress", "json", "--jobs", "1")
        #expect(run.status == 0, "\(run.err)")
        func described(_ err: String) throws -> [String] {
            try err.split(separator: "\n").map { line in
                let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(e["elapsed_seconds"] is Double)
                return [e["event"], e["partner"], e["release"], e["rows"]].compactMap { $0 }.map { "\($0)" }.joined(separator: " ")
            }
        }
        let inTurn = try described(run.err)
        #expect(inTurn == [
            "reading alpha-trust 65536", "read alpha-trust 70029", "read beta-council 22", "protecting", "auditing",
            "written combined", "written alpha-trust", "written beta-council",
        ])
        #expect(run.err.hasSuffix("\"path\":\"\(dir)/json/beta-council\",\"release\":\"beta-council\"}\n"), "\(run.err)")
        // Both extracts at once: the same events (the partners read in either order), and
        // the same releases.
        let atOnce = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", dir + "/jobs", "--progress", "json", "--jobs", "2")
        #expect(atOnce.status == 0, "\(atOnce.err)")
        let events = try described(atOnce.err)
        #expect(events.sorted() == inTurn.sorted() && Array(events.suffix(5)) == Array(inTurn.suffix(5)), "\(events)")
        for file in ["combined/tables/people.csv", "alpha-trust/tables/people.csv", "beta-council/tables/people.csv", "combined/release.json"] {
            #expect(FileManager.default.contents(atPath: dir + "/json/" + file) == FileManager.default.contents(atPath: dir + "/jobs/" + file), "\(file)")
        }
        // Not a terminal: lines.
        let lines = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", dir + "/lines")
        #expect(lines.status == 0)
        #expect(lines.err.contains("): alpha-trust: read, 70,029 rows\n"), "\(lines.err)")
        #expect(lines.err.contains("): beta-council: written to \(dir)/lines/beta-council\n"))
        #expect(lines.err.split(separator: "\n").allSatisfy { $0.hasPrefix("progress (") })
        let quiet = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", dir + "/quiet", "--quiet")
        #expect(quiet.status == 0 && quiet.err.isEmpty && quiet.out.isEmpty)
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
        // Its progress says so too, naming the partner only.
        #expect(run.err.contains("): partner-c: its extracts could not be used; the batch starts again without it\n"), "\(run.err)")
        #expect(run.out.contains("read 4 inputs from 4 partners"), "\(run.out)")
        #expect(run.out.contains("  partner-c (Partner C): not released: its extracts could not be used"))
        #expect(run.out.contains("the batch is partial"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["batch-ledger.sqlite", "batch-report.json", "partner-a", "partner-b", "partner-d", "partner-e"])
        // The report names the partner left out and where its extract went wrong, no values.
        let report = try JSONDecoder().decode(BatchReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/batch-report.json")))
        #expect(report.partial && report.failures.map(\.release) == ["partner-c"])
        #expect(report.failures.first?.error.hasPrefix("\(dir)/c.csv:4:3: ") == true, "\(report.failures)")
        #expect(report.releases.map(\.release) == ["partner-a", "partner-b", "partner-d", "partner-e"])
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
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["batch-ledger.sqlite", "batch-report.json", "combined", "partner-a", "partner-b", "partner-c", "partner-d"])
        let manifest = try String(contentsOfFile: out + "/combined/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"release\": \"combined\""))
        #expect(manifest.contains("\"missing_partners\": [\n      \"Partner E\"\n    ]"), "\(manifest)")
        #expect(try discreet("audit", out + "/combined").status == 0)
        // Nothing wrong: every release, exit 0.
        let whole = dir + "/whole"
        try writeFivePartnerBatch(in: dir, corrupt: nil)
        let clean = try discreet("batch", "--spec", dir + "/spec.yaml", "--out", whole)
        #expect(clean.status == 0, "\(clean.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: whole).count == 8)
    }
}


/// `discreet check`, as a submission script runs it: exit 0 safe, 1 not safe, 2 unreadable.
@Suite struct CheckCommandTests {
    static let spec = """
        discreet: 1
        inputs: [data.csv]
        columns:
          id: identifier
          ward: category
          sex: {type: category, values: [F, M]}
        privacy_unit: id
        dimensions:
          area:
            column: ward
            label: Area
            total: {code: CITY, label: The city}
            categories: {w1: Ashfield, w2: Blackwater}
          sex:
            column: sex
            label: Sex
            total: {code: all, label: All}
            categories: {F: Female, M: Male}
        tables:
          people:
            by: [area, sex]
        protection:
          primary:
            frequency: {threshold: 5, comparator: "<"}
        """

    @Test func checkGatesASubmission() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        try "Area,Female,Male,All\nAshfield,10,12,22\nBlackwater,9,8,17\n".write(toFile: dir + "/safe.csv", atomically: true, encoding: .utf8)
        try "Area,Female,Male,All\nAshfield,10,*,13\nBlackwater,2,8,10\n".write(toFile: dir + "/unsafe.csv", atomically: true, encoding: .utf8)
        try "Area,Female,Male,All\nNowhere,10,12,22\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let safe = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/safe.csv")
        #expect(safe.status == 0, "\(safe.out)\(safe.err)")
        #expect(safe.out == "\(dir)/safe.csv: table 'people' (wide layout), 6 cells, 0 withheld: safe\n")
        let unsafe = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/unsafe.csv")
        #expect(unsafe.status == 1)
        #expect(unsafe.out == """
            \(dir)/unsafe.csv: table 'people' (wide layout), 6 cells, 1 withheld: NOT SAFE, 2 problems
              line 3: Area Blackwater (w2), Sex Female (F): published as 2: the spec withholds counts fewer than 5
              line 2: Area Ashfield (w1), Sex Male (M): withheld, but it can be worked out exactly: 3, as the only withheld cell under (Area Ashfield (w1), Sex All (all))

            """, "\(unsafe.out)")
        let json = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/unsafe.csv", "--format", "json")
        #expect(json.status == 1)
        let tables = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        let findings = try #require(tables.first?["findings"] as? [[String: Any]])
        #expect(findings.map { $0["kind"] as? String } == ["small_published", "recoverable"])
        #expect((findings[1]["cell"] as? [String: String]) == ["area": "w1", "sex": "M"] && findings[1]["value"] as? Int == 3)
        let bad = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/bad.csv", dir + "/safe.csv")
        #expect(bad.status == 2)
        #expect(bad.err.contains("error: \(dir)/bad.csv:2:1: not a category of dimension 'area'") && !bad.err.contains("Nowhere"), "\(bad.err)")
        // The readable table is still checked.
        #expect(bad.out.contains("safe.csv: table 'people' (wide layout), 6 cells, 0 withheld: safe"))
    }

    /// `--fix` writes the table again in its layout, the small count and what protects it
    /// withheld, and the repaired table passes the check.
    @Test func aFixedTablePassesTheCheck() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        try "Area,Female,Male,All\nAshfield,2,12,14\nBlackwater,8,10,18\nThe city,10,22,32\n".write(toFile: dir + "/draft.csv", atomically: true, encoding: .utf8)
        let draft = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/draft.csv", "--fix", dir + "/fixed.csv")
        #expect(draft.status == 1)
        #expect(draft.out.contains("  wrote \(dir)/fixed.csv: 4 more cells withheld: (w1, F) (w1, M) (w2, F) (w2, M)"), "\(draft.out)")
        #expect(try String(contentsOfFile: dir + "/fixed.csv", encoding: .utf8) == "Area,Female,Male,All\nAshfield,*,*,14\nBlackwater,*,*,18\nThe city,10,22,32\n")
        let fixed = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/fixed.csv")
        #expect(fixed.status == 0, "\(fixed.out)")
        #expect(try discreet("check", "--spec", dir + "/spec.yaml", dir + "/draft.csv", dir + "/fixed.csv", "--fix", dir + "/x.csv").status == 64)
        // `discreet protect` on the people behind the draft withholds as many.
        var data = "id,ward,sex\n"
        for (ward, sex, n) in [("w1", "F", 2), ("w1", "M", 12), ("w2", "F", 8), ("w2", "M", 10)] {
            for k in 0..<n { data += "\(ward)\(sex)\(k),\(ward),\(sex)\n" }
        }
        try data.write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let protect = try discreet("protect", "--spec", dir + "/spec.yaml", "--out", dir + "/release")
        #expect(protect.status == 0, "\(protect.err)")
        let cells = try String(contentsOfFile: dir + "/release/tables/people.csv", encoding: .utf8)
        let withheld = cells.split(separator: "\n").filter { $0.contains("primary") || $0.contains("secondary") }.count
        #expect(withheld == 4, "\(cells)")
    }

    /// A partner's table safe alone, and not next to the combined dashboard already
    /// published: Ashfield's women, 7 in the partner's table and 9 in the dashboard, leave
    /// 2 known to the other partners alone.
    @Test func aTableSafeAloneCanBeUnsafeNextToTheCombinedRelease() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        var data = "id,ward,sex\n"
        for (ward, sex, n) in [("w1", "F", 9), ("w1", "M", 12), ("w2", "F", 8), ("w2", "M", 10)] {
            for k in 0..<n { data += "\(ward)\(sex)\(k),\(ward),\(sex)\n" }
        }
        try data.write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let protect = try discreet("protect", "--spec", dir + "/spec.yaml", "--out", dir + "/combined")
        #expect(protect.status == 0, "\(protect.err)")
        try "Area,Female,Male,All\nAshfield,7,12,19\nBlackwater,8,10,18\n".write(toFile: dir + "/partner.csv", atomically: true, encoding: .utf8)
        let alone = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/partner.csv")
        #expect(alone.status == 0, "\(alone.out)")
        let together = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/partner.csv", "--against", dir + "/combined")
        #expect(together.status == 1)
        #expect(together.out.contains(
            "  line 2: Area Ashfield (w1), Sex Female (F): the release's figure less this table's counts 2 people: a small group others know (next to the release in \(dir)/combined)"),
            "\(together.out)")
        // And where it adds up: Ashfield's total (21 less 19), and the city's women and
        // total, which the release publishes (the table's rows add up to them); the other
        // cells' others are nobody.
        #expect(together.out.contains("NOT SAFE, 4 problems"), "\(together.out)")
        #expect(together.out.contains("  Area The city (CITY), Sex Female (F): the release's figure less this table's counts 2 people"), "\(together.out)")
        // A release without the table is named.
        let elsewhere = try discreet("check", "--spec", dir + "/spec.yaml", dir + "/partner.csv", "--against", dir)
        #expect(elsewhere.status == 2 && elsewhere.err.contains("\(dir)/release.json:1: not a release discreet can read"), "\(elsewhere.err)")
    }
}
