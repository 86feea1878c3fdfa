/// One quantity of a cohort table as a release shows it (the counts, or the sums of a
/// magnitude), for an audit that knows nothing of how the release was made.
public struct PublishedQuantity: Sendable {
    public var shape: TableShape
    /// Per cell: the published value (in units of 10^-places), or nil where it is withheld
    /// or no table publishes it.
    public var values: [Int64?]
    /// The cells some table shows as withheld.
    public var withheld: [Bool]
    /// What the attacker is assumed to know besides (in the same units as `values`).
    public var bounds: [Int: CellBounds]

    public init(shape: TableShape, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:]) {
        precondition(values.count == shape.cellCount && withheld.count == shape.cellCount)
        self.shape = shape
        self.values = values
        self.withheld = withheld
        self.bounds = bounds
    }
}

/// What an attacker can learn about a quantity's withheld cells.
public struct DisclosureReport: Sendable {
    /// Total cells of relations whose cells are all published but do not add up.
    public var inconsistent: [Int]
    /// Each withheld cell's feasibility interval.
    public var intervals: [Int: FeasibilityInterval]
    /// Withheld cells the relations determine by linear algebra alone.
    public var linear: Set<Int>
    /// Withheld cells for which no table fits the published figures and declared bounds.
    public var contradicted: [Int]

    public init(inconsistent: [Int], intervals: [Int: FeasibilityInterval], linear: Set<Int>, contradicted: [Int]) {
        self.inconsistent = inconsistent
        self.intervals = intervals
        self.linear = linear
        self.contradicted = contradicted
    }

    /// Withheld cells an attacker knows exactly, in cell order.
    public var exposed: [Int] { intervals.filter { $0.value.isExact }.keys.sorted() }
}

/// The audit of a published table from the outside: the relations of its shape, its
/// published figures and non-negativity, nothing else. Gaussian elimination finds the
/// cells linear algebra gives away; the exact simplex gives every withheld cell's
/// interval, which also shows cells that non-negativity pins down.
public enum DisclosureAudit {
    public static func run(_ quantity: PublishedQuantity) -> DisclosureReport {
        let shape = quantity.shape
        var inconsistent: [Int] = []
        for relation in shape.relations() {
            guard let total = quantity.values[relation.total] else { continue }
            var sum: Int64 = 0
            var complete = true
            for part in relation.parts {
                guard let v = quantity.values[part] else {
                    complete = false
                    break
                }
                sum += v
            }
            if complete && sum != total { inconsistent.append(relation.total) }
        }
        let withheld = (0..<shape.cellCount).filter { quantity.withheld[$0] }
        let linear = LinearDisclosure.determined(shape: shape, unknown: quantity.values.map { $0 == nil })
        // Where published figures contradict each other there is no consistent table to
        // solve for.
        let intervals = inconsistent.isEmpty ? IntervalAudit.intervals(shape: shape, values: quantity.values, cells: withheld, bounds: quantity.bounds) : [:]
        let contradicted = inconsistent.isEmpty ? withheld.filter { intervals[$0] == nil } : []
        return DisclosureReport(
            inconsistent: Array(Set(inconsistent)).sorted(), intervals: intervals, linear: linear.intersection(withheld), contradicted: contradicted)
    }
}

/// What an attacker can learn about the counts of linked cohorts (counts of people, and
/// the contributor counts of magnitude tables) and the groups they imply.
public struct LinkedDisclosureReport: Sendable {
    /// Total cells (global) of relations whose cells are all published but do not add up.
    public var inconsistent: [Int]
    /// Families (index, complement cell) whose published figures leave a negative complement:
    /// more people in a cohort's parts than in the cohort.
    public var negativeComplements: [(family: Int, cell: Int)]
    /// Each withheld cell's feasibility interval (global cells).
    public var intervals: [Int: FeasibilityInterval]
    /// Each group's interval, in the order given (nil where no solution fits).
    public var groups: [FeasibilityInterval?]
    /// Withheld cells the relations determine by linear algebra alone.
    public var linear: Set<Int>
    /// Withheld cells for which no solution fits the published figures and declared bounds.
    public var contradicted: [Int]
}

extension CohortLayout {
    /// The attacker's view of the cohorts' counts: every cell of every cohort table, then a
    /// complement per family and leaf cell of its table (the people in the parent and in
    /// none of its parts: never negative, and zero where the spec says so).
    ///
    /// - Parameters:
    ///   - values: per global cell, the published count, or nil.
    ///   - bounds: per global cell, what the release states of it besides.
    public func view(values: [Int64?], bounds: [Int: CellBounds] = [:]) -> LinearView {
        precondition(values.count == cellCount)
        var relations: [[(variable: Int, coefficient: Rational)]] = []
        for (b, block) in blocks.enumerated() {
            for r in block.shape.relations() {
                relations.append([(global(b, r.total), .one)] + r.parts.map { (global(b, $0), -Rational.one) })
            }
        }
        var count = cellCount
        var known: [Rational?] = values.map { $0.map { Rational($0) } }
        for (b, block) in blocks.enumerated() {
            guard let empty = block.empty else { continue }
            for c in empty.indices where empty[c] { known[global(b, c)] = .zero }
        }
        for family in families {
            for h in family.shape.innerToFull() {
                var row: [(variable: Int, coefficient: Rational)] = [(global(family.parent, family.parentCells[h]), .one)]
                for (i, part) in family.parts.enumerated() { row.append((global(part, family.partCells[i][h]), -.one)) }
                if family.emptyComplement?[h] != true {
                    row.append((count, -.one))
                    known.append(nil)
                    count += 1
                }
                relations.append(row)
            }
        }
        return LinearView(count: count, relations: relations, values: known, bounds: bounds)
    }
}

extension DisclosureAudit {
    /// The audit of linked cohorts' counts from the outside: the relations of every cohort
    /// table and between cohorts, the published counts, the ranges the release states, and
    /// non-negativity.
    ///
    /// - Parameters:
    ///   - values: per global cell, the published count, or nil where withheld or unpublished.
    ///   - withheld: per global cell, whether some table shows it as withheld.
    ///   - groups: the groups to bound.
    ///   - groupLowerWhere: given a group's index and its greatest value, whether its least
    ///     value is wanted (elsewhere its interval's lower end is 0 and means nothing).
    public static func run(
        layout: CohortLayout, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds], groups: [ImpliedGroup],
        groupLowerWhere: ((Int, Rational?) -> Bool)? = nil
    ) -> LinkedDisclosureReport {
        var inconsistent: [Int] = []
        for (b, block) in layout.blocks.enumerated() {
            for relation in block.shape.relations() {
                guard let total = values[layout.global(b, relation.total)] else { continue }
                var sum: Int64 = 0
                var complete = true
                for part in relation.parts {
                    guard let v = values[layout.global(b, part)] else {
                        complete = false
                        break
                    }
                    sum += v
                }
                if complete && sum != total { inconsistent.append(layout.global(b, relation.total)) }
            }
        }
        var negative: [(family: Int, cell: Int)] = []
        for (f, family) in layout.families.enumerated() {
            for h in 0..<family.shape.cellCount {
                guard var k = values[layout.global(family.parent, family.parentCells[h])] else { continue }
                var complete = true
                for (i, part) in family.parts.enumerated() {
                    guard let v = values[layout.global(part, family.partCells[i][h])] else {
                        complete = false
                        break
                    }
                    k -= v
                }
                if complete && (k < 0 || family.emptyComplement?[h] == true && k != 0) { negative.append((f, h)) }
            }
        }
        let view = layout.view(values: values, bounds: bounds)
        let cells = (0..<layout.cellCount).filter { withheld[$0] }
        var unknown = view.values.map { $0 == nil }
        for (c, b) in bounds where b.lower != nil && b.lower == b.upper { unknown[c] = false }
        let linear = LinearDisclosure.determined(relations: view.relations, unknown: unknown)
        guard inconsistent.isEmpty && negative.isEmpty else {
            return LinkedDisclosureReport(
                inconsistent: Array(Set(inconsistent)).sorted(), negativeComplements: negative, intervals: [:], groups: groups.map { _ in nil },
                linear: linear.intersection(cells), contradicted: [])
        }
        let objectives = cells.map { [($0, Rational.one)] } + groups.map { g in g.terms.map { ($0.cell, Rational(Int64($0.sign))) } }
        let found = IntervalAudit.intervals(view, of: objectives) { i, upper in
            i < cells.count || groupLowerWhere?(i - cells.count, upper) ?? true
        }
        var intervals: [Int: FeasibilityInterval] = [:]
        for (c, interval) in zip(cells, found) where interval != nil { intervals[c] = interval }
        return LinkedDisclosureReport(
            inconsistent: [], negativeComplements: [], intervals: intervals, groups: Array(found.dropFirst(cells.count)), linear: linear.intersection(cells),
            contradicted: cells.filter { intervals[$0] == nil })
    }
}
