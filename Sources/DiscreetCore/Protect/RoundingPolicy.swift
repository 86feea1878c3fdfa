/// How published counts are rounded.
public enum RoundingMethod: String, Sendable, Hashable, CaseIterable {
    /// To the nearest multiple of the base, halves up.
    case conventional
    /// Unbiased random rounding: up with probability (x mod b) / b, else down.
    case random
    /// Every cell to one of its two adjacent multiples, every margin the sum of its
    /// rounded children, at the least total change.
    case controlled
}

/// The cells a rounding applies to: those whose category in `dimension` lies at most
/// `depth` levels below the dimension's total (0: the total only, as a national figure;
/// 1: the total and its top-level groups, as national and regional figures). A table not
/// broken down by the dimension shows its total there, so all its cells are in scope.
public struct RoundingLevels: Sendable, Hashable {
    public var dimension: String
    public var depth: Int

    public init(dimension: String, depth: Int) {
        self.dimension = dimension
        self.depth = depth
    }
}

/// The rounding step of a protection policy.
///
/// What an attacker learns from a rounded figure R (domain.md section 5) is an interval:
/// with conventional rounding the true value lies in [R − ⌊b/2⌋, R + ⌈b/2⌉ − 1], with random
/// or controlled rounding in [R − b + 1, R + b − 1], never below 0. Releases publish these
/// intervals and the audit works with them.
public struct RoundingPolicy: Sendable, Hashable {
    public var method: RoundingMethod
    public var base: Int64
    /// For conventional and random rounding: margins rounded from their own true values,
    /// or recomputed from the rounded inner cells.
    public var margins: RoundedMargins
    /// Only these cells are rounded (nil: every published count).
    public var levels: RoundingLevels?
    /// The base for the sums of magnitude tables, in the summed column's units (nil: sums
    /// are published exactly). Counts of contributors are not rounded.
    public var sums: ExactRatio?

    public init(method: RoundingMethod, base: Int64, margins: RoundedMargins = .rounded, levels: RoundingLevels? = nil, sums: ExactRatio? = nil) {
        precondition(base >= 2)
        self.method = method
        self.base = base
        self.margins = margins
        self.levels = levels
        self.sums = sums
    }

    /// The rounding of a magnitude table's sums held with `places` decimal places (in units
    /// of 10^-places), or nil when sums are not rounded or the base is not a whole number
    /// of at least two such units.
    public func forSums(places: Int) -> RoundingPolicy? {
        guard let sums else { return nil }
        let scaled = Int128(sums.numerator) * Int128(ScaledDecimal.unit(places))
        guard scaled % Int128(sums.denominator) == 0, let base = Int64(exactly: scaled / Int128(sums.denominator)), base >= 2 else { return nil }
        return RoundingPolicy(method: method, base: base, margins: margins, levels: levels)
    }

    /// How far below a published rounded figure the true value can lie.
    public var below: Int64 { method == .conventional ? base / 2 : base - 1 }
    /// How far above a published rounded figure the true value can lie.
    public var above: Int64 { method == .conventional ? (base + 1) / 2 - 1 : base - 1 }

    /// The true values a published rounded figure allows; at least 1 when the figure is
    /// shown as "rounds to zero but is not zero".
    public func interval(of figure: Int64, notZero: Bool = false) -> CellBounds {
        CellBounds(lower: max(notZero ? 1 : 0, figure - below), upper: figure + above)
    }

    /// Per cell of a table, whether the policy's levels let it be rounded (nil: every cell).
    public func levelScope(_ shape: TableShape) -> [Bool]? {
        guard let levels, let d = shape.dimensions.firstIndex(where: { $0.name == levels.dimension }) else { return nil }
        let dim = shape.dimensions[d]
        return (0..<shape.cellCount).map { dim.depths[($0 / shape.strides[d]) % dim.nodeCount] <= levels.depth }
    }
}

/// What a release's rounded counts tell about the true values: the rounding's interval,
/// narrowed by what the rules say of any published count (it passed the frequency rule, so
/// it is 0 or at least the first count that is not small) and by the display (a marked
/// rounded 0 that is not 0).
public struct RoundedFigureRules: Sendable, Hashable {
    public var policy: RoundingPolicy
    /// Whether a rounded 0 that is not 0 is marked as such (then an unmarked 0 is 0).
    public var marksNotZero: Bool
    /// The least count other than 0 a published cell can have (0 without a frequency rule).
    public var leastPublished: Int64
    /// Whether zeros are withheld (then a published count is never 0).
    public var zerosWithheld: Bool

    public init(policy: RoundingPolicy, marksNotZero: Bool = false, leastPublished: Int64 = 0, zerosWithheld: Bool = false) {
        self.policy = policy
        self.marksNotZero = marksNotZero
        self.leastPublished = leastPublished
        self.zerosWithheld = zerosWithheld
    }

    /// The rules of a count table under a primary policy.
    public init(policy: RoundingPolicy, marksNotZero: Bool, primary: PrimaryPolicy) {
        let least = primary.frequency.map { FrequencyProtection.largestSmall($0) + 1 } ?? 0
        self.init(policy: policy, marksNotZero: marksNotZero, leastPublished: least, zerosWithheld: primary.zeros == .withhold)
    }

    /// What a release states of a true value `x` published as the rounded `figure`.
    public func stated(figure: Int64, trueValue x: Int64) -> CellBounds {
        let marked = marksNotZero && figure == 0
        let b = policy.interval(of: figure, notZero: marked && x > 0)
        var lower = b.lower ?? 0
        var upper = b.upper ?? .max
        if marked && x == 0 { upper = 0 }
        if lower >= 1 || zerosWithheld {
            lower = max(lower, leastPublished)
        } else if upper < leastPublished {
            // Between 0 and a small count, and small counts are never published: 0.
            upper = 0
        }
        // (Where the interval holds 0 and counts that are not small, the attacker's set
        // {0} ∪ [least, upper] is relaxed to [0, upper]: with the usual thresholds and bases
        // it does not arise.)
        return CellBounds(lower: lower, upper: upper)
    }

    /// What a release will state of a true value `x` whichever figure the rounding draws:
    /// the intersection of the stated bounds over the figures it may draw (the nearest
    /// multiple for conventional rounding; either adjacent multiple otherwise).
    public func whateverTheFigure(_ x: Int64) -> CellBounds {
        let base = policy.base
        let r = x % base
        let figures = policy.method == .conventional ? [Rounding.nearest(x, base: base)] : r == 0 ? [x] : [x - r, x - r + base]
        var lower = Int64.min
        var upper = Int64.max
        for figure in figures {
            let b = stated(figure: figure, trueValue: x)
            lower = max(lower, b.lower ?? 0)
            upper = min(upper, b.upper ?? .max)
        }
        return CellBounds(lower: lower, upper: upper)
    }
}

/// A cohort table's published figures after rounding.
public struct RoundedCohort: Sendable {
    /// Per cohort cell, the figure published in place of the true value (the true value
    /// where the cell is not rounded; meaningless where it is withheld).
    public var values: [Int64]
    /// Per cohort cell, whether its published figure is rounded.
    public var rounded: [Bool]
    /// Why controlled rounding was not possible and the fallback method was used instead.
    public var fallback: String?
    /// A remark on a controlled rounding that was found (its least change not proven).
    public var note: String?
}

/// Rounds the published counts of one cohort table.
///
/// Controlled rounding of a cohort whose tables are not one network (linked tables, three
/// dimensions, two hierarchies) searches for a rounding (``ControlledRoundingSearch``);
/// where none exists, or none is found within the search limit, the cohort is rounded
/// conventionally, each figure from its own value, and ``RoundedCohort/fallback`` says why.
///
/// Rounding works on the cohort table, not table by table, so that a cell two linked
/// tables share is rounded once and shows the same figure in both (two independent random
/// roundings of one count could be averaged). Withheld cells take no part: their true
/// values never enter a published figure, and relations that involve them need not add up
/// in the rounded figures (so additivity cannot give away a withheld cell's rounded value).
public enum CohortRounding {
    /// A published table of the cohort: its shape and, per cell, the cohort cell.
    public typealias Projection = (shape: TableShape, cells: [Int])

    /// Rounds the cohort's published, not withheld cells within the policy's levels.
    ///
    /// - Parameters:
    ///   - values: the cohort table's true counts.
    ///   - published: per cohort cell, whether some table publishes it.
    ///   - withheld: per cohort cell, whether it is withheld.
    ///   - tables: the published tables of the cohort, for controlled rounding.
    public static func round<G: RandomNumberGenerator>(
        values: [Int64], shape: TableShape, published: [Bool], withheld: [Bool], tables: [Projection], policy: RoundingPolicy,
        using generator: inout G
    ) -> RoundedCohort {
        precondition(values.count == shape.cellCount)
        let b = policy.base
        let levels = policy.levelScope(shape)
        let scope = (0..<shape.cellCount).map { published[$0] && !withheld[$0] && (levels?[$0] ?? true) }
        var result = values
        var fallback: String?
        var note: String?
        switch (policy.method, policy.margins) {
        case (.controlled, _):
            switch controlled(values: values, withheld: withheld, tables: tables, base: b) {
            case .rounded(let rounded, let least):
                result = rounded
                if !least { note = "controlled rounding found, but the search stopped before proving that no other changes the figures less" }
            case .impossible:
                fallback = "no controlled rounding of these tables exists (every choice was tried); they were rounded conventionally instead, each figure from its own value (margins need not add up)"
            case .gaveUp:
                fallback = "no controlled rounding of these tables was found within the search limit; they were rounded conventionally instead, each figure from its own value (margins need not add up)"
            }
            if fallback != nil {
                for cell in 0..<shape.cellCount where scope[cell] { result[cell] = Rounding.nearest(values[cell], base: b) }
            }
        case (.conventional, .recomputed), (.random, .recomputed):
            // Margins are sums of rounded inner cells: only safe where nothing is withheld,
            // which the spec ensures (no rule can withhold a cell with this setting).
            precondition(!withheld.contains(true) && policy.levels == nil)
            var rounded = [Int64](repeating: 0, count: shape.cellCount)
            for cell in shape.innerToFull() {
                rounded[cell] = policy.method == .random ? Rounding.random(values[cell], base: b, using: &generator) : Rounding.nearest(values[cell], base: b)
            }
            shape.rollUp { rounded[$0] += rounded[$1] }
            result = rounded
        case (.conventional, .rounded):
            for cell in 0..<shape.cellCount where scope[cell] { result[cell] = Rounding.nearest(values[cell], base: b) }
        case (.random, .rounded):
            for cell in 0..<shape.cellCount where scope[cell] { result[cell] = Rounding.random(values[cell], base: b, using: &generator) }
        }
        for cell in 0..<shape.cellCount where !scope[cell] { result[cell] = values[cell] }
        return RoundedCohort(values: result, rounded: scope, fallback: fallback, note: note)
    }

    /// Controlled rounding of the cohort's published cells, withheld cells free: where one
    /// table holds every published cell (the others are its projections) and is a network,
    /// as a minimum-cost flow, which always succeeds; otherwise by a search over the
    /// relations of every table, which may find that no rounding exists.
    static func controlled(values: [Int64], withheld: [Bool], tables: [Projection], base: Int64) -> ControlledRoundingSearch.Outcome {
        guard let widest = tables.max(by: { $0.shape.cellCount < $1.shape.cellCount }) else { return .rounded(values, least: true) }
        let holds = Set(widest.cells)
        if tables.allSatisfy({ $0.cells.allSatisfy(holds.contains) }) {
            let free = widest.cells.map { withheld[$0] }
            if let rounded = ControlledRounding.round(widest.cells.map { values[$0] }, shape: widest.shape, base: base, free: free) {
                var result = values
                for (k, cell) in widest.cells.enumerated() { result[cell] = rounded[k] }
                return .rounded(result, least: true)
            }
        }
        // Relations through a withheld cell need not add up: it is free to absorb them.
        var inScope = Set<Int>()
        for t in tables { for c in t.cells where !withheld[c] { inScope.insert(c) } }
        var relations: [(total: Int, parts: [Int])] = []
        for t in tables {
            for r in t.shape.relations() {
                let total = t.cells[r.total]
                let parts = r.parts.map { t.cells[$0] }
                if inScope.contains(total) && parts.allSatisfy(inScope.contains) { relations.append((total, parts)) }
            }
        }
        return ControlledRoundingSearch.round(values: values, scope: inScope.sorted(), relations: relations, base: base)
    }
}
