import DiscreetCore
import Foundation

/// manifest.json: what a release was made from (by checksum), with which settings, what
/// its files are, and how many cells each table withholds. Like every file of a release it
/// is published, so it states nothing computed from true values: its counts of cells come
/// from the release's document (``ReleaseDocument``), and `discreet audit` checks each of
/// them against it. What depends on the data itself (people and rows read, rows
/// quarantined, the share of a true total withheld, the rules each cell failed) goes to the
/// terminal and to the private run record (``RunRecord``), never here.
public struct ReleaseManifest: Codable, Sendable, Equatable {
    public static let currentSchema = 2

    public var schemaVersion: Int
    public var discreet: Tool
    public var releaseID: String
    public var created: String
    public var spec: Source
    public var inputs: [Input]
    public var randomness: Randomness
    public var policy: ReleaseDocument.Policy
    public var tables: [TableSummary]
    public var indicators: [IndicatorSummary]
    public var files: [File]
    public var audit: AuditStatement
    /// For a release of a batch: which release it is, and the partners it was protected with.
    public var batch: Batch?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case discreet
        case releaseID = "release_id"
        case created, spec, inputs, randomness, policy, tables, indicators, files, audit, batch
    }

    /// A release of a batch (`discreet batch`): protected together with the batch's other
    /// releases.
    public struct Batch: Codable, Sendable, Equatable {
        /// `combined`, or the partner's key.
        public var release: String
        /// The partner whose release this is (nil for the combined dashboard).
        public var partner: String?
        /// Every partner whose extracts were read, and so protected together.
        public var partners: [String]
        /// Partners whose extracts could not be used: the combined dashboard leaves them out.
        public var missingPartners: [String]
        /// The id of the previous release of it the batch compared it with (nil: there was
        /// none); the comparison is in the batch's report (``BatchReport``), not here: its
        /// numbers follow from that release's figures, which this release's audit cannot read.
        public var previousRelease: String? = nil

        enum CodingKeys: String, CodingKey {
            case release, partner, partners
            case missingPartners = "missing_partners"
            case previousRelease = "previous_release"
        }
    }

    public struct Tool: Codable, Sendable, Equatable {
        public var version: String
    }

    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
    }

    /// An input by checksum (its size and number of rows would tell how many people a
    /// partner sent).
    public struct Input: Codable, Sendable, Equatable {
        public var path: String
        public var format: String
        public var table: String?
        public var partner: String?
        public var sha256: String
    }

    public struct Randomness: Codable, Sendable, Equatable {
        public var used: Bool
        public var source: String
        public var seed: String?
    }

    /// What a declared table withholds, counted from its published statuses.
    public struct TableSummary: Codable, Sendable, Equatable {
        public var name: String
        public var measure: String
        public var dimensions: [String]
        public var cells: Int
        public var published: Int
        public var withheld: Withheld
        public var rounded: Int?
        public var informationLoss: Loss

        enum CodingKeys: String, CodingKey {
            case name, measure, dimensions, cells, published, withheld, rounded
            case informationLoss = "information_loss"
        }

        public struct Loss: Codable, Sendable, Equatable {
            /// A share, to four decimal places.
            public var shareOfCellsWithheld: Decimal

            enum CodingKeys: String, CodingKey {
                case shareOfCellsWithheld = "share_of_cells_withheld"
            }
        }
    }

    /// Cells withheld by status; those withheld for a relation between cohorts (a figure of
    /// another cohort, or a group counted by subtraction) are among the secondary ones.
    public struct Withheld: Codable, Sendable, Equatable {
        public var primary: Int
        public var secondary: Int
        public var secondaryForRelatedCohorts: Int
        /// In a release with noise: figures withheld because their noisy value is below its
        /// threshold (absent otherwise).
        public var belowThreshold: Int?

        enum CodingKeys: String, CodingKey {
            case primary, secondary
            case secondaryForRelatedCohorts = "secondary_for_related_cohorts"
            case belowThreshold = "below_threshold"
        }
    }

    /// The statuses of withheld figures.
    static let withheldStatuses: Set<String> = ["primary", "secondary", "below_threshold"]

    public struct IndicatorSummary: Codable, Sendable, Equatable {
        public var name: String
        public var cells: Int
        public var numerator: FigureSummary
        public var denominator: FigureSummary
        public var percentages: Percentages

        public struct Percentages: Codable, Sendable, Equatable {
            public var published: Int
            public var withheld: Int
            public var notApplicable: Int

            enum CodingKeys: String, CodingKey {
                case published, withheld
                case notApplicable = "not_applicable"
            }
        }
    }

    /// The statuses of an indicator's numerators or denominators.
    public struct FigureSummary: Codable, Sendable, Equatable {
        public var published: Int
        public var rounded: Int
        public var withheld: Withheld
    }

    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int
    }

    public struct AuditStatement: Codable, Sendable, Equatable {
        public var passed: Bool
        public var checks: [String]
    }

    /// What the manifest states besides the release's document: how the run was made, and
    /// how many secondary cells of each table and indicator figure protect related cohorts
    /// (a count of cells, as the statuses are).
    public struct Run: Sendable {
        public var toolVersion: String
        public var releaseID: String
        public var spec: Source
        /// The inputs by checksum (not what was read from them).
        public var inputs: [Input]
        public var randomness: RandomnessSource
        public var randomnessUsed: Bool
        /// Per declared table (by name), and per indicator (by name) for its numerators and
        /// denominators: secondary cells withheld for related cohorts.
        public var relatedTables: [String: Int]
        public var relatedIndicators: [String: (numerator: Int, denominator: Int)]
        public var batch: Batch? = nil
    }

    /// The manifest of a document written with `files` (every other file of the release).
    public init(_ document: ReleaseDocument, run: Run, created: Date, files: [(path: String, bytes: [UInt8])]) {
        schemaVersion = Self.currentSchema
        discreet = Tool(version: run.toolVersion)
        releaseID = run.releaseID
        self.created = ISO8601DateFormatter().string(from: created)
        spec = run.spec
        inputs = run.inputs
        switch run.randomness {
        case .operatingSystem:
            randomness = Randomness(used: run.randomnessUsed, source: "operating system cryptographic generator", seed: nil)
        case .reproducible(let seed):
            randomness = Randomness(
                used: run.randomnessUsed,
                source: "reproducible generator (test option --reproducible-seed): predictable, not for publication"
                    + (document.noise != nil ? "; the noise protects nobody" : ""), seed: String(seed))
        }
        policy = document.policy!
        let counted = Self.summaries(document, related: run.relatedTables, relatedIndicators: run.relatedIndicators)
        tables = counted.tables
        indicators = counted.indicators
        self.files = files.map { File(path: $0.path, sha256: SHA256.hex($0.bytes), bytes: $0.bytes.count) }
        audit = AuditStatement(
            passed: true, checks: document.noise != nil ? NoisyReleaseAudit.checks : document.cellKey != nil ? NoisyReleaseAudit.perturbedChecks : ReleaseAudit.checks)
        batch = run.batch
    }

    /// The counts of cells the manifest states, from a release's document alone (and the
    /// numbers of secondary cells withheld for related cohorts, which the statuses do not
    /// show).
    public static func summaries(
        _ document: ReleaseDocument, related: [String: Int], relatedIndicators: [String: (numerator: Int, denominator: Int)]
    ) -> (tables: [TableSummary], indicators: [IndicatorSummary]) {
        func withheld(_ statuses: [String], related: Int) -> Withheld {
            Withheld(
                primary: statuses.filter { $0 == "primary" }.count, secondary: statuses.filter { $0 == "secondary" }.count, secondaryForRelatedCohorts: related,
                belowThreshold: document.noise?.suppressBelow == nil ? nil : statuses.filter { $0 == "below_threshold" }.count)
        }
        let tables = document.tables.map { table in
            let statuses = table.cells.map(\.status)
            let kept = statuses.filter { !withheldStatuses.contains($0) }.count
            let rounded = statuses.filter { $0 == "rounded" }.count
            let share = table.cells.isEmpty ? 0 : (10_000 * (table.cells.count - kept) + table.cells.count / 2) / table.cells.count
            return TableSummary(
                name: table.name, measure: table.measure ?? "count", dimensions: table.dimensions, cells: table.cells.count, published: kept,
                withheld: withheld(statuses, related: related[table.name] ?? 0), rounded: document.rounding == nil ? nil : rounded,
                informationLoss: .init(shareOfCellsWithheld: Decimal(units: Int64(share), places: 4)))
        }
        let indicators = document.indicators.map { indicator in
            func figures(_ part: [ReleaseDocument.Figure], related: Int) -> FigureSummary {
                let statuses = part.map(\.status)
                return FigureSummary(
                    published: statuses.filter { !withheldStatuses.contains($0) }.count, rounded: statuses.filter { $0 == "rounded" }.count,
                    withheld: withheld(statuses, related: related))
            }
            let related = relatedIndicators[indicator.name] ?? (0, 0)
            let statuses = indicator.cells.map(\.percentStatus)
            return IndicatorSummary(
                name: indicator.name, cells: indicator.cells.count, numerator: figures(indicator.cells.map(\.numerator), related: related.numerator),
                denominator: figures(indicator.cells.map(\.denominator), related: related.denominator),
                percentages: .init(
                    published: statuses.filter { $0 == "published" }.count, withheld: statuses.filter { $0 == "withheld" }.count,
                    notApplicable: statuses.filter { $0 == "not_applicable" }.count))
        }
        return (tables, indicators)
    }

    static func render(_ document: ReleaseDocument, run: Run, created: Date, files: [(path: String, bytes: [UInt8])]) -> [UInt8] {
        ReleaseDocument.encode(ReleaseManifest(document, run: run, created: created, files: files))
    }
}

extension ReleaseManifest.Run {
    /// What a noisy release's manifest states in place of an input's checksum.
    public static let checksumInLedger = "recorded in the privacy-budget ledger (a checksum of the data is not differentially private)"

    /// How a protected release was made, and its counts of cells withheld for related cohorts.
    public init(_ release: ProtectedRelease) {
        func related(_ t: Int) -> Int {
            release.crossCohort[t].enumerated().filter { $1 && release.tables[t].statuses[$0].disposition == .secondary }.count
        }
        var tables: [String: Int] = [:]
        for (t, planned) in release.plan.tables.enumerated() where planned.declared { tables[planned.name] = related(t) }
        var indicators: [String: (numerator: Int, denominator: Int)] = [:]
        for (i, indicator) in release.plan.indicators.enumerated() {
            indicators[indicator.spec.name] = (related(release.indicators[i].numerator), related(release.indicators[i].denominator))
        }
        let identity = release.identity
        self.init(
            toolVersion: identity.toolVersion, releaseID: release.releaseID, spec: ReleaseManifest.Source(path: identity.specPath, sha256: identity.specSHA256),
            inputs: identity.inputs.map { report in
                // A checksum of the data is a function of every record, not differentially
                // private: a noisy release leaves it to the ledger, which is not published.
                ReleaseManifest.Input(
                    path: report.input.path, format: report.input.format.rawValue, table: report.input.table, partner: report.input.partner,
                    sha256: release.noise == nil ? report.sha256 : Self.checksumInLedger)
            },
            randomness: release.randomness, randomnessUsed: release.randomnessUsed, relatedTables: tables, relatedIndicators: indicators)
    }
}
