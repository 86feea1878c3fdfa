import Testing
@testable import DiscreetCore

/// Figures an earlier release still publishes keep their status: a batch run again after
/// one partner's extract changed keeps the other partners' releases as they were.
@Suite struct KeptStatusTests {
    /// The review-attended case (a group of one at w1, protected by withholding two cells):
    /// each cell the unconstrained pattern withholds, kept published instead, is never
    /// withheld, and the group is still protected against the atom attacker (other cells
    /// are withheld in its place). A kept withheld cell stays withheld, though no item
    /// needs it.
    @Test func keptCellsKeepTheirStatusAndTheItemsStayProtected() throws {
        let (c, problem) = JointProtectionTests.reviewAttended()
        var free = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        try free.run()
        let chosen = (0..<c.layout.cellCount).filter { free.statuses[$0].disposition == .secondary }
        #expect(chosen.count == 2)
        for cell in chosen {
            var kept = problem
            kept.keep(cell, withheld: false)
            var suppressor = SecondarySuppressor(problem: kept, policy: SecondaryPolicy())
            try suppressor.run()
            let statuses = suppressor.statuses
            #expect(!statuses[cell].disposition.isWithheld)
            #expect(statuses.filter { $0.disposition == .secondary }.count >= 2)
            #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
            #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: statuses)) == [])
        }
        // A cell nobody needs, kept withheld: the last pass does not publish it again.
        let spare = try #require((0..<c.layout.cellCount).first { c.published[$0] && !free.statuses[$0].disposition.isWithheld })
        var kept = problem
        kept.keep(spare, withheld: true)
        var suppressor = SecondarySuppressor(problem: kept, policy: SecondaryPolicy())
        try suppressor.run()
        #expect(suppressor.statuses[spare].disposition.isWithheld)
        #expect(free.statuses[spare].disposition.isWithheld == false)
    }
}

/// Cells the previous release of a table withheld are withheld again where that costs
/// little (a batch's release made again after its extracts changed).
@Suite struct CarriedForwardTests {
    /// Rows a, b, c by columns x, y, z: (a, x) holds 2 people, every other cell `others`
    /// (or `costly` for the cells listed).
    static func table(costly: Set<Int> = [], value: Int64 = 100) throws -> (AggregatedTable, (String, String) -> Int) {
        let rows = try TableDimension.build(name: "row", total: "T", entries: ["a", "b", "c"].map { HierarchyEntry(code: $0) })
        let columns = try TableDimension.build(name: "column", total: "T", entries: ["x", "y", "z"].map { HierarchyEntry(code: $0) })
        let shape = try #require(TableShape(dimensions: [rows, columns]))
        func inner(_ r: Int, _ c: Int) -> Int { r * 3 + c }
        var counts = [Int64](repeating: 10, count: 9)
        counts[inner(0, 0)] = 2
        let table = countTable(shape, inner: counts.enumerated().map { costly.contains($0.offset) ? value : $0.element })
        return (table, { r, c in shape.cell([rows.node(r)!, columns.node(c)!]) })
    }

    static let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5))

    static func secondary(_ problem: SuppressionProblem) throws -> Set<Int> {
        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        try suppressor.run()
        #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: suppressor.statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        return Set(suppressor.statuses.indices.filter { suppressor.statuses[$0].disposition == .secondary })
    }

    /// Every rectangle through (a, x) costs the same: the one the previous release withheld
    /// is withheld again, though the suppressor alone picks another.
    @Test func theLastPatternIsKeptWhereItCostsTheSame() throws {
        let (table, cell) = try Self.table()
        let problem = SuppressionProblem(table: table, published: [Bool](repeating: true, count: table.shape.cellCount), primary: Self.primary, secondary: SecondaryPolicy())
        let free = try Self.secondary(problem)
        #expect(free.count == 3)
        // A rectangle the suppressor does not pick alone.
        let rectangles = ["b", "c"].flatMap { r in ["y", "z"].map { c in Set([cell("a", c), cell(r, "x"), cell(r, c)]) } }
        let last = try #require(rectangles.first { $0 != free })
        var again = problem
        for c in last { again.prefer(c) }
        #expect(try Self.secondary(again) == last)
    }

    /// The rectangle the previous release withheld now holds many people (withholding it
    /// costs more than twice another): the suppressor picks the cheaper one.
    @Test func theLastPatternGivesWayWhereItCostsMuchMore() throws {
        let (plain, cell) = try Self.table()
        let problem = SuppressionProblem(table: plain, published: [Bool](repeating: true, count: plain.shape.cellCount), primary: Self.primary, secondary: SecondaryPolicy())
        let free = try Self.secondary(problem)
        let rectangles = ["b", "c"].flatMap { r in ["y", "z"].map { c in [("a", c), (r, "x"), (r, c)] } }
        let last = try #require(rectangles.first { Set($0.map(cell)) != free })
        // The same table with the last rectangle's cells (bar the primary's row and column
        // cells they share with every rectangle) holding 100 people.
        let inner = { (r: String, c: String) in ["a", "b", "c"].firstIndex(of: r)! * 3 + ["x", "y", "z"].firstIndex(of: c)! }
        let (costly, cell2) = try Self.table(costly: Set(last.map(inner)))
        var again = SuppressionProblem(table: costly, published: [Bool](repeating: true, count: costly.shape.cellCount), primary: Self.primary, secondary: SecondaryPolicy())
        for (r, c) in last { again.prefer(cell2(r, c)) }
        let chosen = try Self.secondary(again)
        #expect(chosen.count == 3)
        #expect(chosen.isDisjoint(with: last.map(cell2)))
    }
}
