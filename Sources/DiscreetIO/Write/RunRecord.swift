import DiscreetCore
import Foundation

/// The private record of a run, for the officer who made the release: what was read and
/// what the data looked like, figures computed from the true values that no file of the
/// release states (they could give away withheld or rounded figures). Written only where
/// `protect --record FILE` asks, readable by its owner only, and never inside the release.
public struct RunRecord: Codable, Sendable {
    public static let currentSchema = 1

    public var schemaVersion: Int
    public var about: String
    public var releaseID: String
    public var created: String
    /// Distinct people contributing to at least one table.
    public var people: Int
    public var inputs: [Input]
    public var quarantine: Quarantine
    public var tables: [Table]
    /// Groups counted by subtracting published figures that the rules call sensitive.
    public var sensitiveGroups: Int

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case about
        case releaseID = "release_id"
        case created, people, inputs, quarantine, tables
        case sensitiveGroups = "sensitive_groups"
    }

    public struct Input: Codable, Sendable {
        public var path: String
        public var partner: String?
        public var bytes: Int
        public var rows: Int
        public var rowsQuarantined: Int

        enum CodingKeys: String, CodingKey {
            case path, partner, bytes, rows
            case rowsQuarantined = "rows_quarantined"
        }
    }

    public struct Quarantine: Codable, Sendable {
        public var rows: Int
        public var reasons: [Reason]
        public var conflicts: [Conflict]
    }

    /// Bad rows of one kind, in one column: how many, and where the first ones are.
    public struct Reason: Codable, Sendable {
        public var reason: String
        public var column: String?
        public var subject: String?
        public var message: String
        public var rows: Int
        public var first: [String]
    }

    /// People left out of tables because their rows fall in different cells.
    public struct Conflict: Codable, Sendable {
        public var table: String
        public var peopleLeftOut: Int
        public var first: [String]

        enum CodingKeys: String, CodingKey {
            case table, first
            case peopleLeftOut = "people_left_out"
        }
    }

    public struct Table: Codable, Sendable {
        public var name: String
        /// The share of the table's true grand total in its withheld inner cells, to four places.
        public var shareOfTotalWithheld: Decimal
        /// The true sum of its withheld inner cells (people, in a count table).
        public var valueWithheld: Decimal
        /// Withheld cells by level: inner cells first, the grand total last
        /// (``ProtectedTable/withheldByLevel``).
        public var withheldByLevel: [Int]
        /// Cells failing each primary rule.
        public var cellsFailingRule: [String: Int]

        enum CodingKeys: String, CodingKey {
            case name
            case shareOfTotalWithheld = "share_of_total_withheld"
            case valueWithheld = "value_withheld"
            case withheldByLevel = "withheld_by_level"
            case cellsFailingRule = "cells_failing_rule"
        }
    }

    public init(_ release: ProtectedRelease, created: Date) {
        schemaVersion = Self.currentSchema
        about = "private: figures computed from the true data, for the officer who made the release; not part of it, not for publication"
        releaseID = release.releaseID
        self.created = ISO8601DateFormatter().string(from: created)
        let ingest = release.ingest
        people = ingest.people
        inputs = ingest.inputs.map { Input(path: $0.input.path, partner: $0.input.partner, bytes: $0.bytes, rows: $0.rows, rowsQuarantined: $0.quarantined) }
        quarantine = Quarantine(
            rows: ingest.quarantine.reduce(0) { $0 + $1.count },
            reasons: ingest.quarantine.map {
                Reason(reason: $0.reason.rawValue, column: $0.column, subject: $0.subject, message: $0.message, rows: $0.count, first: $0.first)
            },
            conflicts: ingest.conflicts.map { Conflict(table: $0.table, peopleLeftOut: $0.people, first: $0.first) })
        tables = release.plan.tables.enumerated().filter { $0.element.declared }.map { t, planned in
            let table = release.tables[t]
            let share = Int64((table.informationLoss.total * 10_000).rounded())
            return Table(
                name: planned.name, shareOfTotalWithheld: Decimal(units: share, places: 4),
                valueWithheld: Decimal(units: table.valueWithheld, places: table.data.measure.places),
                withheldByLevel: table.withheldByLevel,
                cellsFailingRule: Dictionary(uniqueKeysWithValues: table.ruleCounts.map { ($0.name, $0.cells) }))
        }
        sensitiveGroups = release.sensitiveGroups
    }

    /// Writes the record to `path`, readable by its owner only. Refuses a path inside the
    /// release directory `release`: everything there is published.
    public func write(to path: String, release: String) throws(ReleaseDirectory.Failure) {
        try Self.check(path, release: release)
        try ReleaseDirectory.writeFile(path, ReleaseDocument.encode(self), mode: 0o600)
    }

    /// Fails when `path` lies inside the release directory `release`.
    public static func check(_ path: String, release: String) throws(ReleaseDirectory.Failure) {
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        let directory = URL(fileURLWithPath: release).standardizedFileURL.path
        guard target != directory && !target.hasPrefix(directory + "/") else {
            throw .io("\(path): the run record is private and may not go inside the release directory \(release)")
        }
    }
}
