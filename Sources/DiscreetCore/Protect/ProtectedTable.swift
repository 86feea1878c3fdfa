/// A table with the protection status of every cell: what a release publishes is the
/// true value of published cells and nothing of withheld ones.
public struct ProtectedTable: Sendable {
    public var name: String
    /// The true values. Withheld values never leave this type except through ``published(_:)``.
    public let data: AggregatedTable
    public var statuses: [CellStatus]

    public init(name: String, data: AggregatedTable, statuses: [CellStatus]) {
        precondition(statuses.count == data.shape.cellCount)
        self.name = name
        self.data = data
        self.statuses = statuses
    }

    /// Applies the primary rules to a table.
    public init(name: String, data: AggregatedTable, primary: PrimaryPolicy) {
        self.init(name: name, data: data, statuses: primary.apply(to: data))
    }

    public var shape: TableShape { data.shape }

    /// The value of a cell as published, or nil when withheld.
    @inlinable
    public func published(_ cell: Int) -> Int64? {
        statuses[cell].disposition.isWithheld ? nil : data.values[cell]
    }

    /// The contributor count of a magnitude cell as published (only where the cell is).
    public func publishedContributors(_ cell: Int) -> Int64? {
        statuses[cell].disposition.isWithheld ? nil : data.contributors(cell)
    }

    /// How many cells have each disposition.
    public var dispositionCounts: [CellDisposition: Int] {
        var counts: [CellDisposition: Int] = [:]
        for s in statuses { counts[s.disposition, default: 0] += 1 }
        return counts
    }

    /// Information lost: the share of the table's cells withheld, and the share of its
    /// grand total that sits in withheld inner cells (what a reader can no longer place).
    public var informationLoss: (cells: Double, total: Double) {
        let withheld = statuses.reduce(0) { $0 + ($1.disposition.isWithheld ? 1 : 0) }
        let grand = data.values[shape.cellCount - 1]
        var hidden: Int64 = 0
        for cell in shape.innerToFull() where statuses[cell].disposition.isWithheld { hidden += data.values[cell] }
        return (Double(withheld) / Double(shape.cellCount), grand > 0 ? Double(hidden) / Double(grand) : 0)
    }

    /// How many cells failed each primary rule.
    public var ruleCounts: [(name: String, cells: Int)] {
        PrimaryRuleSet.named.map { rule in (rule.name, statuses.reduce(0) { $0 + ($1.failed.contains(rule.rule) ? 1 : 0) }) }
    }
}

/// The percentages of an indicator, cell by cell, from the published figures.
public struct IndicatorFigures: Sendable {
    /// The tables (indices into the release's tables) of the numerator and denominator.
    public var numerator: Int
    public var denominator: Int
    public var decimals: Int
    public var percentages: [PublishedPercentage]

    /// Cells where the true numerator exceeds the true denominator: an error in the spec
    /// (the numerator cohort is not inside the denominator cohort) or in the data.
    public static func inconsistentCells(numerator: AggregatedTable, denominator: AggregatedTable) -> [Int] {
        precondition(numerator.shape == denominator.shape)
        return (0..<numerator.shape.cellCount).filter { numerator.values[$0] > denominator.values[$0] }
    }

    /// Computes every cell's percentage from what the two tables publish.
    public init(numerator: Int, denominator: Int, tables: [ProtectedTable], decimals: Int) throws(PercentageOverflow) {
        let n = tables[numerator]
        let d = tables[denominator]
        precondition(n.shape == d.shape)
        self.numerator = numerator
        self.denominator = denominator
        self.decimals = decimals
        var percentages: [PublishedPercentage] = []
        percentages.reserveCapacity(n.shape.cellCount)
        for cell in 0..<n.shape.cellCount {
            percentages.append(try Percentage.of(numerator: n.published(cell), denominator: d.published(cell), decimals: decimals))
        }
        self.percentages = percentages
    }
}
