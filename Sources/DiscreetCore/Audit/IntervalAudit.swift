/// What an attacker knows of a cell beyond non-negativity: a least and a greatest value
/// (in the quantity's units), either possibly unknown.
public struct CellBounds: Sendable, Hashable {
    public var lower: Int64?
    public var upper: Int64?

    public init(lower: Int64? = nil, upper: Int64? = nil) {
        self.lower = lower
        self.upper = upper
    }
}

/// The values an attacker cannot rule out for a withheld cell.
public struct FeasibilityInterval: Sendable, Hashable, CustomStringConvertible {
    public var lower: Rational
    /// nil when nothing bounds the cell from above.
    public var upper: Rational?

    public init(lower: Rational, upper: Rational?) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether the attacker knows the value exactly.
    public var isExact: Bool { upper == lower }

    public var description: String { "[\(lower), \(upper.map(\.description) ?? "∞")]" }
}

/// What an attacker sees of a set of linked tables, as a linear system: unknowns
/// (cells, and the complements of families), the relations between them (each a sum that
/// is zero), the values that are published, and bounds known besides non-negativity.
public struct LinearView: Sendable {
    /// The number of unknowns.
    public var count: Int
    /// Each relation: coefficients whose weighted sum of unknowns is zero.
    public var relations: [[(variable: Int, coefficient: Rational)]]
    /// Per unknown, its published value (nil where it is not published).
    public var values: [Rational?]
    /// Bounds the attacker knows besides non-negativity.
    public var bounds: [Int: CellBounds]

    public init(count: Int, relations: [[(variable: Int, coefficient: Rational)]], values: [Rational?], bounds: [Int: CellBounds] = [:]) {
        precondition(values.count == count)
        self.count = count
        self.relations = relations
        self.values = values
        self.bounds = bounds
    }

    /// One table's view: its cells, and its margin relations.
    public init(shape: TableShape, values: [Int64?], known: [Int: Int64] = [:], bounds: [Int: CellBounds] = [:]) {
        var v: [Rational?] = values.map { $0.map { Rational($0) } }
        for (c, x) in known { v[c] = Rational(x) }
        let relations = shape.relations().map { r in [(r.total, Rational.one)] + r.parts.map { ($0, -Rational.one) } }
        self.init(count: shape.cellCount, relations: relations, values: v, bounds: bounds)
    }
}

/// The attacker's view of linked tables, computed exactly: for each withheld cell (or any
/// sum of cells), the least and greatest values consistent with every published figure,
/// every relation (each margin is the sum of its children along each dimension; a
/// cohort's parts and complement make up the cohort), non-negativity, and whatever the
/// attacker knows besides (a lone contributor knows its own cell).
///
/// It needs only what is published and how figures relate, so it can judge any release.
/// Each interval comes from two linear programmes solved in exact rational arithmetic
/// (GMP when the numbers grow), per connected group of unknowns.
public enum IntervalAudit {
    /// The interval of each cell in `cells` of one table; a cell has none when no table fits
    /// the published figures and bounds of its group of cells.
    ///
    /// - Parameters:
    ///   - values: per cell, the published value, or nil when withheld or not published.
    ///   - known: cells the attacker knows although they are not published.
    ///   - bounds: bounds the attacker knows on some cells besides non-negativity.
    public static func intervals(
        shape: TableShape, values: [Int64?], cells: [Int], known: [Int: Int64] = [:], bounds: [Int: CellBounds] = [:]
    ) -> [Int: FeasibilityInterval] {
        precondition(values.count == shape.cellCount)
        let view = LinearView(shape: shape, values: values, known: known, bounds: bounds)
        let found = intervals(view, of: cells.map { [($0, Rational.one)] })
        var result: [Int: FeasibilityInterval] = [:]
        for (c, interval) in zip(cells, found) where interval != nil { result[c] = interval }
        return result
    }

    /// The interval of each objective (a weighted sum of unknowns that is never negative:
    /// a cell, or a group of people); nil where no solution fits the published figures and
    /// bounds of the unknowns it involves.
    ///
    /// - Parameter lowerWhere: given an objective's index and greatest value (nil:
    ///   unbounded), whether its least value is wanted; where it is not, the interval's
    ///   lower end is 0 and means nothing (it saves a linear programme).
    public static func intervals(
        _ view: LinearView, of objectives: [[(variable: Int, coefficient: Rational)]], lowerWhere: ((Int, Rational?) -> Bool)? = nil
    ) -> [FeasibilityInterval?] {
        var value = view.values
        let bounds = view.bounds
        // Bounds that meet (a rounded 0 that means 0) are a known value.
        for (c, b) in bounds where value[c] == nil && b.lower != nil && b.lower == b.upper { value[c] = Rational(b.lower!) }
        let relations = view.relations

        // Presolve: a relation with one unknown determines it; one whose unknowns all have
        // the same sign and must add up to zero makes them all zero.
        var changed = true
        while changed {
            changed = false
            for relation in relations {
                var unknown = -1
                var count = 0
                var coefficient = Rational.one
                var rest = Rational.zero
                var signs = Set<Int>()
                for (c, k) in relation {
                    if let v = value[c] {
                        rest += k * v
                    } else {
                        count += 1
                        unknown = c
                        coefficient = k
                        signs.insert(k.signum)
                    }
                }
                if count == 1 {
                    value[unknown] = -rest / coefficient
                    changed = true
                } else if count > 1 && rest.isZero && signs.count == 1 {
                    for (c, _) in relation where value[c] == nil { value[c] = .zero }
                    changed = true
                }
            }
        }

        // Group the unknowns that share relations.
        var groups = DisjointSets(count: view.count)
        var live: [[(variable: Int, coefficient: Rational)]] = []
        for relation in relations {
            let unknown = relation.filter { value[$0.variable] == nil }
            guard !unknown.isEmpty else { continue }
            for (c, _) in unknown.dropFirst() { groups.union(unknown[0].variable, c) }
            live.append(relation)
        }
        // An unknown with a positive lower bound L is solved for as y = x − L ≥ 0, so that
        // the bound costs no row (rounded figures bound every published cell in a rounded release).
        func shift(_ c: Int) -> Rational? {
            guard let lower = bounds[c]?.lower, lower > 0 else { return nil }
            return Rational(lower)
        }
        var rowsByRoot: [Int: [[(variable: Int, coefficient: Rational)]]] = [:]
        for relation in live { rowsByRoot[groups.find(relation.first { value[$0.variable] == nil }!.variable), default: []].append(relation) }
        var solvers: [Int: (simplex: ExactSimplex, column: [Int: Int])] = [:]
        func solver(for root: Int) -> (simplex: ExactSimplex, column: [Int: Int]) {
            if let s = solvers[root] { return s }
            var column: [Int: Int] = [:]
            var rows: [[(column: Int, value: Rational)]] = []
            var rhs: [Rational] = []
            for relation in rowsByRoot[root] ?? [] {
                var row: [(column: Int, value: Rational)] = []
                var rest = Rational.zero
                for (c, k) in relation {
                    if let v = value[c] {
                        rest += k * v
                    } else {
                        if column[c] == nil { column[c] = column.count }
                        row.append((column[c]!, k))
                        if let l = shift(c) { rest += k * l }
                    }
                }
                rows.append(row)
                rhs.append(-rest)
            }
            // An upper bound is a row with a slack column: y + s = upper − lower.
            var columnCount = column.count
            for (c, b) in bounds.sorted(by: { $0.key < $1.key }) where value[c] == nil {
                guard let j = column[c], let upper = b.upper else { continue }
                rows.append([(j, .one), (columnCount, .one)])
                rhs.append(Rational(upper) - (shift(c) ?? .zero))
                columnCount += 1
            }
            let s = (ExactSimplex(LinearSystem(rows: rows, rhs: rhs, columnCount: columnCount)), column)
            solvers[root] = s
            return s
        }

        var result: [FeasibilityInterval?] = []
        for (index, objective) in objectives.enumerated() {
            // Known terms are a constant; unknowns in no relation are bounded on their own;
            // the rest splits over independent groups.
            var lower = Rational.zero
            var upper: Rational? = .zero
            var unboundedBelow = false
            var parts: [Int: [(variable: Int, coefficient: Rational)]] = [:]
            for (c, k) in objective {
                if let v = value[c] {
                    lower += k * v
                    upper = upper.map { $0 + k * v }
                    continue
                }
                let root = groups.find(c)
                if rowsByRoot[root] != nil {
                    parts[root, default: []].append((c, k))
                    continue
                }
                // In no relation at all: only non-negativity and its declared bounds bound it.
                let lo = Rational(max(0, bounds[c]?.lower ?? 0))
                let hi = bounds[c]?.upper.map { Rational($0) }
                if k.signum > 0 {
                    lower += k * lo
                    upper = hi.flatMap { h in upper.map { $0 + k * h } }
                } else {
                    upper = upper.map { $0 + k * lo }
                    if let hi { lower += k * hi } else { unboundedBelow = true }
                }
            }
            var feasible = true
            for direction in [true, false] {
                if !direction, let lowerWhere, !lowerWhere(index, upper) {
                    lower = .zero
                    break
                }
                for root in parts.keys.sorted() {
                    let terms = parts[root]!
                    var offset = Rational.zero
                    for (c, k) in terms { if let l = shift(c) { offset += k * l } }
                    var (simplex, column) = solver(for: root)
                    // Contradictory figures or bounds: no solution fits them, and no interval.
                    guard simplex.feasible else {
                        feasible = false
                        break
                    }
                    let objective = terms.map { (column[$0.variable]!, direction ? $0.coefficient : -$0.coefficient) }
                    switch (simplex.maximize(objective), direction) {
                    case (.optimal(let v), true): upper = upper.map { $0 + v + offset }
                    case (.optimal(let v), false): lower += -v + offset
                    case (_, true): upper = nil
                    case (_, false): unboundedBelow = true
                    }
                    solvers[root]!.simplex = simplex  // the next objective starts from this basis
                }
                if !feasible { break }
            }
            // Objectives are counts (cells, or groups, whose complements are never negative):
            // none is below zero in any solution.
            if unboundedBelow { lower = .zero }
            result.append(feasible ? FeasibilityInterval(lower: lower, upper: upper) : nil)
        }
        return result
    }
}
