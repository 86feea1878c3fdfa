/// What a release shows for one cell, and so what an attacker learns from it.
public enum PublishedFigure: Sendable, Hashable {
    /// The true value.
    case exact(Int64)
    /// A rounded figure; the true value lies in `bounds`. `notZero` marks a figure that
    /// rounds to 0 from a value that is not 0, where the release says so.
    case rounded(Int64, bounds: CellBounds, notZero: Bool)
    /// Withheld, but shown as a small count: the true value lies in `bounds` (1 to the
    /// largest count the frequency rule calls small).
    case small(bounds: CellBounds)
    /// Withheld; the true value lies in `bounds` where the release tells that much (a
    /// withheld count is at least 1 where zeros are published).
    case withheld(bounds: CellBounds?)
    /// A differentially private figure: the true value plus noise (and post-processing).
    /// It lies within `errorBound` of the true value with the release's stated confidence,
    /// which is a statement about the noise, not a range an attacker can rely on.
    case noisy(Int64, errorBound: Int64)

    /// The figure a release writes, or nil when withheld.
    public var value: Int64? {
        switch self {
        case .exact(let v), .rounded(let v, _, _), .noisy(let v, _): return v
        case .small, .withheld: return nil
        }
    }

    /// What the figure tells an attacker about the true value, when it is not exact (nil
    /// for a noisy figure: noise bounds nothing for certain).
    public var bounds: CellBounds? {
        switch self {
        case .rounded(_, let b, _), .small(let b): return b
        case .withheld(let b): return b
        case .exact, .noisy: return nil
        }
    }
}

/// A table's rounding: what its rounded figures tell, and per cell the rounded figure
/// where it applies.
public struct TableRounding: Sendable {
    public var rules: RoundedFigureRules
    /// Per cell, the figure published instead of the true value.
    public var values: [Int64]
    /// Per cell, whether the cell is rounded.
    public var rounded: [Bool]

    public init(rules: RoundedFigureRules, values: [Int64], rounded: [Bool]) {
        self.rules = rules
        self.values = values
        self.rounded = rounded
    }

    public var policy: RoundingPolicy { rules.policy }
}

/// A table's differentially private figures: per cell, the noisy figure published in place
/// of the true value, and the bound its error stays within with the release's confidence.
public struct TableNoise: Sendable {
    public var values: [Int64]
    public var errorBounds: [Int64]
    /// Per cell, the bound at half the chance of being exceeded: a percentage's interval
    /// takes its numerator's and its denominator's, so that both hold together with the
    /// release's confidence.
    public var halfChanceBounds: [Int64]
    /// Per cell, whether its noisy figure is below the release's threshold and shown as
    /// withheld (post-processing of the noisy figure, never of the true value).
    public var belowThreshold: [Bool]
    /// Whether the figures are perturbed by the cell key method: each cell on its own (its
    /// margins do not add up), and its bound the table's largest perturbation, a certainty
    /// rather than a confidence.
    public var perturbed = false

    public init(values: [Int64], errorBounds: [Int64], halfChanceBounds: [Int64]? = nil, belowThreshold: [Bool]? = nil) {
        precondition(values.count == errorBounds.count)
        self.values = values
        self.errorBounds = errorBounds
        self.halfChanceBounds = halfChanceBounds ?? errorBounds
        self.belowThreshold = belowThreshold ?? [Bool](repeating: false, count: values.count)
        precondition(self.halfChanceBounds.count == values.count && self.belowThreshold.count == values.count)
    }

    /// The figures post-processed to `values`: each bound grows by its figure's move, since
    /// |new − true| ≤ |new − old| + |old − true|, at the same confidence.
    public func moved(to values: [Int64]) -> TableNoise {
        precondition(values.count == self.values.count)
        func grown(_ bounds: [Int64]) -> [Int64] {
            bounds.indices.map { i in
                let move = (values[i] - self.values[i]).magnitude
                return move > UInt64(Int64.max - bounds[i]) ? .max : bounds[i] + Int64(move)
            }
        }
        var moved = TableNoise(values: values, errorBounds: grown(errorBounds), halfChanceBounds: grown(halfChanceBounds), belowThreshold: belowThreshold)
        moved.perturbed = perturbed
        return moved
    }

    /// The figures with each one below `threshold` withheld.
    public func withholding(below threshold: Int64) -> TableNoise {
        TableNoise(values: values, errorBounds: errorBounds, halfChanceBounds: halfChanceBounds, belowThreshold: values.map { $0 < threshold })
    }
}

/// A table with the protection status of every cell: what a release publishes is the
/// true value (or its rounded figure) of published cells and nothing of withheld ones.
public struct ProtectedTable: Sendable {
    public var name: String
    /// The true values. Withheld values never leave this type except through ``published(_:)``.
    public let data: AggregatedTable
    public var statuses: [CellStatus]
    /// The rounding applied to published counts, if any.
    public var rounding: TableRounding?
    /// Where small counts withheld by the frequency rule are shown as such ("fewer than
    /// 5"): the largest small count. Nil when they are shown as withheld like the others.
    public var smallCountsUpTo: Int64?
    /// The least count anyone can tell a withheld cell of a count table has (see
    /// ``SuppressionProblem/withheldCountsAtLeast``).
    public var withheldCountsAtLeast: Int64
    /// The noisy figures of a differentially private release: every cell publishes its
    /// noisy figure, none its true value.
    public var noise: TableNoise?

    public init(
        name: String, data: AggregatedTable, statuses: [CellStatus], rounding: TableRounding? = nil, smallCountsUpTo: Int64? = nil,
        withheldCountsAtLeast: Int64 = 0, noise: TableNoise? = nil
    ) {
        precondition(statuses.count == data.shape.cellCount)
        precondition(rounding.map { $0.values.count == statuses.count } ?? true)
        precondition(noise.map { $0.values.count == statuses.count && rounding == nil } ?? true)
        self.noise = noise
        self.name = name
        self.data = data
        self.statuses = statuses
        self.rounding = rounding
        self.smallCountsUpTo = smallCountsUpTo
        self.withheldCountsAtLeast = withheldCountsAtLeast
    }

    /// Applies the primary rules to a table.
    public init(name: String, data: AggregatedTable, primary: PrimaryPolicy) {
        self.init(name: name, data: data, statuses: primary.apply(to: data))
    }

    /// What the release shows for a cell.
    public func figure(_ cell: Int) -> PublishedFigure {
        if let noise {
            return noise.belowThreshold[cell] ? .withheld(bounds: nil) : .noisy(noise.values[cell], errorBound: noise.errorBounds[cell])
        }
        let status = statuses[cell]
        if status.disposition.isWithheld {
            if let upper = smallCountsUpTo, Self.showsAsSmall(status, measure: data.measure) {
                return .small(bounds: CellBounds(lower: 1, upper: upper))
            }
            let counts = !data.measure.isMagnitude && withheldCountsAtLeast > 0
            return .withheld(bounds: counts ? CellBounds(lower: withheldCountsAtLeast) : nil)
        }
        if let rounding, rounding.rounded[cell] {
            let r = rounding.values[cell]
            let notZero = rounding.rules.marksNotZero && r == 0 && data.values[cell] > 0
            return .rounded(r, bounds: rounding.rules.stated(figure: r, trueValue: data.values[cell]), notZero: notZero)
        }
        return .exact(data.values[cell])
    }

    /// Whether a withheld cell with this status is shown as a small count where small counts
    /// are shown: a count withheld for the frequency rule alone.
    public static func showsAsSmall(_ status: CellStatus, measure: Measure) -> Bool {
        status.disposition == .primary && status.failed == .frequency && !measure.isMagnitude
    }

    public var shape: TableShape { data.shape }

    /// The value of a cell as published (rounded where the table is), or nil when withheld.
    @inlinable
    public func published(_ cell: Int) -> Int64? {
        if let noise { return noise.belowThreshold[cell] ? nil : noise.values[cell] }
        if statuses[cell].disposition.isWithheld { return nil }
        if let rounding, rounding.rounded[cell] { return rounding.values[cell] }
        return data.values[cell]
    }

    /// The status written in outputs: `published`, `rounded`, `primary` or `secondary`; in
    /// a release with noise, `noisy` or `below_threshold`; with the cell key method, `perturbed`.
    public func statusName(_ cell: Int) -> String {
        if let noise { return noise.belowThreshold[cell] ? "below_threshold" : noise.perturbed ? "perturbed" : "noisy" }
        if !statuses[cell].disposition.isWithheld, let rounding, rounding.rounded[cell] { return "rounded" }
        return statuses[cell].disposition.description
    }

    /// The contributor count of a magnitude cell as published (only where the cell is).
    public func publishedContributors(_ cell: Int) -> Int64? {
        statuses[cell].disposition.isWithheld || noise != nil ? nil : data.contributors(cell)
    }

    /// How many published cells are rounded.
    public var roundedCount: Int {
        guard let rounding else { return 0 }
        return (0..<shape.cellCount).reduce(0) { $0 + (rounding.rounded[$1] && !statuses[$1].disposition.isWithheld ? 1 : 0) }
    }

    /// How many cells have each disposition.
    public var dispositionCounts: [CellDisposition: Int] {
        var counts: [CellDisposition: Int] = [:]
        for s in statuses { counts[s.disposition, default: 0] += 1 }
        return counts
    }

    /// Information lost: the share of the table's cells withheld, and the share of its
    /// grand total that sits in withheld inner cells (what a reader can no longer place).
    public var informationLoss: (cells: Double, total: Double) {
        let withheld = statuses.reduce(0) { $0 + ($1.disposition.isWithheld ? 1 : 0) }
        let grand = data.values[shape.cellCount - 1]
        return (Double(withheld) / Double(shape.cellCount), grand > 0 ? Double(valueWithheld) / Double(grand) : 0)
    }

    /// The sum of the withheld inner cells' values (people, for a count table): the part of
    /// the grand total a reader can no longer place.
    public var valueWithheld: Int64 {
        var hidden: Int64 = 0
        for cell in shape.innerToFull() where statuses[cell].disposition.isWithheld { hidden += data.values[cell] }
        return hidden
    }

    /// Withheld cells by level: index 0 counts the inner cells, 1 the margins one level up
    /// (the total of a flat dimension, or a district of wards), and so on up to the grand
    /// total. A cell's level is the sum, over its dimensions, of how many levels its
    /// category lies above the finest ones (the longest way down to a leaf).
    public var withheldByLevel: [Int] {
        let heights = shape.dimensions.map { dim in
            var height = [Int](repeating: 0, count: dim.nodeCount)
            for node in dim.rollUpOrder { height[node] = 1 + (dim.children[node].map { height[$0] }.max() ?? 0) }
            return height
        }
        var result = [Int](repeating: 0, count: 1 + heights.reduce(0) { $0 + ($1.last ?? 0) })
        for cell in 0..<shape.cellCount where statuses[cell].disposition.isWithheld {
            let level = zip(heights, shape.nodes(of: cell)).reduce(0) { $0 + $1.0[$1.1] }
            result[level] += 1
        }
        return result
    }

    /// How many cells failed each primary rule.
    public var ruleCounts: [(name: String, cells: Int)] {
        PrimaryRuleSet.named.map { rule in (rule.name, statuses.reduce(0) { $0 + ($1.failed.contains(rule.rule) ? 1 : 0) }) }
    }
}

/// The percentages of an indicator, cell by cell, from the published figures.
public struct IndicatorFigures: Sendable {
    /// The tables (indices into the release's tables) of the numerator and denominator.
    public var numerator: Int
    public var denominator: Int
    public var decimals: Int
    public var percentages: [PublishedPercentage]
    /// Where the figures are noisy: per cell, the interval (scaled as the percentage) the
    /// true percentage lies in with the release's confidence; nil where no percentage is.
    public var intervals: [ClosedRange<Int64>?]?

    /// Cells where the true numerator exceeds the true denominator: an error in the spec
    /// (the numerator cohort is not inside the denominator cohort) or in the data.
    public static func inconsistentCells(numerator: AggregatedTable, denominator: AggregatedTable) -> [Int] {
        precondition(numerator.shape == denominator.shape)
        return (0..<numerator.shape.cellCount).filter { numerator.values[$0] > denominator.values[$0] }
    }

    /// Computes every cell's percentage from what the two tables publish.
    ///
    /// - Parameters:
    ///   - decimals: decimal places of the percentages.
    ///   - wholeBelow: where the published denominator is below this, whole numbers
    ///     instead (NHS: one decimal place only from a denominator of 4,000).
    /// - Throws: ``PercentageOverflow`` when a published numerator exceeds its published
    ///   denominator and neither is rounded. Two figures rounded apart (random or
    ///   controlled rounding of two cohorts) can cross; that percentage is withheld.
    public init(numerator: Int, denominator: Int, tables: [ProtectedTable], decimals: Int, wholeBelow: Int64? = nil) throws(PercentageOverflow) {
        let n = tables[numerator]
        let d = tables[denominator]
        precondition(n.shape == d.shape)
        self.numerator = numerator
        self.denominator = denominator
        self.decimals = decimals
        var percentages: [PublishedPercentage] = []
        percentages.reserveCapacity(n.shape.cellCount)
        var intervals: [ClosedRange<Int64>?] = []
        let noisy = n.noise != nil || d.noise != nil
        for cell in 0..<n.shape.cellCount {
            var top = n.published(cell)
            let bottom = d.published(cell)
            // Noise drawn apart can put a numerator below 0 or above its denominator: the
            // percentage of the noisy figures is taken within 0 to 100 (post-processing).
            if noisy, let t = top, let b = bottom { top = b > 0 ? min(max(t, 0), b) : b }
            let places = wholeBelow.map { (bottom ?? 0) < $0 ? 0 : decimals } ?? decimals
            if noisy, let nn = n.noise, let dn = d.noise, !nn.belowThreshold[cell], !dn.belowThreshold[cell] {
                intervals.append(Self.interval(
                    numerator: nn.values[cell], numeratorBound: nn.halfChanceBounds[cell], denominator: dn.values[cell],
                    denominatorBound: dn.halfChanceBounds[cell], decimals: places))
            } else if noisy {
                intervals.append(nil)
            }
            do {
                percentages.append(try Percentage.of(numerator: top, denominator: bottom, decimals: places))
            } catch {
                guard n.rounding?.rounded[cell] == true || d.rounding?.rounded[cell] == true else { throw error }
                percentages.append(.withheld)
            }
        }
        self.percentages = percentages
        self.intervals = noisy ? intervals : nil
    }

    /// The interval of the true percentage n/d (n ≤ d) where the true numerator is within
    /// `numeratorBound` of its noisy figure and the true denominator within
    /// `denominatorBound` of its: at least (n − bn)/(d + bd), at most (n + bn)/(d − bd), and
    /// within 0 to 100; scaled by 10^decimals, the lower end rounded down and the upper up.
    /// Nil where the denominator's interval holds only 0, so no percentage can be.
    static func interval(numerator: Int64, numeratorBound: Int64, denominator: Int64, denominatorBound: Int64, decimals: Int) -> ClosedRange<Int64>? {
        let scale = Int128(ScaledDecimal.unit(decimals))
        let full = 100 * scale
        let (n, bn, d, bd) = (Int128(numerator), Int128(numeratorBound), Int128(denominator), Int128(denominatorBound))
        guard d + bd > 0 else { return nil }
        let lowNumerator = max(n - bn, 0)
        let lower = min(lowNumerator * full / (d + bd), full)
        var upper = full
        if d - bd > 0 {
            let high = max(n + bn, 0) * full
            upper = min((high + (d - bd) - 1) / (d - bd), full)
        }
        return Int64(lower)...Int64(max(lower, upper))
    }
}
