/// What a table's cells hold.
public enum Measure: Sendable, Equatable {
    /// The number of distinct privacy units (people).
    case count
    /// The sum of a numeric column over the people in the cell (a magnitude table),
    /// held exactly as an integer scaled by 10^places.
    case sum(column: String, places: Int)

    /// Whether this is a magnitude table.
    public var isMagnitude: Bool {
        if case .sum = self { return true }
        return false
    }

    /// Decimal places of the cell values.
    public var places: Int {
        if case .sum(_, let places) = self { return places }
        return 0
    }
}

/// The true values of a table, margins included: what aggregation produces and the
/// primary rules judge. Never published as such.
public struct AggregatedTable: Sendable, Equatable {
    public let shape: TableShape
    public let measure: Measure
    /// Per cell: the number of people (count tables) or the exact scaled sum (magnitude tables).
    public var values: [Int64]
    /// Per cell, magnitude tables only: the number of contributors (people).
    public var contributorCounts: [Int64]
    /// How many of the largest contributions each magnitude cell keeps.
    public let topCount: Int
    /// Per magnitude cell, `topCount` largest contributions in descending order, padded with 0.
    public var top: [Int64]

    public init(shape: TableShape, measure: Measure, values: [Int64], contributorCounts: [Int64] = [], topCount: Int = 0, top: [Int64] = []) {
        self.shape = shape
        self.measure = measure
        self.values = values
        self.contributorCounts = contributorCounts
        self.topCount = topCount
        self.top = top
    }

    /// The number of people contributing to a cell.
    @inlinable
    public func contributors(_ cell: Int) -> Int64 {
        measure.isMagnitude ? contributorCounts[cell] : values[cell]
    }

    /// Whether two cells have one contributor each and it is the same person: the cells
    /// overlap in a cell with someone in it. (Such a person is no outsider to either cell.)
    public func sameLoneContributor(_ a: Int, _ b: Int) -> Bool {
        guard contributors(a) == 1 && contributors(b) == 1, let m = shape.meet(a, b) else { return false }
        return contributors(m) > 0
    }

    /// The largest contributions of a magnitude cell, in descending order.
    public func largest(_ cell: Int) -> ArraySlice<Int64> {
        top[(cell * topCount)..<((cell + 1) * topCount)]
    }
}

/// Accumulates per-person contributions into the inner cells of one table.
///
/// Each call to ``add(cell:value:)`` is one person's whole contribution to the table
/// (their rows already combined), so counts are counts of distinct people.
public struct TableAccumulator: Sendable {
    public let shape: TableShape
    public let measure: Measure
    public let topCount: Int
    @usableFromInline var values: [Int64]
    @usableFromInline var contributors: [Int64]
    @usableFromInline var top: [Int64]
    /// Whether a sum overflowed 64 bits.
    public private(set) var overflowed = false

    public init(shape: TableShape, measure: Measure, topCount: Int) {
        self.shape = shape
        self.measure = measure
        self.topCount = measure.isMagnitude ? max(topCount, 2) : 0
        values = [Int64](repeating: 0, count: shape.innerCellCount)
        contributors = measure.isMagnitude ? [Int64](repeating: 0, count: shape.innerCellCount) : []
        top = [Int64](repeating: 0, count: measure.isMagnitude ? shape.innerCellCount * self.topCount : 0)
    }

    /// Adds one person to an inner cell; `value` is their combined contribution (ignored for counts).
    @inlinable
    public mutating func add(cell: Int, value: Int64) {
        guard measure.isMagnitude else {
            values[cell] &+= 1
            return
        }
        let (sum, overflow) = values[cell].addingReportingOverflow(value)
        if overflow { markOverflow() }
        values[cell] = sum
        contributors[cell] &+= 1
        insertTop(value, at: cell * topCount)
    }

    @usableFromInline
    mutating func markOverflow() { overflowed = true }

    @inlinable
    mutating func insertTop(_ value: Int64, at base: Int) {
        var i = base + topCount - 1
        guard value > top[i] else { return }
        while i > base && top[i - 1] < value {
            top[i] = top[i - 1]
            i -= 1
        }
        top[i] = value
    }

    /// Adds another accumulator of the same table (disjoint people) into this one.
    public mutating func merge(_ other: TableAccumulator) {
        precondition(other.shape == shape && other.measure == measure)
        for cell in 0..<values.count {
            let (sum, overflow) = values[cell].addingReportingOverflow(other.values[cell])
            if overflow { overflowed = true }
            values[cell] = sum
        }
        guard measure.isMagnitude else { return }
        if other.overflowed { overflowed = true }
        for cell in 0..<contributors.count {
            contributors[cell] &+= other.contributors[cell]
            let base = cell * topCount
            for k in 0..<topCount where other.top[base + k] > 0 { insertTop(other.top[base + k], at: base) }
        }
    }

    /// The table with every margin rolled up from the inner cells; throws when a sum
    /// does not fit in 64 bits.
    public func finish() throws(SumOverflow) -> AggregatedTable {
        if overflowed { throw SumOverflow() }
        let cellCount = shape.cellCount
        let innerToFull = shape.innerToFull()
        var full = [Int64](repeating: 0, count: cellCount)
        for (inner, cell) in innerToFull.enumerated() { full[cell] = values[inner] }
        guard measure.isMagnitude else {
            full.withUnsafeMutableBufferPointer { v in shape.rollUp { v[$0] += v[$1] } }
            return AggregatedTable(shape: shape, measure: measure, values: full)
        }
        var counts = [Int64](repeating: 0, count: cellCount)
        var largest = [Int64](repeating: 0, count: cellCount * topCount)
        for (inner, cell) in innerToFull.enumerated() {
            counts[cell] = contributors[inner]
            for k in 0..<topCount { largest[cell * topCount + k] = top[inner * topCount + k] }
        }
        let k = topCount
        var overflow = false
        full.withUnsafeMutableBufferPointer { v in
            counts.withUnsafeMutableBufferPointer { c in
                largest.withUnsafeMutableBufferPointer { t in
                    shape.rollUp { target, source in
                        let (sum, o) = v[target].addingReportingOverflow(v[source])
                        if o { overflow = true }
                        v[target] = sum
                        c[target] += c[source]
                        // Contributors of different children are different people: merge their top lists.
                        for j in 0..<k {
                            let value = t[source * k + j]
                            guard value > t[target * k + k - 1] else { break }
                            var i = target * k + k - 1
                            while i > target * k && t[i - 1] < value {
                                t[i] = t[i - 1]
                                i -= 1
                            }
                            t[i] = value
                        }
                    }
                }
            }
        }
        if overflow { throw SumOverflow() }
        return AggregatedTable(shape: shape, measure: measure, values: full, contributorCounts: counts, topCount: k, top: largest)
    }
}

/// A magnitude table's sum exceeded the range of a 64-bit integer in its unit.
public struct SumOverflow: Error, Sendable {}
