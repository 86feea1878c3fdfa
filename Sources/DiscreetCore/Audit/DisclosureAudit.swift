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
