import CSQLite
import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// Inputs the fuzz targets (Fuzz/, `scripts/fuzz`) found to crash or misbehave, each kept as
/// a test once fixed.
/// A release of the safe spec (10 women, 12 men), audited after an edit of its release.json
/// such as a fuzzer makes; the fixture keeps its directory while the value lives.
struct EditableRelease {
    let fixture: Fixture
    let out: String
    let original: [String: Any]
    var path: String { out + "/release.json" }

    init() throws {
        fixture = try Fixture(spec: safeSpec, data: PipelineTests().data(10, 12, neetF: 3, neetM: 4))
        out = fixture.dir.path + "/out"
        _ = try ReleasePipeline.protect(
            plan: fixture.plan, inputs: [fixture.input], options: IngestOptions(onError: .stop, temporaryDirectory: fixture.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        original = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/release.json"))) as! [String: Any]
    }

    /// Writes the release.json `edit` makes of the original and audits the release.
    func audit(_ edit: (inout [String: Any]) -> Void) throws -> PublishedAudit {
        var json = original
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return try PublishedAudit.run(directory: out)
    }
}

@Suite struct FuzzRegressionTests {
    /// FuzzRelease: a release whose rule is "fewer than 1" (no count is small) crashed the
    /// audit, which built the range of small counts as 1...0.
    @Test func aThresholdOfOneCallsNoCountSmallAndAuditsCleanly() throws {
        let f = try Fixture(spec: safeSpec.replacingOccurrences(of: "threshold: 3", with: "threshold: 1"), data: PipelineTests().data(2, 1, neetF: 1, neetM: 0))
        let out = f.dir.path + "/out"
        let release = try ReleasePipeline.protect(
            plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        #expect(release.tables.allSatisfy { $0.statuses.allSatisfy { $0.disposition != .primary } })
        let audit = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings)")
        #expect(PublishedAudit.smallRange(audit.release) == nil)
    }

    /// FuzzRelease: a table whose cells are broken down by a dimension it does not list (its
    /// list edited) crashed the audit, which relates a table's figures through the listed
    /// dimensions only. Now the reader refuses it; and a cell one table withholds while
    /// another publishes it counts as published, and as a disagreement.
    @Test func tablesMustListTheDimensionsTheirCellsUse() throws {
        let release = try EditableRelease()
        let path = release.path
        func audit(_ edit: (inout [[String: Any]]) -> Void) throws -> PublishedAudit {
            try release.audit { json in
                var tables = json["tables"] as! [[String: Any]]
                edit(&tables)
                json["tables"] = tables
            }
        }
        #expect { _ = try audit { $0[0]["dimensions"] = [String]() } } throws: { error in
            (error as? ReleaseReadError)?.description == "\(path): table 'people': a cell is broken down by 'sex', which is not one of the dimensions it lists"
        }
        #expect { _ = try audit { $0[0]["dimensions"] = ["?sex"] } } throws: { error in
            (error as? ReleaseReadError)?.description == "\(path): table 'people' lists dimension '?sex', which its cohort does not have"
        }
        let split = try audit { tables in
            var copy = tables[0]
            copy["name"] = "people_again"
            var cells = copy["cells"] as! [[String: Any]]
            let female = cells.firstIndex { $0["sex"] as? String == "F" }!
            cells[female]["value"] = NSNull()
            cells[female]["status"] = "primary"
            copy["cells"] = cells
            tables.append(copy)
        }
        #expect(split.findings.contains("1 figure differs between tables that publish the same cell"), "\(split.findings)")
        let people = split.release.cohorts.first { $0.sources.contains("table 'people'") }!
        #expect(!people.quantities[0].quantity.withheld.contains(true))
    }

    /// FuzzRelease: an indicator stating 11 decimal places for its percentages, or a
    /// negative numerator, crashed the check of the stated percentages (the percentage
    /// arithmetic takes 0 to 6 places and figures of at least 0). Now each is a finding.
    @Test func impossiblePercentagesAreFindings() throws {
        let release = try EditableRelease()
        func audit(_ edit: (inout [String: Any]) -> Void) throws -> [String] {
            try release.audit { json in
                var indicators = json["indicators"] as! [[String: Any]]
                edit(&indicators[0])
                json["indicators"] = indicators
            }.findings
        }
        let places = try audit { $0["decimals"] = 11 }
        #expect(places.contains("release.json: indicator 'neet': its percentages have 11 decimal places, not 0 to 6"), "\(places)")
        let negative = try audit { indicator in
            var cells = indicator["cells"] as! [[String: Any]]
            let published = cells.firstIndex { $0["numerator_status"] as? String == "published" }!
            cells[published]["numerator"] = -3
            cells[published]["numerator_display"] = "-3"
            indicator["cells"] = cells
        }
        #expect(negative.contains { $0.contains("the percentage is not the one its published numerator and denominator give") }, "\(negative)")
    }

    /// FuzzSQLite: SQLite's detailed message for a damaged schema quotes the schema's text,
    /// which in a damaged file can be a record's bytes; errors now use SQLite's fixed words
    /// for the error code.
    @Test func aDamagedSQLiteSchemaIsReportedWithoutItsText() throws {
        let dir = TemporaryDirectory()
        let db = dir.path + "/damaged.sqlite"
        var handle: OpaquePointer?
        #expect(sqlite3_open(db, &handle) == SQLITE_OK)
        let sql = "CREATE TABLE t (id TEXT); PRAGMA writable_schema = ON; "
            + "UPDATE sqlite_schema SET name = 'SECRET-ID-17', sql = 'CREATE TABLE SECRET-ID-17 (' WHERE name = 't';"
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        #expect { _ = try SQLiteReader(path: db, table: nil) } throws: { error in
            let message = describe(error)
            return message.hasPrefix("cannot open the SQLite database \(db): ") && !message.contains("SECRET")
        }
    }
}
