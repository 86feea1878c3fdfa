/// An exact non-negative rational, written in the spec as a decimal (`90.9`, `75`).
public struct ExactRatio: Sendable, Hashable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    public init(_ numerator: Int64, _ denominator: Int64 = 1) {
        precondition(denominator > 0)
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Parses a non-negative decimal with at most 9 fraction digits.
    public init?(decimal text: String) {
        let fraction = text.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
        guard fraction <= 9, !text.hasPrefix("-"), let scaled = ScaledDecimal.parse(Array(text.utf8), places: fraction)
        else { return nil }
        self.init(scaled, ScaledDecimal.unit(fraction))
    }

    public var description: String {
        var d = denominator
        var places = 0
        while d > 1 && d % 10 == 0 {
            d /= 10
            places += 1
        }
        return d == 1 ? ScaledDecimal.format(numerator, places: places) : "\(numerator)/\(denominator)"
    }
}

/// How a rule compares a cell's statistic with its threshold.
public enum RuleComparator: String, Sendable, Hashable, CaseIterable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    @inlinable
    func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// Minimum frequency: a cell with `0 < n < threshold` contributors (or `<=`, per the
/// comparator) is sensitive. tau-ARGUS and ACRO use `<`; sdcTable's `maxN` uses `<=`.
public struct FrequencyRule: Sendable, Hashable {
    public var threshold: Int64
    public var comparator: RuleComparator

    public init(threshold: Int64, comparator: RuleComparator = .less) {
        precondition(comparator == .less || comparator == .lessOrEqual)
        self.threshold = threshold
        self.comparator = comparator
    }

    /// Whether a cell with `contributors` people is sensitive.
    @inlinable
    public func fails(contributors n: Int64) -> Bool {
        n > 0 && comparator.holds(n, threshold)
    }
}

/// (n,k) dominance on magnitude tables: sensitive when the `n` largest contributions
/// exceed `k` percent of the cell total, `sum(top n) > k/100 · X` (or `>=`; ACRO uses `>=`,
/// the handbook, tau-ARGUS and sdcTable `>`).
public struct DominanceRule: Sendable, Hashable {
    public var n: Int
    public var k: ExactRatio
    public var comparator: RuleComparator

    public init(n: Int, k: ExactRatio, comparator: RuleComparator = .greater) {
        precondition(n >= 1 && (comparator == .greater || comparator == .greaterOrEqual))
        self.n = n
        self.k = k
        self.comparator = comparator
    }

    /// Whether a cell with total `total` and largest contributions `largest` (descending) is sensitive.
    public func fails(total: Int64, largest: ArraySlice<Int64>) -> Bool {
        guard total > 0 else { return false }
        var sum: Int128 = 0
        for value in largest.prefix(n) { sum += Int128(value) }
        // sum > k/100 · X  ⇔  100 · den · sum > num · X
        return comparator.holds(100 * Int128(k.denominator) * sum, Int128(k.numerator) * Int128(total))
    }
}

/// The p% rule on magnitude tables: sensitive when `X - x1 - x2 < p/100 · x1`, that is,
/// when the second-largest contributor could estimate the largest to within p percent.
public struct PPercentRule: Sendable, Hashable {
    public var p: ExactRatio
    public var comparator: RuleComparator

    public init(p: ExactRatio, comparator: RuleComparator = .less) {
        precondition(comparator == .less || comparator == .lessOrEqual)
        self.p = p
        self.comparator = comparator
    }

    public func fails(total: Int64, largest: ArraySlice<Int64>) -> Bool {
        guard total > 0, let x1 = largest.first else { return false }
        let x2 = largest.dropFirst().first ?? 0
        let remainder = Int128(total) - Int128(x1) - Int128(x2)
        // X - x1 - x2 < p/100 · x1  ⇔  100 · den · (X - x1 - x2) < num · x1
        return comparator.holds(100 * Int128(p.denominator) * remainder, Int128(p.numerator) * Int128(x1))
    }
}

/// The (p,q) prior-posterior rule on magnitude tables: sensitive when
/// `X - x1 - x2 < (p/q) · x1` (q is how well anyone can estimate a contribution beforehand).
public struct PQRule: Sendable, Hashable {
    public var p: ExactRatio
    public var q: ExactRatio
    public var comparator: RuleComparator

    public init(p: ExactRatio, q: ExactRatio, comparator: RuleComparator = .less) {
        precondition(comparator == .less || comparator == .lessOrEqual)
        self.p = p
        self.q = q
        self.comparator = comparator
    }

    public func fails(total: Int64, largest: ArraySlice<Int64>) -> Bool {
        guard total > 0, let x1 = largest.first else { return false }
        let x2 = largest.dropFirst().first ?? 0
        let remainder = Int128(total) - Int128(x1) - Int128(x2)
        // (X - x1 - x2) < (p/q) · x1  ⇔  (X - x1 - x2) · qn · pd < pn · qd · x1
        let left = remainder * Int128(q.numerator) * Int128(p.denominator)
        let right = Int128(p.numerator) * Int128(q.denominator) * Int128(x1)
        return comparator.holds(left, right)
    }
}

/// Whether true zeros (cells nobody contributes to) may be published.
public enum ZeroPolicy: String, Sendable, Hashable, CaseIterable {
    /// A zero is published (NHS, Ofqual practice).
    case publish
    /// A zero is withheld as primary: "nobody in this ward had a health check" can disclose.
    case withhold
}

/// The primary rules of a release: which cells are sensitive in themselves.
///
/// The frequency and zero rules apply to every table (to contributor counts in magnitude
/// tables); dominance, p% and (p,q) apply to magnitude tables only.
public struct PrimaryPolicy: Sendable, Hashable {
    public var frequency: FrequencyRule?
    public var zeros: ZeroPolicy
    public var dominance: [DominanceRule]
    public var pPercent: PPercentRule?
    public var pq: PQRule?

    /// Whether any rule can withhold a cell.
    public var canWithhold: Bool { frequency != nil || zeros == .withhold || !dominance.isEmpty || pPercent != nil || pq != nil }

    public init(
        frequency: FrequencyRule? = nil, zeros: ZeroPolicy = .publish, dominance: [DominanceRule] = [],
        pPercent: PPercentRule? = nil, pq: PQRule? = nil
    ) {
        self.frequency = frequency
        self.zeros = zeros
        self.dominance = dominance
        self.pPercent = pPercent
        self.pq = pq
    }

    /// How many largest contributions the magnitude rules need per cell.
    public var topCount: Int {
        max(2, dominance.map(\.n).max() ?? 0)
    }

    /// The rules a count of `n` people fails (frequency and zeros).
    public func failures(count n: Int64) -> PrimaryRuleSet {
        if n == 0 { return zeros == .withhold ? .zero : [] }
        if let frequency, frequency.fails(contributors: n) { return .frequency }
        return []
    }

    /// The rules one cell fails.
    public func failures(of table: AggregatedTable, cell: Int) -> PrimaryRuleSet {
        let n = table.contributors(cell)
        var failed = failures(count: n)
        guard n > 0, table.measure.isMagnitude else { return failed }
        let total = table.values[cell]
        let largest = table.largest(cell)
        if dominance.contains(where: { $0.fails(total: total, largest: largest) }) { failed.insert(.dominance) }
        if let pPercent, pPercent.fails(total: total, largest: largest) { failed.insert(.pPercent) }
        if let pq, pq.fails(total: total, largest: largest) { failed.insert(.pq) }
        return failed
    }

    /// The status of every cell after the primary rules: withheld as `primary` where any rule fails.
    public func apply(to table: AggregatedTable) -> [CellStatus] {
        (0..<table.shape.cellCount).map { cell in
            let failed = failures(of: table, cell: cell)
            return CellStatus(disposition: failed.isEmpty ? .published : .primary, failed: failed)
        }
    }
}
