import DiscreetCore
import Foundation

/// release.json: everything a release publishes, and nothing else. Built from a protected
/// release by ``init(_:)``, which reads its tables only through what they publish (each
/// cell's published figure, status and stated bounds); every file of the release (the
/// tables, the indicators, release.json itself, the manifest's summaries) is written from
/// this value, and `discreet audit` reads it back with the same types.
///
/// Versioned by ``schemaVersion``: 2 from discreet 0.5; a document without the field was
/// written by an earlier version (schema 1: the same members, without `schema_version`,
/// `policy` and the tables' `decimals`), and reads into the same types.
public struct ReleaseDocument: Codable, Sendable, Equatable {
    /// The schema this version writes.
    public static let currentSchema = 2

    public var schemaVersion: Int
    public var title: String?
    public var releaseID: String
    /// What each status means.
    public var statuses: [String: String]?
    public var display: Display?
    public var rounding: RoundingStatement?
    /// The protection settings (schema 2; earlier releases state them in the manifest only).
    public var policy: Policy?
    /// How tables link and cohorts relate (from discreet 0.2, relations from 0.4).
    public var cohorts: [Cohort]?
    public var disjoint: [[String]]?
    public var families: [Family]?
    public var dimensions: [Dimension]
    public var tables: [Table]
    public var indicators: [Indicator]
    /// The differential privacy of a noisy release (nil: not noised).
    public var noise: NoiseStatement?
    /// The cell key method of a perturbed release (nil: not perturbed).
    public var cellKey: CellKeyStatement?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case title
        case releaseID = "release_id"
        case statuses, display, rounding, policy, noise
        case cellKey = "cell_key"
        case cohorts, disjoint, families, dimensions, tables, indicators
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        title = try c.decodeIfPresent(String.self, forKey: .title)
        releaseID = try c.decodeIfPresent(String.self, forKey: .releaseID) ?? ""
        statuses = try c.decodeIfPresent([String: String].self, forKey: .statuses)
        display = try c.decodeIfPresent(Display.self, forKey: .display)
        rounding = try c.decodeIfPresent(RoundingStatement.self, forKey: .rounding)
        policy = try c.decodeIfPresent(Policy.self, forKey: .policy)
        cohorts = try c.decodeIfPresent([Cohort].self, forKey: .cohorts)
        disjoint = try c.decodeIfPresent([[String]].self, forKey: .disjoint)
        families = try c.decodeIfPresent([Family].self, forKey: .families)
        dimensions = try c.decodeIfPresent([Dimension].self, forKey: .dimensions) ?? []
        tables = try c.decodeIfPresent([Table].self, forKey: .tables) ?? []
        indicators = try c.decodeIfPresent([Indicator].self, forKey: .indicators) ?? []
        noise = try c.decodeIfPresent(NoiseStatement.self, forKey: .noise)
        cellKey = try c.decodeIfPresent(CellKeyStatement.self, forKey: .cellKey)
    }

    public init(
        title: String?, releaseID: String, statuses: [String: String]?, display: Display?, rounding: RoundingStatement?, policy: Policy?,
        cohorts: [Cohort]?, disjoint: [[String]]?, families: [Family]?, dimensions: [Dimension], tables: [Table], indicators: [Indicator],
        noise: NoiseStatement? = nil, cellKey: CellKeyStatement? = nil
    ) {
        schemaVersion = Self.currentSchema
        self.noise = noise
        self.cellKey = cellKey
        self.title = title
        self.releaseID = releaseID
        self.statuses = statuses
        self.display = display
        self.rounding = rounding
        self.policy = policy
        self.cohorts = cohorts
        self.disjoint = disjoint
        self.families = families
        self.dimensions = dimensions
        self.tables = tables
        self.indicators = indicators
    }

    /// How a noisy release protects its figures, and what it spent.
    public struct NoiseStatement: Codable, Sendable, Equatable {
        public var mechanism: String
        /// "epsilon" (pure DP) or "rho" (zCDP).
        public var accounting: String
        /// What the release spent, exactly ("1/2").
        public var spent: String
        /// The tables noised (each cohort's finest table), and each one's share.
        public var tablesNoised: Int
        public var spentPerTable: String
        /// "finest" or "levels" (absent before the setting existed: finest).
        public var strategy: String?
        /// "raw" or "non_negative".
        public var figures: String
        /// The confidence of every error bound, in percent.
        public var confidence: String
        public var dataset: String
        public var requester: String
        /// The dataset's budget, and its spend with this release, when the ledger recorded it.
        public var datasetBudget: String?
        public var datasetSpent: String?
        /// Counts whose noisy figure is below this are withheld.
        public var suppressBelow: Int64?
        /// Per summed column, the range each person's contribution was clamped to: sums are
        /// of clamped contributions, and their noise is set by the wider end.
        public var clamp: [String: Bounds]?
        public var meaning: String

        enum CodingKeys: String, CodingKey {
            case mechanism, accounting, spent
            case tablesNoised = "tables_noised"
            case spentPerTable = "spent_per_table"
            case strategy, figures, confidence, dataset, requester
            case datasetBudget = "dataset_budget"
            case datasetSpent = "dataset_spent"
            case suppressBelow = "suppress_below"
            case clamp, meaning
        }
    }

    /// How a release perturbed by the cell key method was made.
    public struct CellKeyStatement: Codable, Sendable, Equatable {
        /// The perturbation table: a file's name as the spec gives it, or "built-in".
        public var ptable: String
        public var ptableSHA256: String?
        /// No published count is further than this from its true value.
        public var largestPerturbation: Int64
        public var recordKeys: String
        public var meaning: String

        enum CodingKeys: String, CodingKey {
            case ptable
            case ptableSHA256 = "ptable_sha256"
            case largestPerturbation = "largest_perturbation"
            case recordKeys = "record_keys"
            case meaning
        }
    }

    /// The symbols a dashboard shows in place of figures.
    public struct Display: Codable, Sendable, Equatable {
        public var withheld: String
        public var small: String?
        public var notApplicable: String
        public var roundsToZero: String?

        enum CodingKeys: String, CodingKey {
            case withheld, small
            case notApplicable = "not_applicable"
            case roundsToZero = "rounds_to_zero"
        }
    }

    /// The rounding of published figures, and what a rounded figure means.
    public struct RoundingStatement: Codable, Sendable, Equatable {
        public var method: String
        public var base: Int64
        public var margins: String?
        public var levels: Levels?
        public var sums: Decimal?
        public var appliesTo: String?
        public var meaning: String?

        public struct Levels: Codable, Sendable, Equatable {
            public var dimension: String
            public var depth: Int
        }

        enum CodingKeys: String, CodingKey {
            case method, base, margins, levels, sums
            case appliesTo = "applies_to"
            case meaning = "true_value_of_a_published_figure_R"
        }
    }

    /// A cohort: the people its tables count, as its filter selects them.
    public struct Cohort: Codable, Sendable, Equatable {
        public var id: String
        public var filter: String?
        public var measure: String?
        public var column: String?
        public var decimals: Int?
        public var smallCountsShown: Bool?
        /// The dimensions its tables publish.
        public var dimensions: [String]
        /// The cohorts it lies within (absent before discreet 0.4).
        public var within: [String]?
        /// The dimensions it is counted by.
        public var countedBy: [String]?
        /// Categories its filter leaves empty.
        public var empty: [Categories]?

        enum CodingKeys: String, CodingKey {
            case id, filter, measure, column, decimals
            case smallCountsShown = "small_counts_shown"
            case dimensions, within
            case countedBy = "counted_by"
            case empty
        }

        public init(
            id: String, filter: String?, measure: String?, column: String?, decimals: Int?, smallCountsShown: Bool?, dimensions: [String], within: [String]?,
            countedBy: [String]?, empty: [Categories]?
        ) {
            self.id = id
            self.filter = filter
            self.measure = measure
            self.column = column
            self.decimals = decimals
            self.smallCountsShown = smallCountsShown
            self.dimensions = dimensions
            self.within = within
            self.countedBy = countedBy
            self.empty = empty
        }
    }

    /// Categories of one dimension.
    public struct Categories: Codable, Sendable, Equatable {
        public var dimension: String
        public var categories: [String]
    }

    /// A cohort split into parts that share nobody, and the rest of its people.
    public struct Family: Codable, Sendable, Equatable {
        public var cohort: String
        public var parts: [String]
        public var dimensions: [String]?
        /// Categories where the rest is empty.
        public var restEmpty: [Categories]?

        enum CodingKeys: String, CodingKey {
            case cohort, parts, dimensions
            case restEmpty = "rest_empty"
        }
    }

    public struct Dimension: Codable, Sendable, Equatable {
        public var name: String
        public var label: String?
        public var column: String?
        public var total: String
        public var categories: [Category]

        public struct Category: Codable, Sendable, Equatable {
            public var code: String
            public var label: String?
            public var parent: String?
            public var leaf: Bool?

            public init(code: String, label: String?, parent: String?, leaf: Bool?) {
                self.code = code
                self.label = label
                self.parent = parent
                self.leaf = leaf
            }
        }

        public init(name: String, label: String?, column: String?, total: String, categories: [Category]) {
            self.name = name
            self.label = label
            self.column = column
            self.total = total
            self.categories = categories
        }
    }

    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var title: String?
        public var cohort: String?
        public var measure: String?
        public var column: String?
        /// Decimal places of its values (schema 2).
        public var decimals: Int?
        public var dimensions: [String]
        public var cells: [TableCell]

        public init(
            name: String, title: String?, cohort: String?, measure: String?, column: String?, decimals: Int?, dimensions: [String], cells: [TableCell]
        ) {
            self.name = name
            self.title = title
            self.cohort = cohort
            self.measure = measure
            self.column = column
            self.decimals = decimals
            self.dimensions = dimensions
            self.cells = cells
        }

        /// The table's CSV file, as a release writes it.
        public var csv: [UInt8] { ReleaseFiles.tableCSV(self) }
    }

    /// A cell of a table: its categories (one member per dimension, named after it), its
    /// published figure (null where withheld), what a dashboard shows, its status, and the
    /// range its true value lies in where the figure is not exact.
    public struct TableCell: Codable, Sendable, Equatable {
        public var codes: [String: String]
        public var value: Decimal?
        public var display: String?
        public var status: String
        public var bounds: Bounds?
        /// A magnitude cell's published number of contributors.
        public var contributors: Int64?
        /// A noisy figure's error bound: the true value is within it of the figure with the
        /// release's stated confidence.
        public var errorBound: Decimal?

        static let members = ["value", "display", "status", "bounds", "contributors", "error_bound"]

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            value = try c.decodeIfPresent(Decimal.self, forKey: AnyKey("value"))
            display = try c.decodeIfPresent(String.self, forKey: AnyKey("display"))
            status = try c.decodeIfPresent(String.self, forKey: AnyKey("status")) ?? "published"
            bounds = try c.decodeIfPresent(Bounds.self, forKey: AnyKey("bounds"))
            contributors = try c.decodeIfPresent(Int64.self, forKey: AnyKey("contributors"))
            errorBound = try c.decodeIfPresent(Decimal.self, forKey: AnyKey("error_bound"))
            codes = try AnyKey.codes(c, except: Self.members)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            for name in codes.keys.sorted() { try c.encode(codes[name]!, forKey: AnyKey(name)) }
            try c.encode(value, forKey: AnyKey("value"))
            try c.encodeIfPresent(display, forKey: AnyKey("display"))
            try c.encode(status, forKey: AnyKey("status"))
            try c.encodeIfPresent(bounds, forKey: AnyKey("bounds"))
            try c.encodeIfPresent(contributors, forKey: AnyKey("contributors"))
            try c.encodeIfPresent(errorBound, forKey: AnyKey("error_bound"))
        }

        public init(
            codes: [String: String], value: Decimal?, display: String?, status: String, bounds: Bounds?, contributors: Int64?, errorBound: Decimal? = nil
        ) {
            self.errorBound = errorBound
            self.codes = codes
            self.value = value
            self.display = display
            self.status = status
            self.bounds = bounds
            self.contributors = contributors
        }
    }

    /// The least and greatest true value a figure allows (the greatest null when unbounded).
    public struct Bounds: Codable, Sendable, Equatable {
        public var lower: Decimal?
        public var upper: Decimal?

        public init(lower: Decimal?, upper: Decimal?) {
            self.lower = lower
            self.upper = upper
        }

        public init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            lower = try c.decodeIfPresent(Decimal.self)
            upper = c.isAtEnd ? nil : try c.decodeIfPresent(Decimal.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(lower)
            try c.encode(upper)
        }
    }

    public struct Indicator: Codable, Sendable, Equatable {
        public var name: String
        public var title: String?
        public var group: String?
        public var decimals: Int?
        public var numeratorCohort: String?
        public var denominatorCohort: String?
        public var dimensions: [String]
        public var cells: [IndicatorCell]

        enum CodingKeys: String, CodingKey {
            case name, title, group, decimals
            case numeratorCohort = "numerator_cohort"
            case denominatorCohort = "denominator_cohort"
            case dimensions, cells
        }
    }

    /// A published figure of an indicator: the numerator's or the denominator's.
    public struct Figure: Sendable, Equatable {
        public var value: Decimal?
        public var display: String?
        public var status: String
        public var bounds: Bounds?
        public var errorBound: Decimal?

        public init(value: Decimal?, display: String?, status: String, bounds: Bounds?, errorBound: Decimal? = nil) {
            self.errorBound = errorBound
            self.value = value
            self.display = display
            self.status = status
            self.bounds = bounds
        }
    }

    /// A cell of an indicator: its categories, numerator, denominator and percentage.
    public struct IndicatorCell: Codable, Sendable, Equatable {
        public var codes: [String: String]
        public var numerator: Figure
        public var denominator: Figure
        public var percent: Decimal?
        public var percentDisplay: String?
        public var percentStatus: String
        /// Where the figures are noisy: the interval the true percentage lies in with the
        /// release's stated confidence.
        public var percentInterval: Bounds?

        static let members = ["percent", "percent_display", "percent_status", "percent_interval"]
            + ["numerator", "denominator"].flatMap { [$0, "\($0)_display", "\($0)_status", "\($0)_bounds", "\($0)_error_bound"] }

        public init(
            codes: [String: String], numerator: Figure, denominator: Figure, percent: Decimal?, percentDisplay: String?, percentStatus: String,
            percentInterval: Bounds? = nil
        ) {
            self.percentInterval = percentInterval
            self.codes = codes
            self.numerator = numerator
            self.denominator = denominator
            self.percent = percent
            self.percentDisplay = percentDisplay
            self.percentStatus = percentStatus
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            func figure(_ part: String) throws -> Figure {
                Figure(
                    value: try c.decodeIfPresent(Decimal.self, forKey: AnyKey(part)),
                    display: try c.decodeIfPresent(String.self, forKey: AnyKey("\(part)_display")),
                    status: try c.decodeIfPresent(String.self, forKey: AnyKey("\(part)_status")) ?? "published",
                    bounds: try c.decodeIfPresent(Bounds.self, forKey: AnyKey("\(part)_bounds")),
                    errorBound: try c.decodeIfPresent(Decimal.self, forKey: AnyKey("\(part)_error_bound")))
            }
            numerator = try figure("numerator")
            denominator = try figure("denominator")
            percent = try c.decodeIfPresent(Decimal.self, forKey: AnyKey("percent"))
            percentDisplay = try c.decodeIfPresent(String.self, forKey: AnyKey("percent_display"))
            percentStatus = try c.decodeIfPresent(String.self, forKey: AnyKey("percent_status")) ?? "published"
            percentInterval = try c.decodeIfPresent(Bounds.self, forKey: AnyKey("percent_interval"))
            codes = try AnyKey.codes(c, except: Self.members)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            for name in codes.keys.sorted() { try c.encode(codes[name]!, forKey: AnyKey(name)) }
            for (part, f) in [("numerator", numerator), ("denominator", denominator)] {
                try c.encode(f.value, forKey: AnyKey(part))
                try c.encodeIfPresent(f.display, forKey: AnyKey("\(part)_display"))
                try c.encode(f.status, forKey: AnyKey("\(part)_status"))
                try c.encodeIfPresent(f.bounds, forKey: AnyKey("\(part)_bounds"))
                try c.encodeIfPresent(f.errorBound, forKey: AnyKey("\(part)_error_bound"))
            }
            try c.encode(percent, forKey: AnyKey("percent"))
            try c.encodeIfPresent(percentDisplay, forKey: AnyKey("percent_display"))
            try c.encode(percentStatus, forKey: AnyKey("percent_status"))
            try c.encodeIfPresent(percentInterval, forKey: AnyKey("percent_interval"))
        }
    }

    /// Member names a table or indicator cell uses for itself: no dimension may be named so.
    public static let reservedMemberNames = Set(TableCell.members + IndicatorCell.members + ["indicator", "group"])

    /// The document as JSON, the same bytes for the same release.
    public func encoded() -> [UInt8] { Self.encode(self) }

    /// A release.json document from its bytes. (Before schema 2, a table's decimal places
    /// were its cohort's.)
    public static func decode(_ data: Data) throws -> ReleaseDocument {
        var document = try JSONDecoder().decode(ReleaseDocument.self, from: data)
        let places = Dictionary((document.cohorts ?? []).map { ($0.id, $0.decimals) }, uniquingKeysWith: { a, _ in a })
        for t in document.tables.indices where document.tables[t].decimals == nil {
            document.tables[t].decimals = document.tables[t].cohort.flatMap { places[$0] ?? nil }
        }
        return document
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        // Every member is a string, a number, a Boolean or a container: encoding cannot fail.
        try! DocumentEncoder().encode(value)
    }
}

/// A member name decided at run time (a dimension's name in a cell).
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// The string members of a cell other than its own: its categories.
    static func codes(_ c: KeyedDecodingContainer<AnyKey>, except members: [String]) throws -> [String: String] {
        var codes: [String: String] = [:]
        for key in c.allKeys where !members.contains(key.stringValue) {
            if let code = try? c.decode(String.self, forKey: key) { codes[key.stringValue] = code }
        }
        return codes
    }
}

extension Decimal {
    /// `units / 10^places`, exactly.
    init(units: Int64, places: Int) {
        self.init(sign: units < 0 ? .minus : .plus, exponent: -places, significand: Decimal(units.magnitude))
    }

    /// The value in units of 10^-places, or nil when it has more decimal places or is out
    /// of range.
    func units(places: Int) -> Int64? {
        let text = Array(self.description.utf8)
        return text.withUnsafeBytes { ScaledDecimal.parse($0, places: places) }
    }
}
