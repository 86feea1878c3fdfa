import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The transitions fixture's spec, found from this file.
let transitionsSpec: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url.path + "/fixtures/transitions/spec.yaml"
        }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

@Suite struct PublishedAuditTests {
    /// Protects the fixture into a temporary directory.
    func fixtureRelease() throws -> (dir: TemporaryDirectory, out: String, release: ProtectedRelease) {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        let plan = try ReleasePipeline.plan(specPath: transitionsSpec)
        let release = try ReleasePipeline.protect(
            plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop, temporaryDirectory: dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        return (dir, out, release)
    }

    @Test func aReleaseFromProtectPassesAndKeepsEveryProtectionLevel() throws {
        let (dir, out, release) = try fixtureRelease()
        _ = dir
        let outside = try PublishedAudit.run(directory: out)
        #expect(outside.findings.isEmpty, "\(outside.findings.prefix(3))")
        // The linked tables come back as one cohort: area × age × sex × ethnicity.
        let transitions = outside.release.cohorts.first { $0.sources.contains("table 'transition_by_area_age'") }!
        #expect(transitions.sources.contains("table 'transition_by_area_ethnicity'"))
        #expect(transitions.shape.dimensions.count == 4)
        #expect(outside.reports.joined().contains { !$0.intervals.isEmpty })
        let inside = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(inside.findings.isEmpty, "\(inside.findings.prefix(3))")
        // Every sensitive cell (each once, though tables share some) and group counted by subtraction.
        let sensitive = release.tables.flatMap(\.statuses).filter { $0.disposition == .primary }.count
        #expect(inside.sensitiveChecked > release.sensitiveGroups && inside.sensitiveChecked <= sensitive + release.sensitiveGroups)
        #expect(release.sensitiveGroups > 0)
    }

    /// Publishing every secondary cell again (primary suppression alone) gives cells away:
    /// the audit sees it from the outside, and from the inside sees protection levels missed.
    @Test func primarySuppressionAloneFailsTheAudit() throws {
        let (dir, out, release) = try fixtureRelease()
        _ = dir
        let path = out + "/release.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var tables = json["tables"] as! [[String: Any]]
        var republished = 0
        for (i, table) in tables.enumerated() where table["measure"] as? String == "count" {
            let t = release.plan.tables.firstIndex { $0.name == table["name"] as? String }!
            let shape = release.tables[t].shape
            var cells = table["cells"] as! [[String: Any]]
            for (j, cell) in cells.enumerated() where cell["status"] as? String == "secondary" {
                let at = shape.cell(shape.dimensions.map { $0.node(cell[$0.name] as! String)! })
                cells[j]["value"] = Int(release.tables[t].data.values[at])
                cells[j]["status"] = "published"
                cells[j]["bounds"] = nil
                republished += 1
            }
            tables[i]["cells"] = cells
        }
        #expect(republished > 10)
        json["tables"] = tables
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))

        let outside = try PublishedAudit.run(directory: out)
        #expect(outside.findings.contains { $0.contains("release.json: changed since the release was written") })
        #expect(outside.findings.contains { $0.contains("withheld, but computable from published figures") })
        let inside = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(inside.findings.contains { $0.contains("stops short of the upper protection level") })
        // Findings name cells by their codes, never by a withheld value.
        for finding in inside.findings { #expect(!finding.contains("value")) }
    }

    @Test func aChangedFileAndAnUnreadableReleaseAreReported() throws {
        let (dir, out, _) = try fixtureRelease()
        _ = dir
        let csv = out + "/tables/transition_by_area_sex.csv"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: csv)))
        bytes[bytes.count - 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: csv))
        let audit = try PublishedAudit.run(directory: out)
        #expect(audit.findings == [
            "tables/transition_by_area_sex.csv: changed since the release was written (its checksum differs from the manifest's)",
            "tables/transition_by_area_sex.csv: differs from what release.json publishes",
        ])
        #expect(throws: ReleaseReadError.self) { try PublishedAudit.run(directory: dir.path + "/nowhere") }
    }

    /// Bounds the attacker knows narrow the intervals: declaring a withheld cell's true value
    /// as both bounds pins it down, and the audit says so; a bad bounds file names its line
    /// and column.
    @Test func declaredBoundsEnterTheAudit() throws {
        let (dir, out, release) = try fixtureRelease()
        let t = release.plan.tables.firstIndex { $0.name == "transition_by_area_ethnicity" }!
        let table = release.tables[t]
        let cell = (0..<table.shape.cellCount).first { table.statuses[$0].disposition == .secondary }!
        let codes = table.shape.codes(of: cell)
        let v = table.data.values[cell]
        let bounds = dir.file("bounds.csv", "table,area,ethnicity,lower,upper\ntransition_by_area_ethnicity,\(codes[0]),\(codes[1]),\(v),\(v)\n")
        let audit = try PublishedAudit.run(directory: out, boundsFile: bounds)
        let pinned = audit.findings.filter { $0.hasSuffix("withheld, but pinned down by published figures, non-negativity and the ranges the release states and the declared bounds") }
        #expect(pinned.contains { $0.contains("cell (\(codes[0]), ") && $0.contains(", \(codes[1])): withheld") }, "\(audit.findings)")
        let bad = dir.file("bad.csv", "table,area,lower,upper\ntransition_by_area_age,E05900001,,3\ntransition_by_area_age,nowhere,,3\n")
        #expect {
            try PublishedAudit.run(directory: out, boundsFile: bad)
        } throws: { error in
            (error as? ReleaseReadError)?.description == "\(bad):3:2: 'area' must be one of the dimension's category codes"
        }
        // The file's own shape: each problem at its line and field, saying what was expected.
        for (content, message) in [
            ("table,area,lower\n", "1:4: expected column 'upper' in the header (a bounds file needs 'table', 'lower' and 'upper'); it has 3 fields, none of them named so"),
            ("table,area,lower,upper\ntransition_by_area_age,E05900001,1\n", "2:4: expected 4 fields, as the header has, found 3"),
            ("table,area,lower,upper\ntransition_by_area_age,\"E05900001,1,3\n", "2:2: " + RowIssue(.unclosedQuote).message(columnName: nil)),
        ] {
            let file = dir.file("shape.csv", content)
            #expect {
                try PublishedAudit.run(directory: out, boundsFile: file)
            } throws: { error in
                (error as? ReleaseReadError)?.description == "\(file):\(message)"
            }
        }
    }
}
