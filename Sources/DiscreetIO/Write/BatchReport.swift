import Foundation

/// What a batch did, for the data officer and for schedulers: `batch-report.json` in the
/// batch's directory, written (atomically) at the end of each run that writes releases.
/// It is not part of any release: besides each release's withheld counts, it compares each
/// release made again with the previous release of it, and those numbers follow from the
/// previous release's figures, which a release's own audit cannot read.
public struct BatchReport: Codable, Sendable, Equatable {
    /// The report's file name in a batch's directory.
    public static let fileName = "batch-report.json"

    public var created: String
    public var spec: String
    public var releases: [Release]
    /// Partners whose extracts could not be used (nothing of theirs was written).
    public var failures: [Failure]
    /// Whether some release was not written.
    public var partial: Bool

    /// One release of the batch.
    public struct Release: Codable, Sendable, Equatable {
        /// `combined`, or the partner's key.
        public var release: String
        public var partner: String?
        public var path: String
        /// `written`, or `kept` (unchanged since an earlier run wrote it).
        public var status: String
        public var rows: Int
        public var quarantined: Int
        public var cells: Int
        public var cellsWithheld: Int
        public var percentages: Int
        public var percentagesWithheld: Int
        /// How it compares with the previous release of it (nil: kept, or the first).
        public var previous: PreviousRelease?

        enum CodingKeys: String, CodingKey {
            case release, partner, path, status, rows, quarantined, cells, percentages, previous
            case cellsWithheld = "cells_withheld"
            case percentagesWithheld = "percentages_withheld"
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var partner: String
        public var release: String
        /// What went wrong (file, line and column; never a record's values).
        public var error: String
    }

    /// A release of a batch compared with the previous release of it, as the batch's ledger
    /// records that one.
    public struct PreviousRelease: Codable, Sendable, Equatable {
        public var releaseID: String
        /// When it was made.
        public var recorded: String
        /// Cells it withheld (of tables of the same shape), and how many of them this one withholds again.
        public var withheldBefore = 0
        public var withheldAgain = 0
        /// Count tables compared (those of the same shape in both).
        public var comparedTables = 0
        /// Groups whose change since (this release minus that one) is told exactly and is small.
        public var changes: [SmallChange] = []

        public init(releaseID: String, recorded: String) {
            self.releaseID = releaseID
            self.recorded = recorded
        }

        enum CodingKeys: String, CodingKey {
            case releaseID = "release_id"
            case recorded
            case withheldBefore = "withheld_before"
            case withheldAgain = "withheld_again"
            case comparedTables = "compared_tables"
            case changes = "small_changes"
        }
    }

    /// A group whose count changed by a small amount between two releases, told exactly.
    public struct SmallChange: Codable, Sendable, Equatable {
        /// The table (as this release names it).
        public var table: String
        /// `figure`: one cell both releases publish; `withheld`: the cells of one relation
        /// either withholds, together.
        public var kind: String
        /// The cells, each as its category codes.
        public var cells: [[String]]
        /// This release's count less the previous one's.
        public var change: Int64
    }

    /// The report as the bytes of its file.
    public func encoded() -> [UInt8] {
        try! DocumentEncoder().encode(self)
    }
}
