import DiscreetCore

/// An attacker written for the tests, independent of the production audit: the release's
/// hidden table as atoms (which cohorts a person is in) by the finest categories of every
/// dimension, every published figure an equation (or a range) over it, and an exact
/// two-phase simplex (dense tableau, Bland's rule, rationals) for the least and greatest
/// value of any sum of hidden cells.
public struct AtomAttacker {
    /// The dimensions, each a product factor of the hidden table (leaves only count).
    public let dimensions: [TableDimension]
    /// Each atom: the cohorts its people are in.
    public let atoms: [Set<Int>]
    /// Constraints: coefficients over hidden cells, and the range the sum lies in.
    public var rows: [(terms: [Int: Rational], lower: Rational, upper: Rational?)] = []

    /// Hidden cells: atom-major, then the leaves row-major.
    public var leafCount: Int { dimensions.reduce(1) { $0 * $1.leafCount } }
    public var variableCount: Int { atoms.count * leafCount }

    public init(dimensions: [TableDimension], atoms: [Set<Int>]) {
        self.dimensions = dimensions
        self.atoms = atoms
    }

    /// The leaves of each dimension under a node.
    public func leaves(_ d: Int, under node: Int) -> [Int] {
        let dim = dimensions[d]
        if dim.isLeaf(node) { return [node] }
        return dim.children[node].flatMap { leaves(d, under: $0) }
    }

    /// The hidden cells a cohort's figure at these nodes (one per dimension; totals where the
    /// figure is not broken down) sums.
    public func cells(cohort: Int, nodes: [Int]) -> [Int] {
        var combos: [[Int]] = [[]]
        for d in dimensions.indices {
            combos = combos.flatMap { prefix in leaves(d, under: nodes[d]).map { prefix + [$0] } }
        }
        var result: [Int] = []
        for (a, atom) in atoms.enumerated() where atom.contains(cohort) {
            for combo in combos {
                var leaf = 0
                for d in dimensions.indices { leaf = leaf * dimensions[d].leafCount + combo[d] }
                result.append(a * leafCount + leaf)
            }
        }
        return result
    }

    /// A figure of a cohort, as a linear form.
    public func form(cohort: Int, nodes: [Int]) -> [Int: Rational] {
        var f: [Int: Rational] = [:]
        for c in cells(cohort: cohort, nodes: nodes) { f[c] = .one }
        return f
    }

    /// A group: a cohort's figure minus others' at the same categories.
    public func form(plus: Int, minus: [Int], nodes: [Int]) -> [Int: Rational] {
        var f = form(cohort: plus, nodes: nodes)
        for m in minus { for c in cells(cohort: m, nodes: nodes) { f[c, default: .zero] -= .one } }
        return f.filter { !$0.value.isZero }
    }

    /// The attacker learns that a figure lies in [lower, upper] (upper nil: no bound).
    public mutating func know(_ form: [Int: Rational], lower: Int64, upper: Int64?) {
        rows.append((form, Rational(lower), upper.map { Rational($0) }))
    }

    /// The least and greatest value of a form over every hidden table the attacker cannot
    /// rule out (nil upper: unbounded), or nil when none fits what the attacker knows.
    public func interval(_ objective: [Int: Rational]) -> (lower: Rational, upper: Rational?)? { intervals([objective])[0] }

    /// The intervals of several forms, from one feasible basis.
    public func intervals(_ objectives: [[Int: Rational]]) -> [(lower: Rational, upper: Rational?)?] {
        // Standard form: every row sum - s = lower (s >= 0), and sum + t = upper where bounded.
        let n = variableCount
        var columns = n
        var equations: [([Int: Rational], Rational)] = []
        for row in rows {
            if let upper = row.upper, upper == row.lower {
                equations.append((row.terms, row.lower))
                continue
            }
            var lowerRow = row.terms
            lowerRow[columns] = -.one
            columns += 1
            equations.append((lowerRow, row.lower))
            if let upper = row.upper {
                var upperRow = row.terms
                upperRow[columns] = .one
                columns += 1
                equations.append((upperRow, upper))
            }
        }
        let simplex = TestSimplex(columns: columns, equations: equations)
        return objectives.map { objective in
            guard let maximum = simplex.maximise(objective), let minimum = simplex.maximise(objective.mapValues { -$0 }) else { return nil }
            return (-(minimum ?? .zero), maximum)
        }
    }
}

/// A dense two-phase simplex in exact rationals with Bland's rule (it cannot cycle), the
/// objective row kept up to date through each pivot; small problems only.
struct TestSimplex {
    var tableau: [[Rational]]
    var basis: [Int]
    let columns: Int
    /// Columns of the tableau: the variables, the artificial ones, the right-hand side.
    let width: Int
    var feasible = true

    init(columns: Int, equations: [([Int: Rational], Rational)]) {
        self.columns = columns
        let m = equations.count
        // Artificial variables columns..<columns+m; right-hand side last.
        let width = columns + m + 1
        self.width = width
        tableau = []
        basis = []
        for (i, (terms, rhs)) in equations.enumerated() {
            var row = [Rational](repeating: .zero, count: width)
            let flip = rhs < .zero
            for (j, v) in terms { row[j] = flip ? -v : v }
            row[columns + i] = .one
            row[width - 1] = flip ? -rhs : rhs
            tableau.append(row)
            basis.append(columns + i)
        }
        // Phase one: minimise the artificial variables' sum.
        var cost = [Rational](repeating: .zero, count: width - 1)
        for i in 0..<m { cost[columns + i] = -.one }
        let value = run(cost, eligible: width - 1)
        if case .some(.some(let v)) = value, v.isZero {
            // Drive artificial variables out where possible.
            for i in 0..<m where basis[i] >= columns {
                if let j = (0..<columns).first(where: { !tableau[i][$0].isZero }) { pivot(i, j, objective: nil) }
            }
        } else {
            feasible = false
        }
    }

    /// The maximum of the objective: nil when infeasible, .some(nil) when unbounded.
    func maximise(_ objective: [Int: Rational]) -> Rational?? {
        guard feasible else { return nil }
        var cost = [Rational](repeating: .zero, count: columns)
        for (j, v) in objective { cost[j] = v }
        var copy = self
        return copy.run(cost, eligible: columns)
    }

    /// Maximises cost·x from the current basis; only columns below `eligible` may enter.
    mutating func run(_ cost: [Rational], eligible: Int) -> Rational?? {
        let rhs = width - 1
        // The objective row: reduced costs, and minus the objective's value last.
        var z = [Rational](repeating: .zero, count: width)
        for j in 0..<min(cost.count, rhs) { z[j] = cost[j] }
        for (i, b) in basis.enumerated() where b < cost.count && !cost[b].isZero {
            for j in 0..<width where !tableau[i][j].isZero { z[j] -= cost[b] * tableau[i][j] }
        }
        var inBasis = Set(basis)
        while true {
            guard let entering = (0..<eligible).first(where: { !inBasis.contains($0) && z[$0] > .zero }) else { return .some(-z[rhs]) }
            var leaving = -1
            var best = Rational.zero
            for i in tableau.indices where tableau[i][entering] > .zero {
                let ratio = tableau[i][rhs] / tableau[i][entering]
                if leaving < 0 || ratio < best || (ratio == best && basis[i] < basis[leaving]) {
                    leaving = i
                    best = ratio
                }
            }
            if leaving < 0 { return .some(nil) }
            inBasis.remove(basis[leaving])
            inBasis.insert(entering)
            pivot(leaving, entering, objective: &z)
        }
    }

    mutating func pivot(_ r: Int, _ c: Int, objective: UnsafeMutablePointer<[Rational]>?) {
        let p = tableau[r][c]
        let nonZero = tableau[r].indices.filter { !tableau[r][$0].isZero }
        for j in nonZero { tableau[r][j] = tableau[r][j] / p }
        for i in tableau.indices where i != r && !tableau[i][c].isZero {
            let f = tableau[i][c]
            for j in nonZero { tableau[i][j] -= f * tableau[r][j] }
        }
        if let objective, !objective.pointee[c].isZero {
            let f = objective.pointee[c]
            for j in nonZero { objective.pointee[j] -= f * tableau[r][j] }
        }
        basis[r] = c
    }

    mutating func pivot(_ r: Int, _ c: Int, objective z: inout [Rational]) {
        withUnsafeMutablePointer(to: &z) { pivot(r, c, objective: $0) }
    }
}
