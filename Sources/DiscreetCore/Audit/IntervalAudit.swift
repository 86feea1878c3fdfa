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

/// The attacker's view of a table, computed exactly: for each withheld cell, the least
/// and greatest values consistent with every published figure, every relation of the
/// table (each margin is the sum of its children along each dimension), non-negativity,
/// and whatever cells the attacker knows besides (a lone contributor knows its own cell).
///
/// It needs only what is published and the table's shape, so it can judge any release.
/// Each interval comes from two linear programmes solved in exact rational arithmetic
/// (GMP when the numbers grow), per connected group of unknown cells.
public enum IntervalAudit {
    /// The interval of each cell in `cells`; a cell has none when no table fits the
    /// published figures and bounds of its group of cells.
    ///
    /// - Parameters:
    ///   - values: per cell, the published value, or nil when withheld or not published.
    ///   - known: cells the attacker knows although they are not published.
    ///   - bounds: bounds the attacker knows on some cells besides non-negativity.
    public static func intervals(
        shape: TableShape, values: [Int64?], cells: [Int], known: [Int: Int64] = [:], bounds: [Int: CellBounds] = [:]
    ) -> [Int: FeasibilityInterval] {
        precondition(values.count == shape.cellCount)
        var value: [Rational?] = values.map { $0.map { Rational($0) } }
        for (c, v) in known { value[c] = Rational(v) }
        // Bounds that meet (a rounded 0 that means 0) are a known value.
        for (c, b) in bounds where value[c] == nil && b.lower != nil && b.lower == b.upper { value[c] = Rational(b.lower!) }
        let relations = shape.relations().map { r in [(r.total, Rational.one)] + r.parts.map { ($0, -Rational.one) } }

        // Presolve: a relation with one unknown cell determines it; one whose unknown cells
        // all have the same sign and must add up to zero makes them all zero.
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

        // Group the unknown cells that share relations.
        var groups = DisjointSets(count: shape.cellCount)
        func find(_ x: Int) -> Int { groups.find(x) }
        var live: [[(Int, Rational)]] = []
        for relation in relations {
            let unknown = relation.filter { value[$0.0] == nil }
            guard !unknown.isEmpty else { continue }
            for (c, _) in unknown.dropFirst() { groups.union(unknown[0].0, c) }
            live.append(relation)
        }
        // A cell with a positive lower bound L is solved for as y = x − L ≥ 0, so that the
        // bound costs no row (rounded figures bound every published cell in a rounded release).
        func shift(_ c: Int) -> Rational? {
            guard let lower = bounds[c]?.lower, lower > 0 else { return nil }
            return Rational(lower)
        }
        var solvers: [Int: (simplex: ExactSimplex, column: [Int: Int])] = [:]
        func solver(for root: Int) -> (simplex: ExactSimplex, column: [Int: Int]) {
            if let s = solvers[root] { return s }
            var column: [Int: Int] = [:]
            var rows: [[(column: Int, value: Rational)]] = []
            var rhs: [Rational] = []
            for relation in live where find(relation.first { value[$0.0] == nil }!.0) == root {
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

        var result: [Int: FeasibilityInterval] = [:]
        for c in cells {
            if let v = value[c] {
                result[c] = FeasibilityInterval(lower: v, upper: v)
                continue
            }
            let root = find(c)
            var (simplex, column) = solver(for: root)
            guard let j = column[c] else {
                // In no relation at all: only non-negativity and its declared bounds bound it.
                let b = bounds[c]
                result[c] = FeasibilityInterval(lower: Rational(max(0, b?.lower ?? 0)), upper: b?.upper.map { Rational($0) })
                continue
            }
            // Contradictory figures or bounds: no table fits them, and the cell gets no interval.
            guard simplex.feasible else { continue }
            let offset = shift(c) ?? .zero
            let upper: Rational?
            switch simplex.maximize([(j, .one)]) {
            case .optimal(let v): upper = v + offset
            case .unbounded, .infeasible: upper = nil
            }
            var lower = offset
            if case .optimal(let v) = simplex.maximize([(j, -.one)]) { lower = -v + offset }
            solvers[root]!.simplex = simplex  // the next cell starts from this basis
            result[c] = FeasibilityInterval(lower: lower, upper: upper)
        }
        return result
    }
}
