/// A linear programme in equality form: `A x = b`, `x ≥ 0`, with A sparse.
public struct LinearSystem: Sendable {
    /// Each row's non-zero coefficients: (column, value).
    public var rows: [[(column: Int, value: Rational)]]
    public var rhs: [Rational]
    public var columnCount: Int

    public init(rows: [[(column: Int, value: Rational)]], rhs: [Rational], columnCount: Int) {
        precondition(rows.count == rhs.count)
        self.rows = rows
        self.rhs = rhs
        self.columnCount = columnCount
    }
}

/// The optimum of a linear programme.
public enum LinearOptimum: Sendable, Equatable {
    case optimal(Rational)
    /// The objective grows without bound.
    case unbounded
    /// No point satisfies the constraints.
    case infeasible
}

/// The simplex method in exact rational arithmetic, in two phases. Phase one runs once;
/// each objective then starts from the last optimal basis (still feasible), which saves
/// most of the pivots when many cells of one table are bounded in turn. Pivots follow
/// Dantzig's rule, switching to Bland's rule (which cannot cycle) after a run of
/// degenerate pivots. No tolerance appears anywhere: a pivot is a pivot only when it is
/// exactly non-zero.
public struct ExactSimplex: Sendable {
    /// The feasible tableau: rows of coefficients, the right-hand side last.
    var tableau: [[Rational]]
    var basis: [Int]
    let columns: Int
    /// Whether the constraints can be met at all.
    public let feasible: Bool
    /// Degenerate pivots in a row after which Bland's rule takes over.
    static let degenerateLimit = 50

    public init(_ system: LinearSystem) {
        let m = system.rows.count
        let n = system.columnCount
        columns = n
        // Rows with a non-negative right-hand side, each with an artificial variable that
        // starts in the basis. Artificial columns are not stored: once one leaves the basis
        // it never comes back, so nothing needs its column.
        var t = [[Rational]](repeating: [Rational](repeating: .zero, count: n + 1), count: m)
        for i in 0..<m {
            let flip = system.rhs[i] < .zero
            for (j, v) in system.rows[i] { t[i][j] += flip ? -v : v }
            t[i][n] = flip ? -system.rhs[i] : system.rhs[i]
        }
        var basis = Array(n..<(n + m))
        // Phase one: maximise minus the sum of the artificial variables.
        var cost = [Rational](repeating: .zero, count: n + m)
        for i in 0..<m { cost[n + i] = -.one }
        let phaseOne = Self.optimise(&t, &basis, cost: cost, eligible: n)
        guard case .optimal(let value) = phaseOne, value.isZero else {
            tableau = []
            self.basis = []
            feasible = false
            return
        }
        // Drive the artificial variables out of the basis; a row where none can leave is redundant.
        var keep: [Int] = []
        for i in 0..<m {
            if basis[i] >= n {
                if let j = (0..<n).first(where: { !t[i][$0].isZero }) {
                    Self.pivot(&t, &basis, row: i, column: j)
                } else {
                    continue
                }
            }
            keep.append(i)
        }
        tableau = keep.map { t[$0] }
        self.basis = keep.map { basis[$0] }
        feasible = true
    }

    /// The maximum of `objective · x` over the feasible region. The optimal basis is kept
    /// as the start for the next call.
    public mutating func maximize(_ objective: [(column: Int, value: Rational)]) -> LinearOptimum {
        guard feasible else { return .infeasible }
        var cost = [Rational](repeating: .zero, count: columns)
        for (j, v) in objective { cost[j] += v }
        return Self.optimise(&tableau, &basis, cost: cost, eligible: columns)
    }

    /// Runs the simplex method on a feasible tableau (rhs in the last column); only columns
    /// below `eligible` may enter the basis.
    static func optimise(_ t: inout [[Rational]], _ basis: inout [Int], cost: [Rational], eligible: Int) -> LinearOptimum {
        let m = t.count
        let width = t.first?.count ?? 1
        let rhs = width - 1
        // The objective row: reduced costs d_j = c_j − c_B·column_j, and −(objective value).
        var z = [Rational](repeating: .zero, count: width)
        for j in 0..<min(cost.count, rhs) { z[j] = cost[j] }
        for i in 0..<m where basis[i] < cost.count && !cost[basis[i]].isZero {
            let cb = cost[basis[i]]
            for j in 0..<width where !t[i][j].isZero { z[j] -= cb * t[i][j] }
        }
        var degenerate = 0
        while true {
            var entering = -1
            if degenerate < degenerateLimit {
                // Dantzig: the largest reduced cost.
                for j in 0..<eligible where z[j].signum > 0 && (entering < 0 || z[entering] < z[j]) { entering = j }
            } else {
                // Bland: the first positive reduced cost.
                entering = (0..<eligible).first { z[$0].signum > 0 } ?? -1
            }
            if entering < 0 { return .optimal(-z[rhs]) }
            // Ratio test; ties go to the smallest basic variable.
            var leaving = -1
            var best = Rational.zero
            for i in 0..<m where t[i][entering].signum > 0 {
                let ratio = t[i][rhs] / t[i][entering]
                if leaving < 0 || ratio < best || (ratio == best && basis[i] < basis[leaving]) {
                    leaving = i
                    best = ratio
                }
            }
            if leaving < 0 { return .unbounded }
            degenerate = best.isZero ? degenerate + 1 : 0
            pivot(&t, &basis, row: leaving, column: entering)
            let f = z[entering]
            for j in 0..<width where !t[leaving][j].isZero { z[j] -= f * t[leaving][j] }
        }
    }

    static func pivot(_ t: inout [[Rational]], _ basis: inout [Int], row r: Int, column c: Int) {
        var pivotRow = t[r]
        let p = pivotRow[c]
        let nonZero = pivotRow.indices.filter { !pivotRow[$0].isZero }
        if p != .one {
            let inverse = .one / p
            for j in nonZero { pivotRow[j] = pivotRow[j] * inverse }
        }
        t[r] = pivotRow
        pivotRow.withUnsafeBufferPointer { source in
            for i in t.indices where i != r && !t[i][c].isZero {
                let f = t[i][c]
                t[i].withUnsafeMutableBufferPointer { row in
                    for j in nonZero { row[j] -= f * source[j] }
                }
            }
        }
        basis[r] = c
    }
}
