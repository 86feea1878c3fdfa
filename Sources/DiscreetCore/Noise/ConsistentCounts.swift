/// Post-processing of a noisy table into whole numbers that are not negative and add up:
/// every margin the sum of its children. It reads nothing but the noisy figures, so it spends
/// no privacy budget.
///
/// Clamping each negative inner cell to 0 would add up, but every margin would then be
/// biased upward by the negative noise it lost. Instead, as the US Census 2020 TopDown
/// algorithm did, the table is the least-squares fit to every noisy figure, margins
/// included: inner cells z ≥ 0 minimising Σ over all cells c of (Σ of z under c − noisy c)²,
/// so that a margin stays near its unbiased noisy value and what a clamped cell gains is
/// taken from its neighbours. Then controlled rounding, as rounding policies do it
/// (``CohortRounding``: the network where the table is one, else the search), makes every
/// figure a whole number next to the fit, still adding up.
public enum ConsistentCounts {
    /// The post-processed table, and whether controlled rounding could not be applied (the
    /// inner cells were then rounded to the nearest whole number and the margins summed:
    /// they add up and are not negative, but a margin may be further from the fit).
    public struct Result: Sendable, Equatable {
        public var values: [Int64]
        public var roundedByNearest: Bool
    }

    /// The scale of the fit's fractions before controlled rounding (a multiple of the scale
    /// rounds to itself). Each inner cell's scaled fit is rounded to a whole number first,
    /// so a margin over n cells can drift by about √n / (3.5·scale) from the fit: 0.3 for
    /// 90,000 cells. Larger scales drift less and round more slowly (1,024: 0.08, and the
    /// rounding of a 96,000-cell table takes 11 s instead of 7 s; 16: 5, under 1 s).
    static let scale: Int64 = 1 << 8

    /// The non-negative whole-number table that adds up nearest `noisy` (every cell of
    /// `shape`, margins included, consistent as ``NoisyCounts/measure(_:shape:noise:threads:words:)``
    /// makes it). A table with no negative cell comes back unchanged.
    ///
    /// With `observed`, only the cells it marks are noisy figures to fit (the others, margins
    /// or inner cells, are not measured): the fit is the least-squares one over those.
    public static func nonNegative(_ noisy: [Int64], shape: TableShape, observed: [Bool]? = nil, iterations: Int = 2_000) -> Result {
        precondition(noisy.count == shape.cellCount, "one figure per cell of the table")
        precondition(observed.map { $0.count == shape.cellCount } ?? true, "one mark per cell of the table")
        let fit = leastSquares(noisy, shape: shape, observed: observed, iterations: iterations)
        var scaled = [Int64](repeating: 0, count: shape.cellCount)
        let inner = shape.innerToFull()
        for (i, cell) in inner.enumerated() { scaled[cell] = Int64((fit[i] * Double(scale)).rounded()) }
        shape.rollUp { scaled[$0] += scaled[$1] }
        let whole = (shape: shape, cells: Array(0..<shape.cellCount))
        let noneWithheld = [Bool](repeating: false, count: shape.cellCount)
        if case .rounded(let rounded, _) = CohortRounding.controlled(values: scaled, withheld: noneWithheld, tables: [whole], base: scale) {
            return Result(values: rounded.map { $0 / scale }, roundedByNearest: false)
        }
        var values = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in inner.enumerated() { values[cell] = Int64(fit[i].rounded()) }
        shape.rollUp { values[$0] += values[$1] }
        return Result(values: values, roundedByNearest: true)
    }

    /// The least-squares fit, per inner cell (in inner-cell order): projected gradient with
    /// Nesterov's acceleration (FISTA), each step of size 1/L with L a bound on the largest
    /// eigenvalue of the sums' Gram matrix (the product over dimensions of each hierarchy's
    /// largest row sum), clamped at 0; from the noisy table clamped at 0, until no cell
    /// moves by a thousandth or `iterations` run out. Every step is a fixed sequence of
    /// floating-point operations: the same input, the same fit. (Coordinate descent took
    /// more than 500 sweeps on a 96,000-cell table and still moved cells by a tenth: a grand
    /// total couples every cell. This converges there in about 2,000 iterations, 2.5 ms
    /// each; after 300 its objective is within 1.5% of the least.)
    ///
    /// With `observed`, only the marked cells have residuals; an inner cell not observed starts
    /// at 0 and takes what the margins over it ask.
    static func leastSquares(_ noisy: [Int64], shape: TableShape, observed: [Bool]? = nil, iterations: Int) -> [Double] {
        let inner = shape.innerToFull()
        var z = inner.map { observed?[$0] == false ? 0 : Double(max(0, noisy[$0])) }
        // A consistent noisy table (every margin the sum of its cells, as without `observed`)
        // with no negative cell is its own fit. Figures measured apart are not consistent.
        if observed == nil, !inner.contains(where: { noisy[$0] < 0 }) { return z }
        let target = noisy.map(Double.init)
        let weight = (observed ?? [Bool](repeating: true, count: shape.cellCount)).map { $0 ? 1.0 : 0.0 }
        // L: per dimension, the most any leaf's chain of ancestors covers in leaves.
        var lipschitz = 1.0
        for dim in shape.dimensions {
            var leaves = [Double](repeating: 0, count: dim.nodeCount)
            for leaf in 0..<dim.leafCount {
                var node = leaf
                while node >= 0 {
                    leaves[node] += 1
                    node = dim.parents[node]
                }
            }
            var most = 0.0
            for leaf in 0..<dim.leafCount {
                var sum = 0.0
                var node = leaf
                while node >= 0 {
                    sum += leaves[node]
                    node = dim.parents[node]
                }
                most = max(most, sum)
            }
            lipschitz *= most
        }
        let figures = UnsafeMutableBufferPointer<Double>.allocate(capacity: shape.cellCount)
        defer { figures.deallocate() }
        var g = [Double](repeating: 0, count: inner.count)
        /// The gradient at `w` into `g`: per inner cell, the residuals of every cell covering it.
        func gradient(_ w: [Double]) {
            let f = figures.baseAddress!
            for c in 0..<shape.cellCount { f[c] = 0 }
            for (i, cell) in inner.enumerated() { f[cell] = w[i] }
            shape.rollUp { f[$0] += f[$1] }
            for c in 0..<shape.cellCount { f[c] = (f[c] - target[c]) * weight[c] }
            shape.rollDown { f[$0] += f[$1] }
            for (i, cell) in inner.enumerated() { g[i] = f[cell] }
        }
        var w = z
        var t = 1.0
        for _ in 0..<iterations {
            gradient(w)
            var next = z
            var largest = 0.0
            for i in z.indices {
                next[i] = max(0, w[i] - g[i] / lipschitz)
                largest = max(largest, abs(next[i] - z[i]))
            }
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            for i in z.indices { w[i] = next[i] + (t - 1) / tNext * (next[i] - z[i]) }
            z = next
            t = tNext
            if largest < 1e-3 { break }
        }
        return z
    }
}

extension TableShape {
    /// The reverse of ``rollUp(_:)``: `accumulate(child, parent)` for every cell and each
    /// dimension's parent, parents before children, so that accumulating a cell's value into
    /// its child leaves each inner cell the sum over every cell that covers it.
    func rollDown(_ accumulate: (_ target: Int, _ source: Int) -> Void) {
        for d in dimensions.indices {
            let dim = dimensions[d]
            guard dim.nodeCount > dim.leafCount else { continue }
            let stride = strides[d]
            let outer = cellCount / (dim.nodeCount * stride)
            for node in dim.displayOrder where node != dim.total {
                let parent = dim.parents[node]
                for o in 0..<outer {
                    let base = o * dim.nodeCount * stride
                    for s in 0..<stride { accumulate(base + node * stride + s, base + parent * stride + s) }
                }
            }
        }
    }
}
