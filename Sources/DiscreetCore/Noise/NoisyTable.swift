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

extension UInt64 {
    fileprivate var clampedToInt64: Int64 { self > UInt64(Int64.max) ? .max : Int64(self) }
}
