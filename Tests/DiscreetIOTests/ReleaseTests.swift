import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

@Suite struct ReleaseDirectoryTests {
    struct Injected: Error {}

    func leftovers(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
    }

    @Test func writesEveryFileThenRenames() throws {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        try ReleaseDirectory(path: out, overwrite: false).write([("a.csv", Array("x\n".utf8)), ("tables/t.csv", Array("y\n".utf8))])
        #expect(try String(contentsOfFile: out + "/tables/t.csv", encoding: .utf8) == "y\n")
        #expect(try leftovers(dir).isEmpty)
        #expect(throws: ReleaseDirectory.Failure.self) { try ReleaseDirectory(path: out, overwrite: false).write([]) }
    }

    @Test(arguments: ["a.csv", "tables/t.csv", "manifest.json"])
    func aFailureMidWriteLeavesNoRelease(failAt: String) throws {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        var writer = ReleaseDirectory(path: out, overwrite: false)
        writer.beforeEachFile = { if $0 == failAt { throw Injected() } }
        #expect(throws: ReleaseDirectory.Failure.self) {
            try writer.write([("a.csv", [1]), ("tables/t.csv", [2]), ("manifest.json", [3])])
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try leftovers(dir).isEmpty)
    }

    @Test func aFailedOverwriteKeepsThePreviousRelease() throws {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        try ReleaseDirectory(path: out, overwrite: false).write([("a.csv", Array("old".utf8))])
        var writer = ReleaseDirectory(path: out, overwrite: true)
        writer.beforeEachFile = { if $0 == "b.csv" { throw Injected() } }
        #expect(throws: ReleaseDirectory.Failure.self) { try writer.write([("a.csv", Array("new".utf8)), ("b.csv", [])]) }
        #expect(try String(contentsOfFile: out + "/a.csv", encoding: .utf8) == "old")
        #expect(try leftovers(dir).isEmpty)
        try ReleaseDirectory(path: out, overwrite: true).write([("a.csv", Array("new".utf8))])
        #expect(try String(contentsOfFile: out + "/a.csv", encoding: .utf8) == "new")
        #expect(try leftovers(dir).isEmpty)
    }
}

/// A spec whose tables have no sensitive cell, so that primary rules alone pass the audit.
let safeSpec = """
    columns:
      id: identifier
      sex: {type: category, values: [F, M]}
      outcome: category
    privacy_unit: id
    dimensions:
      sex:
        column: sex
        total: All
        categories: [F, M]
    tables:
      people:
        by: [sex]
    indicators:
      neet:
        numerator: outcome == "NEET"
        denominator: sex is not missing
        by: sex
    protection:
      primary:
        frequency: {threshold: 3, comparator: "<"}
        zeros: publish
    """

@Suite struct PipelineTests {
    func data(_ f: Int, _ m: Int, neetF: Int, neetM: Int) -> String {
        var rows = "id,sex,outcome\n"
        for i in 0..<f { rows += "f\(i),F,\(i < neetF ? "NEET" : "EET")\n" }
        for i in 0..<m { rows += "m\(i),M,\(i < neetM ? "NEET" : "EET")\n" }
        return rows
    }

    @Test func writesTheReleaseFiles() throws {
        let f = try Fixture(spec: safeSpec, data: data(10, 12, neetF: 3, neetM: 4))
        let out = f.dir.path + "/out"
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let release = try ReleasePipeline.protect(
            plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false), created: created)
        #expect(release.findings.isEmpty)
        let table = try String(contentsOfFile: out + "/tables/people.csv", encoding: .utf8)
        #expect(table == "sex,value,display,status\nAll,22,22,published\nF,10,10,published\nM,12,12,published\n")
        let indicators = try String(contentsOfFile: out + "/indicators.csv", encoding: .utf8)
        #expect(indicators == """
            indicator,group,sex,numerator,numerator_display,numerator_status,denominator,denominator_display,denominator_status,percent,percent_display,percent_status
            neet,,All,7,7,published,22,22,published,31.8,31.8,published
            neet,,F,3,3,published,10,10,published,30.0,30.0,published
            neet,,M,4,4,published,12,12,published,33.3,33.3,published

            """)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/release.json"))) as! [String: Any]
        let tables = json["tables"] as! [[String: Any]]
        #expect(tables.map { $0["name"] as! String } == ["people"])
        let cells = tables[0]["cells"] as! [[String: Any]]
        #expect(cells[1]["sex"] as? String == "F")
        #expect(cells[1]["value"] as? Int == 10)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        #expect((manifest["discreet"] as! [String: Any])["version"] as? String == DiscreetVersion.current)
        #expect(manifest["created"] as? String == "2027-01-15T08:00:00Z")
        #expect((manifest["spec"] as! [String: Any])["sha256"] as? String == SHA256.hex(Array(safeSpec.utf8)))
        let inputs = manifest["inputs"] as! [[String: Any]]
        #expect(inputs[0]["sha256"] as? String == release.ingest.inputs[0].sha256)
        // Nothing computed from the true data: the rows and bytes read, the people, the
        // share of a true total withheld go to the private run record only.
        #expect(inputs[0]["rows"] == nil && inputs[0]["bytes"] == nil && manifest["people"] == nil && manifest["quarantine"] == nil)
        let loss = (manifest["tables"] as! [[String: Any]])[0]["information_loss"] as! [String: Any]
        #expect(Set(loss.keys) == ["share_of_cells_withheld"])
        let record = RunRecord(release, created: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(record.inputs[0].rows == 22 && record.people == release.ingest.people)
        #expect((manifest["audit"] as! [String: Any])["passed"] as? Bool == true)
        #expect((manifest["randomness"] as! [String: Any])["used"] as? Bool == false)
        let policy = manifest["policy"] as! [String: Any]
        let frequency = (policy["primary"] as! [String: Any])["frequency"] as! [String: Any]
        #expect(frequency["threshold"] as? Int == 3)
        #expect(frequency["comparator"] as? String == "<")
    }

    @Test func withheldFiguresAndTheirPercentagesAreNeverWritten() throws {
        // Two men: M is primary, and F must be withheld too or the total gives M away (the
        // total adds up more published figures than F, so it stays). The indicator's
        // cohorts lie within the table's (everyone has a sex), so the same cells are
        // withheld in all three, and the one man in NEET is not told by subtraction.
        let f = try Fixture(spec: safeSpec, data: data(10, 2, neetF: 3, neetM: 1))
        let out = f.dir.path + "/out"
        let release = try ReleasePipeline.protect(
            plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        let table = try String(contentsOfFile: out + "/tables/people.csv", encoding: .utf8)
        #expect(table == "sex,value,display,status\nAll,12,12,published\nF,,[c],secondary\nM,,[c],primary\n")
        let indicators = try String(contentsOfFile: out + "/indicators.csv", encoding: .utf8)
        #expect(indicators == """
            indicator,group,sex,numerator,numerator_display,numerator_status,denominator,denominator_display,denominator_status,percent,percent_display,percent_status
            neet,,All,4,4,published,12,12,published,33.3,33.3,published
            neet,,F,,[c],secondary,,[c],secondary,,[c],withheld
            neet,,M,,[c],primary,,[c],primary,,[c],withheld

            """)
        // The private run record counts what was lost: two inner cells (10 + 2 people), no margin.
        let people = RunRecord(release, created: Date(timeIntervalSince1970: 1_800_000_000)).tables.first { $0.name == "people" }!
        #expect(people.withheldByLevel == [2, 0])
        #expect(people.valueWithheld == 12)
        let neet = release.indicators[0]
        let m = release.tables[neet.numerator].shape.dimensions[0].node("M")!
        #expect(neet.percentages[m] == .withheld)
        // No withheld value appears anywhere in the release.
        for file in ["release.json", "tables/people.csv", "indicators.csv", "manifest.json"] {
            let text = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
            #expect(!text.contains("\"value\": 10") && !text.contains("\"value\": 2,") && !text.contains("\"numerator\": 3,"), "\(file)")
        }
    }

    @Test func aReleaseThatCannotBeProtectedIsRefusedAndNotWritten() throws {
        // Nobody is NEET: with zeros withheld, a zero whose whole table is zero cannot be hidden.
        let spec = safeSpec.replacingOccurrences(of: "zeros: publish", with: "zeros: withhold")
        let f = try Fixture(spec: spec, data: data(10, 12, neetF: 0, neetM: 0))
        let out = f.dir.path + "/out"
        #expect {
            try ReleasePipeline.protect(
                plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
                destination: ReleaseDirectory(path: out, overwrite: false))
        } throws: { error in
            guard case ReleaseError.refused(let findings) = error else { return false }
            return findings.contains { $0.kind == .unprotectable && $0.table == "table 'neet.numerator'" }
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func numeratorAboveDenominatorIsReportedNotPrinted() throws {
        let spec = safeSpec.replacingOccurrences(of: "denominator: sex is not missing", with: "denominator: outcome == \"EET\"")
        let f = try Fixture(spec: spec, data: data(10, 12, neetF: 8, neetM: 4))
        #expect {
            try ReleasePipeline.compute(plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop))
        } throws: { error in
            guard case ReleaseError.inconsistent(let lines) = error else { return false }
            return lines == [
                "indicator 'neet', cell (All): the numerator exceeds the denominator; is the numerator cohort within the denominator cohort?",
                "indicator 'neet', cell (F): the numerator exceeds the denominator; is the numerator cohort within the denominator cohort?",
            ]
        }
    }
}
