/// Post-processing of a noisy table into whole numbers that are not negative and add up:
/// every margin the sum of its children. It reads nothing but the noisy figures, so it spends
/// no privacy budget.
///
/// Clamping each negative inner cell to 0 would add up, but every margin would then be
/// biased upward by the negative noise it lost. Instead, as the US Census 2020 TopDown
/// algorithm did, the table is the least-squares fit to every noisy figure, margins
/// included: inner cells z ≥ 0 minimising Σ over all cells c of (Σ of z under c − noisy c)²,
/// so that a margin stays near its unbiased noisy value and what a clamped cell gains is
/// taken from its neighbours. Then controlled rounding (``ControlledRounding``, or
/// ``ControlledRoundingSearch`` for three or more dimensions) makes every figure a whole
/// number next to the fit, still adding up.
public enum ConsistentCounts {
    /// The post-processed table, and whether controlled rounding could not be applied (the
    /// inner cells were then rounded to the nearest whole number and the margins summed:
    /// they add up and are not negative, but a margin may be further from the fit).
    public struct Result: Sendable, Equatable {
        public var values: [Int64]
        public var roundedByNearest: Bool
    }

    /// The scale of the fit's fractions before controlled rounding (a multiple of the scale
    /// rounds to itself).
    static let scale: Int64 = 1 << 10

    /// The non-negative whole-number table that adds up nearest `noisy` (every cell of
    /// `shape`, margins included, consistent as ``NoisyCounts/measure(_:shape:noise:threads:words:)``
    /// makes it). A table with no negative cell comes back unchanged.
    public static func nonNegative(_ noisy: [Int64], shape: TableShape, sweeps: Int = 500) -> Result {
        precondition(noisy.count == shape.cellCount, "one figure per cell of the table")
        let fit = leastSquares(noisy, shape: shape, sweeps: sweeps)
        var scaled = [Int64](repeating: 0, count: shape.cellCount)
        let inner = shape.innerToFull()
        for (i, cell) in inner.enumerated() { scaled[cell] = Int64((fit[i] * Double(scale)).rounded()) }
        shape.rollUp { scaled[$0] += scaled[$1] }
        var rounded: [Int64]?
        if shape.dimensions.count <= 2, let r = ControlledRounding.round(scaled, shape: shape, base: scale) {
            rounded = r
        } else if case .rounded(let r, _) = ControlledRoundingSearch.round(
            values: scaled, scope: Array(0..<shape.cellCount), relations: shape.relations(), base: scale)
        {
            rounded = r
        }
        if let rounded { return Result(values: rounded.map { $0 / scale }, roundedByNearest: false) }
        var values = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in inner.enumerated() { values[cell] = Int64(fit[i].rounded()) }
        shape.rollUp { values[$0] += values[$1] }
        return Result(values: values, roundedByNearest: true)
    }

    /// The least-squares fit, per inner cell (in inner-cell order): coordinate descent, each
    /// step the exact minimiser along one inner cell clamped at 0, in a fixed order (the same
    /// input, the same fit), until no cell moves by a millionth or `sweeps` run out.
    static func leastSquares(_ noisy: [Int64], shape: TableShape, sweeps: Int) -> [Double] {
        let inner = shape.innerToFull()
        // Per dimension and leaf, the leaf and its ancestors up to the total.
        let chains: [[[Int]]] = shape.dimensions.map { dim in
            (0..<dim.leafCount).map { leaf in
                var chain = [leaf]
                while dim.parents[chain.last!] >= 0 { chain.append(dim.parents[chain.last!]) }
                return chain
            }
        }
        /// Every cell that sums inner cell `cell` (itself included).
        func covering(_ cell: Int) -> [Int] {
            var cells = [0]
            for (d, node) in shape.nodes(of: cell).enumerated() {
                cells = cells.flatMap { base in chains[d][node].map { base + $0 * shape.strides[d] } }
            }
            return cells
        }
        var z = inner.map { Double(max(0, noisy[$0])) }
        // Residuals: the fit's figure minus the noisy one, per cell.
        var fitted = [Double](repeating: 0, count: shape.cellCount)
        for (i, cell) in inner.enumerated() { fitted[cell] = z[i] }
        shape.rollUp { fitted[$0] += fitted[$1] }
        var residual = (0..<shape.cellCount).map { fitted[$0] - Double(noisy[$0]) }
        guard residual.contains(where: { $0 != 0 }) else { return z }
        let covers = inner.map(covering)
        for _ in 0..<sweeps {
            var largest = 0.0
            for i in inner.indices {
                let gradient = covers[i].reduce(0.0) { $0 + residual[$1] }
                let next = max(0, z[i] - gradient / Double(covers[i].count))
                let step = next - z[i]
                guard step != 0 else { continue }
                z[i] = next
                for c in covers[i] { residual[c] += step }
                largest = max(largest, abs(step))
            }
            if largest < 1e-6 { break }
        }
        return z
    }
}
