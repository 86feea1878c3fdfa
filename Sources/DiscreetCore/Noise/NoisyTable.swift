/// What is done to noisy figures after the noise is drawn. Post-processing reads nothing
/// but the noisy figures, so it spends no privacy budget.
public enum NoisePostProcessing: String, Sendable, Hashable, CaseIterable {
    /// Unbiased whole numbers, which may be negative; every margin the sum of its children.
    case raw
    /// Whole numbers that are not negative and still add up (``ConsistentCounts``).
    case nonNegative = "non_negative"
}

/// A cohort's table under noise: the noise drawn once for its finest cells (each person is
/// in one of them, so one draw per cell is a query of sensitivity 1), every margin the sum
/// of its cells, the post-processing, and each figure's error bound.
///
/// The bound of a raw figure is the (1 − α) bound of the sum of the draws it adds up
/// (``CountNoise/errorBound(cells:alpha:)``). Post-processing moves a figure by an amount
/// anyone can compute from the noisy figures, so the bound of a post-processed figure is
/// its raw bound plus that move: |clean − true| ≤ |clean − raw| + |raw − true|, at the
/// same confidence.
public enum NoisyTable {
    /// The noisy table and its bounds.
    ///
    /// - Parameters:
    ///   - counts: the true counts, every cell of `shape` (margins included).
    ///   - alpha: the chance that a figure's error exceeds its bound.
    ///   - words: the random words of chunk k of the draws (see ``NoiseDraws``).
    /// - Returns: the figures, and whether controlled rounding fell back to nearest rounding.
    public static func measure(
        _ counts: [Int64], shape: TableShape, noise: CountNoise, postProcessing: NoisePostProcessing, alpha: Double, threads: Int,
        words: @Sendable (Int) -> RandomWords
    ) -> (figures: TableNoise, roundedByNearest: Bool) {
        let raw = NoisyCounts.measure(counts, shape: shape, noise: noise, threads: threads, words: words)
        var values = raw
        var nearest = false
        if postProcessing == .nonNegative {
            let clean = ConsistentCounts.nonNegative(raw, shape: shape)
            values = clean.values
            nearest = clean.roundedByNearest
        }
        func stated(_ alpha: Double) -> [Int64] {
            zip(errorBounds(shape: shape, noise: noise, alpha: alpha), zip(values, raw)).map { bound, figures in
                bound + (figures.0 - figures.1).magnitude.clampedToInt64
            }
        }
        return (TableNoise(values: values, errorBounds: stated(alpha), halfChanceBounds: stated(alpha / 2)), nearest)
    }

    /// Per cell of `shape`, the whole-number (1 − α) bound of the raw noise of its figure.
    public static func errorBounds(shape: TableShape, noise: CountNoise, alpha: Double) -> [Int64] {
        var known: [Int: Int64] = [:]
        return NoisyCounts.innerCells(shape).map { cells in
            if let b = known[cells] { return b }
            let b = Int64(noise.errorBound(cells: cells, alpha: alpha).rounded(.up))
            known[cells] = b
            return b
        }
    }
}

/// A cohort's table noised level by level and reconciled (the setting `strategy: levels`):
/// every published figure, margins included, gets its own draw, and the least-squares fit to
/// all of them, not negative, rounded under control, makes them add up again (as the US
/// Census 2020 TopDown algorithm did). A margin then carries the noise of one draw instead of
/// the sum of its cells' draws.
///
/// One person is in every published cell that covers their finest cell: at most
/// ``sensitivity(shape:observed:)`` of them, L. The draws are a query of L1 sensitivity L and
/// L2 sensitivity √L: the budget of a sensitivity-1 count divided by L (ε/L, ρ/L), which the
/// caller's `noise` already is.
public enum ReconciledTable {
    /// The most published cells any finest cell lies under: the query's sensitivity.
    public static func sensitivity(shape: TableShape, observed: [Bool]) -> Int {
        var covering = observed.map { $0 ? 1 : 0 }
        shape.rollDown { covering[$0] += covering[$1] }
        return shape.innerToFull().map { covering[$0] }.max() ?? 0
    }

    /// The reconciled table and each published figure's bound: the bound of its own draw plus
    /// the reconciliation's move from it (|clean − true| ≤ |clean − noisy| + |noisy − true|).
    /// Cells not observed get the bound 0: they are not published.
    ///
    /// - Parameter words: the random words of chunk k of the draws (see ``NoiseDraws``).
    public static func measure(
        _ counts: [Int64], shape: TableShape, observed: [Bool], noise: CountNoise, alpha: Double, threads: Int, words: @Sendable (Int) -> RandomWords
    ) -> (figures: TableNoise, roundedByNearest: Bool) {
        precondition(counts.count == shape.cellCount && observed.count == shape.cellCount)
        let cells = observed.indices.filter { observed[$0] }
        let draws = NoiseDraws.draw(count: cells.count, threads: threads, words: words, noise.sampler())
        var noisy = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in cells.enumerated() { noisy[cell] = counts[cell] + draws[i] }
        let clean = ConsistentCounts.nonNegative(noisy, shape: shape, observed: observed)
        func bounds(_ alpha: Double) -> [Int64] {
            let own = Int64(noise.errorBound(cells: 1, alpha: alpha).rounded(.up))
            return (0..<shape.cellCount).map { observed[$0] ? own + (clean.values[$0] - noisy[$0]).magnitude.clampedToInt64 : 0 }
        }
        return (TableNoise(values: clean.values, errorBounds: bounds(alpha), halfChanceBounds: bounds(alpha / 2)), clean.roundedByNearest)
    }
}

extension UInt64 {
    fileprivate var clampedToInt64: Int64 { self > UInt64(Int64.max) ? .max : Int64(self) }
}
