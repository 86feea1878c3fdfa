import DiscreetCore
import Foundation

/// A place in a file: 1-based line and column (column 0 when unknown).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)" }
}

/// Where a one-line text (a filter) starts in a file, so that a character of it can be located.
public struct TextLocation: Sendable, Hashable {
    public var start: SourceLocation
    /// Columns between the scalar's mark and its first character (1 for a quoted scalar);
    /// nil when the text spans lines and only its start is known.
    public var offset: Int?

    /// The location of the text's character at a 1-based position.
    public func at(_ position: Int) -> SourceLocation {
        guard let offset, start.column > 0 else { return start }
        var l = start
        l.column += offset + position - 1
        return l
    }
}

/// A problem in a release spec (or a file it names), with where it is.
public struct SpecProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// Every problem found in a release spec.
public struct SpecProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [SpecProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// What to do with a row that cannot be used.
public enum ErrorPolicy: String, Sendable, Hashable, CaseIterable {
    /// Stop at the first bad row: nothing is released.
    case stop
    /// Leave bad rows out, counting them per reason in the manifest.
    case quarantine
}

/// The release spec: one YAML file a data officer writes and reviews, declaring the
/// inputs, the columns, the dimensions, the cohorts, the tables and indicators, the
/// protection policy and the outputs. See README.md for the reference.
public struct ReleaseSpec: Sendable {
    /// The spec file.
    public var path: String
    /// The directory relative paths in the spec are resolved against.
    public var directory: String
    /// The raw bytes of the spec file (for its checksum).
    public var bytes: [UInt8]
    public var title: String?
    public var inputs: [InputSpec]
    public var columns: [Column]
    /// Per column: the declared values of a category column (empty when open).
    public var declaredValues: [[String]]
    /// The index in `columns` of the privacy unit.
    public var privacyUnit: Int
    public var conflicts: ConflictPolicy
    public var onError: ErrorPolicy
    public var dimensions: [DimensionSpec]
    public var cohorts: [CohortSpec]
    public var tables: [TableSpec]
    public var indicators: [IndicatorSpec]
    public var protection: ProtectionSpec
    public var outputs: OutputSpec
    /// How `discreet batch` treats partners whose extracts cannot be used.
    public var batch = BatchSpec()
    /// For a batch: a column no extract holds, whose value in each row is the partner whose
    /// extract the row came from (its declared values are the partners' keys, and input `i`
    /// of ``inputs`` is the partner of value ``partnerOfInput``[i]). nil otherwise.
    public var partnerColumn: Int? = nil
    /// For a batch: per input, its partner (an index into the partner column's values).
    public var partnerOfInput: [Int] = []

    /// The declared column with this name.
    public func column(named name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The dimension with this name.
    public func dimension(named name: String) -> DimensionSpec? { dimensions.first { $0.name == name } }
}

/// An input extract: a CSV file, or a table or view of a SQLite database.
public struct InputSpec: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable { case csv, sqlite }

    public var path: String
    public var format: Format
    /// For SQLite: the table or view (nil: the database's only one).
    public var table: String?
    /// Who supplied it (a partner), for the manifest.
    public var partner: String?

    public init(path: String, format: Format? = nil, table: String? = nil, partner: String? = nil) {
        self.path = path
        self.format = format ?? InputSpec.format(ofPath: path)
        self.table = table
        self.partner = partner
    }

    /// The format a path's extension suggests: `.sqlite`, `.sqlite3`, `.db` are SQLite, the rest CSV.
    public static func format(ofPath path: String) -> Format {
        let lower = path.lowercased()
        return [".sqlite", ".sqlite3", ".db"].contains(where: { lower.hasSuffix($0) }) ? .sqlite : .csv
    }

    /// Parses a command-line input: `PATH` or, for SQLite, `PATH#TABLE`.
    public init(argument: String) {
        if let hash = argument.lastIndex(of: "#"), InputSpec.format(ofPath: String(argument[..<hash])) == .sqlite {
            self.init(path: String(argument[..<hash]), table: String(argument[argument.index(after: hash)...]))
        } else {
            self.init(path: argument)
        }
    }

    /// How the input is named in messages: the path, with `#table` for SQLite.
    public var displayName: String { table.map { "\(path)#\($0)" } ?? path }
}

/// A dimension: the column it classifies, and its categories or bands under a total.
public struct DimensionSpec: Sendable {
    public var name: String
    public var column: Int
    /// For banded numeric columns: the inclusive bounds of each leaf band, scaled to the column.
    public var bands: [(lower: Int64, upper: Int64)]
    /// The categories, groups and total.
    public var dimension: TableDimension
    public var location: SourceLocation

    /// Whether the dimension cuts a numeric column into bands.
    public var isBanded: Bool { !bands.isEmpty }
}

/// A named filter other filters and tables refer to.
public struct CohortSpec: Sendable {
    public var name: String
    public var text: String
    public var expression: FilterExpression
    public var location: SourceLocation
    public var textLocation: TextLocation
}

/// A declared table: people (or a summed column) in a cohort, by dimensions.
public struct TableSpec: Sendable {
    public var name: String
    public var title: String?
    /// The cohort filter as written; empty when the table takes every row.
    public var filterText: String
    public var filter: FilterExpression?
    public var filterLocation: TextLocation?
    /// The summed column for a magnitude table; nil for a count of people.
    public var sum: Int?
    public var by: [String]
    public var location: SourceLocation
}

/// A "No and %" indicator: a numerator cohort over a denominator cohort.
public struct IndicatorSpec: Sendable {
    public var name: String
    public var title: String?
    /// The dashboard's grouping (an outcome area).
    public var group: String?
    public var numeratorText: String
    public var numerator: FilterExpression
    public var denominatorText: String
    public var denominator: FilterExpression
    public var numeratorLocation: TextLocation
    public var denominatorLocation: TextLocation
    public var by: [String]
    public var decimals: Int?
    public var location: SourceLocation
}

/// The protection policy: independent steps (primary rules, secondary suppression,
/// rounding), how figures are shown, and how percentages are made. A preset fills in
/// every setting the spec does not give.
public struct ProtectionSpec: Sendable, Hashable {
    /// The preset the settings were expanded from, if any.
    public var preset: ProtectionPreset?
    public var primary: PrimaryPolicy
    public var secondary: SecondaryPolicy
    /// Rounding of published counts (nil: counts are published exactly).
    public var rounding: RoundingPolicy?
    public var display: DisplaySymbols
    /// Decimal places of published percentages.
    public var percentDecimals: Int
    /// Where a published denominator is below this, percentages are whole numbers.
    public var percentWholeBelow: Int64?
    /// Differentially private noise in place of suppression and rounding (nil: none).
    public var noise: NoiseSpec?
    /// The cell key method in place of suppression and rounding (nil: none).
    public var cellKey: CellKeySpec?

    public init(
        primary: PrimaryPolicy, secondary: SecondaryPolicy = SecondaryPolicy(), rounding: RoundingPolicy? = nil,
        display: DisplaySymbols = DisplaySymbols(), percentDecimals: Int = 1, percentWholeBelow: Int64? = nil, preset: ProtectionPreset? = nil
    ) {
        self.preset = preset
        self.primary = primary
        self.secondary = secondary
        self.rounding = rounding
        self.display = display
        self.percentDecimals = percentDecimals
        self.percentWholeBelow = percentWholeBelow
    }
}

/// Differential privacy for a release: the mechanism and what the release spends, the
/// dataset's budget in the ledger, and how the noisy figures are post-processed.
///
/// Each cohort's finest table is noised once (each person is in one of its cells) and its
/// tables' figures are sums of those cells; the release's budget is split evenly across its
/// cohorts, whose spends add up to it (sequential composition).
public struct NoiseSpec: Sendable, Hashable {
    /// Pure ε-DP with the discrete Laplace, or ρ-zCDP with the discrete Gaussian.
    public var accounting: PrivacyAccounting
    /// What the release spends: ε (pure) or ρ (zCDP), exactly.
    public var amount: Rational
    /// The dataset the ledger counts the spend against, and its total budget in the same
    /// accounting (registered by its first release).
    public var dataset: String
    public var total: Rational
    /// Who asked for the release, for the ledger.
    public var requester: String
    /// The ledger file, resolved against the spec's directory.
    public var ledger: String
    public var postProcessing: NoisePostProcessing
    /// The confidence of the error bounds, in percent (95: each figure's error is within its
    /// bound with probability at least 95%).
    public var confidence: Rational
    /// Per summed column (an index into the spec's columns): the range each person's
    /// contribution to a cell is clamped to, in the column's smallest units. One person can
    /// then change a sum by at most the larger magnitude of the two ends: the sensitivity.
    public var clamps: [Int: ClosedRange<Int64>] = [:]
    /// The weights of declared tables and indicators by name, when the budget is split by
    /// them (empty: evenly across cohorts). See ``ReleasePlan/noiseShares(_:)``.
    public var weights: [String: Rational] = [:]
    /// How each cohort's figures are noised: its finest table once, or every published
    /// figure and then reconciled.
    public var strategy: NoiseStrategy = .finest
    /// Counts whose noisy figure is below this are shown as withheld (nil: none). Decided on
    /// the noisy figures, so it spends nothing.
    public var suppressBelow: Int64?

    public init(
        accounting: PrivacyAccounting, amount: Rational, dataset: String, total: Rational, requester: String, ledger: String,
        postProcessing: NoisePostProcessing = .raw, confidence: Rational = 95
    ) {
        self.accounting = accounting
        self.amount = amount
        self.dataset = dataset
        self.total = total
        self.requester = requester
        self.ledger = ledger
        self.postProcessing = postProcessing
        self.confidence = confidence
    }

    /// The chance that a figure's error exceeds its bound.
    public var alpha: Double { 1 - confidence.approximation / 100 }

    /// The mechanism for one of `shares` equal parts of the release's budget, for a query
    /// one person changes by at most `sensitivity` (a count: 1). The noise is that of a
    /// sensitivity-1 query with the budget divided by Δ (ε) or Δ² (ρ): a discrete Laplace of
    /// scale Δ/ε, a discrete Gaussian of variance Δ²/(2ρ).
    public func mechanism(shares: Int, sensitivity: Int64 = 1) -> CountNoise {
        mechanism(share: amount / Rational(shares), sensitivity: sensitivity)
    }

    /// The mechanism spending `share` (ε or ρ) on a query one person changes by at most
    /// `sensitivity`.
    public func mechanism(share: Rational, sensitivity: Int64 = 1) -> CountNoise {
        let delta = Rational(sensitivity)
        return accounting == .pure ? .laplace(epsilon: share / delta) : .gaussian(rho: share / (delta * delta))
    }

    /// The mechanism of one cohort's finest table: counts change by 1 with one person, a
    /// clamped sum by its sensitivity.
    public func mechanism(share: Rational, sumColumn: Int?) -> CountNoise {
        mechanism(share: share, sensitivity: sumColumn.flatMap(sensitivity(column:)) ?? 1)
    }

    /// The post-processing of one cohort's table: a sum whose contributions may be negative
    /// stays raw (non-negative figures would bias it).
    public func postProcessing(sumColumn: Int?) -> NoisePostProcessing {
        guard let column = sumColumn, let range = clamps[column], range.lowerBound < 0 else { return postProcessing }
        return .raw
    }

    /// The sensitivity of a sum of `column` clamped as the spec says.
    public func sensitivity(column: Int) -> Int64? {
        clamps[column].map { max($0.lowerBound.magnitude, $0.upperBound.magnitude) }.map { Int64($0) }
    }

    /// The ledger's file name where the spec names none: beside the spec.
    public static let defaultLedger = "privacy-ledger.sqlite"
}

/// The cell key method: every count perturbed by its cell's key through a perturbation
/// table, the same people always getting the same perturbation.
public struct CellKeySpec: Sendable, Hashable {
    /// Where each person's record key comes from.
    public enum RecordKeys: Sendable, Hashable {
        /// HMAC-SHA256 of the person's identifier under the secret in this file (resolved
        /// against the spec's directory).
        case secret(String)
        /// A column of the extract: a decimal in [0, 1), as the ONS and the cellKey R
        /// package store record keys, or a whole number below 2^32.
        case column(String)
    }

    public var recordKeys: RecordKeys
    public var table: PerturbationTable
    /// Where the table comes from: the file as the spec names it, or "built-in".
    public var tableSource: String
    /// The SHA-256 of the table's file (nil for the built-in table).
    public var tableSHA256: String?

    public init(recordKeys: RecordKeys, table: PerturbationTable = .standard, tableSource: String = "built-in", tableSHA256: String? = nil) {
        self.recordKeys = recordKeys
        self.table = table
        self.tableSource = tableSource
        self.tableSHA256 = tableSHA256
    }
}

/// How a cohort's figures are noised.
public enum NoiseStrategy: String, Sendable, Hashable, CaseIterable {
    /// One draw per cell of the cohort's finest table; every figure the sum of its cells
    /// (consistent by construction; a total carries the noise of all its cells).
    case finest
    /// One draw per published figure, margins included, with the budget divided by the
    /// most figures one person is in; then reconciled to non-negative whole numbers that add
    /// up (a total carries the noise of one draw, moved by the reconciliation).
    case levels
}

/// What a dashboard shows in place of a figure that is not published as it is: the
/// `display` column beside `value`. The defaults are the Government Statistical Service
/// symbols `[c]` (confidential) and `[z]` (not applicable).
public struct DisplaySymbols: Sendable, Hashable {
    /// A withheld figure.
    public var withheld: String
    /// A count withheld by the frequency rule alone, shown as small ("fewer than 5"); nil
    /// to show it as withheld. `{threshold}` stands for the first count that is not small.
    public var small: String?
    /// A percentage whose denominator is 0.
    public var notApplicable: String
    /// A rounded figure of 0 whose true value is not 0 (DfE `k`, GSS `[low]`); nil to show 0.
    public var roundsToZero: String?

    public init(withheld: String = "[c]", small: String? = nil, notApplicable: String = "[z]", roundsToZero: String? = nil) {
        self.withheld = withheld
        self.small = small
        self.notApplicable = notApplicable
        self.roundsToZero = roundsToZero
    }

    /// The Government Statistical Service's symbols: `[c]`, `[z]` and `[low]`.
    public static let gss = DisplaySymbols(withheld: "[c]", notApplicable: "[z]", roundsToZero: "[low]")

    /// The small-count text with its threshold filled in.
    public func small(upTo largest: Int64) -> String? {
        small?.replacingOccurrences(of: "{threshold}", with: String(largest + 1))
    }
}

/// Which files a release contains beyond the manifest.
/// The spec's `batch` settings.
public struct BatchSpec: Sendable, Hashable {
    /// Whether the combined dashboard is released when some partner's extracts cannot be used.
    public enum CombinedWhenPartnersMissing: String, Sendable, Hashable, CaseIterable {
        /// Not released: the partners that could be used get their own releases.
        case refuse
        /// Released without the missing partners, which its manifest names.
        case release
    }

    public var combinedWhenPartnersMissing: CombinedWhenPartnersMissing = .refuse

    /// What a release does with the cells the previous release of it withheld.
    public enum CarryForward: String, Sendable, Hashable, CaseIterable {
        /// Withholding them again costs half as much: they stay withheld where that costs little.
        case prefer
        /// The previous release is not looked at.
        case off
    }

    public var carryForward: CarryForward = .prefer

    /// What the batch does when a group's change since the previous release (this month
    /// minus last month) is told exactly and is small.
    public enum SmallChanges: String, Sendable, Hashable, CaseIterable {
        /// Released, and the change reported in the summary and the release's manifest.
        case report
        /// Nothing is written: the batch is refused (exit code 4).
        case refuse
    }

    public var smallChanges: SmallChanges = .report

    public init() {}
}

public struct OutputSpec: Sendable, Hashable {
    public var csv: Bool
    public var json: Bool

    public init(csv: Bool = true, json: Bool = true) {
        self.csv = csv
        self.json = json
    }
}
