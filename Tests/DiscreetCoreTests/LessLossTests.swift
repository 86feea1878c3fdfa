import Testing
@testable import DiscreetCore

/// Secondary suppression that loses less: what a withheld cell costs, routes through a
/// hierarchy that leave its top alone, flows of several routes, and the exact check of the
/// certificates they make.
@Suite struct LessLossTests {
    /// A city of two districts of two wards each.
    static let area = try! TableDimension.build(name: "area", total: "city", entries: [
        HierarchyEntry(code: "north"), HierarchyEntry(code: "south"),
        HierarchyEntry(code: "w1", parent: "north"), HierarchyEntry(code: "w2", parent: "north"),
        HierarchyEntry(code: "w3", parent: "south"), HierarchyEntry(code: "w4", parent: "south"),
    ])

    func cell(_ shape: TableShape, _ codes: String...) -> Int {
        shape.cell(zip(shape.dimensions, codes).map { $0.node($1)! })
    }

    /// Published figures each cell adds up, itself included, counted by hand: a ward's
    /// group cell 1; a ward's total 3 (itself and its two groups); a district's total 9
    /// (the district and its two wards, each at the total and both groups); the city's
    /// total all 21.
    @Test func aMarginCostsTheFiguresItAddsUp() {
        let shape = TableShape(dimensions: [Self.area, dimension("group", ["A", "B"])])!
        let all = [Bool](repeating: true, count: shape.cellCount)
        let figures = SecondarySuppressor.publishedFigures(in: shape, published: all[...])
        #expect(figures[cell(shape, "w1", "A")] == 1)
        #expect(figures[cell(shape, "w1", "Total")] == 3)
        #expect(figures[cell(shape, "north", "A")] == 3)
        #expect(figures[cell(shape, "north", "Total")] == 9)
        #expect(figures[cell(shape, "city", "A")] == 7)
        #expect(figures[cell(shape, "city", "Total")] == 21)
        // Unpublished cells add nothing: with the group dimension published at its total only.
        let totalsOnly = (0..<shape.cellCount).map { shape.nodes(of: $0)[1] == shape.dimensions[1].total }
        let counted = SecondarySuppressor.publishedFigures(in: shape, published: totalsOnly[...])
        #expect(counted[cell(shape, "city", "Total")] == 7)
        #expect(counted[cell(shape, "city", "A")] == 0)
    }

    /// Two lone people in group A of district north's wards: each ward's A must reach the
    /// threshold of 5, and its sibling ward's A holds one person, too few to move. The
    /// route up to the city and back down (the old way) withholds the city's figures; the
    /// route through the other district does not, and costs less.
    @Test func aWardIsProtectedWithoutTheCitysFigures() throws {
        let shape = TableShape(dimensions: [Self.area, dimension("group", ["A", "B"])])!
        // Inner cells, wards x groups: w1 (1, 50), w2 (1, 40), w3 (20, 30), w4 (25, 35).
        let table = countTable(shape, inner: [1, 50, 1, 40, 20, 30, 25, 35])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        let (statuses, suppressor, problem) = try protect(table, primary)
        #expect(statuses[cell(shape, "w1", "A")].disposition == .primary)
        #expect(statuses[cell(shape, "north", "A")].disposition == .primary)
        for g in ["A", "B", "Total"] {
            #expect(!statuses[cell(shape, "city", g)].disposition.isWithheld, "city \(g) withheld")
        }
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        // The attacker's interval for w1's A reaches the threshold.
        let w1A = cell(shape, "w1", "A")
        let interval = IntervalAudit.intervals(shape: shape, values: attackerView(table, statuses), cells: [w1A])[w1A]!
        #expect(interval.upper.map { $0 >= 5 } ?? true)
    }

    /// A flow: the sensitive cell needs 4 more people, and no other cell of its column can
    /// go down by 4 (two cells of 3, withheld, so at least 1), so two routes of 2 protect
    /// it within the inner cells (a single route would need the column's total); the
    /// audit checks the amounts each cell moves.
    @Test func aFlowCarriesWhatNoSingleRouteCan() throws {
        let rows = dimension("row", ["r1", "r2", "r3", "r4"])
        let columns = dimension("column", ["c1", "c2", "c3"])
        let shape = TableShape(dimensions: [rows, columns])!
        // r1: (1, 30, 30); r2: (3, 30, 30); r3: (3, 30, 30); r4: (0, 30, 30). A withheld
        // count is known to be at least 1 (zeros are published), so r2/c1 and r3/c1 can
        // each go down by 2.
        let table = countTable(shape, inner: [1, 30, 30, 3, 30, 30, 3, 30, 30, 0, 30, 30])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        let (statuses, suppressor, problem) = try protect(table, primary)
        let item = shape.cell([rows.node("r1")!, columns.node("c1")!])
        let certificates = suppressor.certificates[item] ?? []
        #expect(certificates.contains { $0.perturbation.weights != nil }, "\(certificates)")
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        let interval = IntervalAudit.intervals(shape: shape, values: attackerView(table, statuses), cells: [item])[item]!
        #expect(interval.upper.map { $0 >= 5 } ?? true)
    }

    /// The exchange step, after the first pass and the improvement rounds, publishes cells
    /// that many certificates share and withholds cheaper ones instead, on a table shaped
    /// like sdcTable's comparison (40 Zipf-weighted areas x 5 x 2 x 3, a million people,
    /// threshold 10; the Protection benchmark's table); every certificate still holds.
    @Test func theExchangeStepWithholdsLess() throws {
        let shape = TableShape(dimensions: [
            dimension("area", (1...40).map { "a\($0)" }), dimension("age", ["1", "2", "3", "4", "5"]),
            dimension("sex", ["F", "M"]), dimension("outcome", ["o1", "o2", "o3"]),
        ])!
        let table = try generatedTable(shape, weights: [(1...40).map { 1 / Double($0) }, [0.6, 0.25, 0.1, 0.03, 0.02], [1, 1], [0.95, 0.04, 0.01]], people: 1_000_000, seed: 7)
        let problem = SuppressionProblem(
            table: table, published: [Bool](repeating: true, count: shape.cellCount),
            primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 10, comparator: .less)), secondary: SecondaryPolicy())
        // The route search alone: the step under test is the exchange.
        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy(effort: 0))
        let sensitive = problem.requirements.keys.sorted().filter { !problem.requirements[$0]!.isEmpty }
        for item in sensitive { try suppressor.protect(item, problem.requirements[item]!) }
        for _ in 0..<SecondarySuppressor.improvementRounds where suppressor.improve(sensitive) == 0 { break }
        func spent() -> Double { suppressor.secondaryCells.reduce(0) { $0 + suppressor.cost[$1] } }
        let before = spent()
        var budget = SecondarySuppressor.exchangeBudget(sensitive: sensitive.count)
        #expect(suppressor.exchange(budget: &budget) > 0)
        #expect(spent() < before)
        #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: suppressor.statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
    }

    /// A Zipf-weighted table of 12 areas x 4 age bands x 3 outcomes from 20,000 people, and
    /// its threshold of 10.
    static func smallZipf() throws -> (shape: TableShape, table: AggregatedTable, primary: PrimaryPolicy) {
        let shape = TableShape(dimensions: [
            dimension("area", (1...12).map { "a\($0)" }), dimension("age", ["1", "2", "3", "4"]), dimension("outcome", ["o1", "o2", "o3"]),
        ])!
        let table = try generatedTable(shape, weights: [(1...12).map { 1 / Double($0) }, [0.6, 0.25, 0.1, 0.05], [0.9, 0.08, 0.02]], people: 20_000, seed: 11)
        return (shape, table, PrimaryPolicy(frequency: FrequencyRule(threshold: 10, comparator: .less)))
    }

    /// The linear programme finds witnesses of shapes the route search cannot build (changes
    /// through other rows' totals, spread over several areas): on a Zipf-weighted table of
    /// 12 areas x 4 age bands x 3 outcomes (20,000 people, threshold 10) it withholds fewer
    /// cells than the routes alone, every certificate holds exactly, and the attack with the
    /// exact LP finds every sensitive cell's interval reaching the threshold. With no effort
    /// allowed, the programme is not used at all; with too little, it stops midway.
    @Test func theProgrammeWithholdsLessThanRoutesAlone() throws {
        let (shape, table, primary) = try Self.smallZipf()
        let (statuses, suppressor, problem) = try protect(table, primary)
        let (routeStatuses, routes, _) = try protect(table, primary, SecondaryPolicy(effort: 0))
        #expect(routes.program == nil && suppressor.program != nil)
        // Work that runs out midway: the route search carries on, and every certificate holds.
        var starved = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        starved.program!.budget.remaining = 100_000
        try starved.run()
        #expect(starved.program!.budget.remaining <= 0)
        #expect(CertificateAudit.verify(problem: starved.problem, statuses: starved.statuses, certificates: starved.certificates, singletons: true).isEmpty)
        let withheld = statuses.filter { $0.disposition == .secondary }.count
        let byRoutes = routeStatuses.filter { $0.disposition == .secondary }.count
        #expect(withheld < byRoutes, "the programme withholds \(withheld), the routes alone \(byRoutes)")
        // Some certificate has a shape no route gives: it moves cells by different amounts.
        #expect(suppressor.certificates.values.joined().contains { Set($0.perturbation.weights ?? [1]).count > 1 })
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        let sensitive = problem.requirements.keys.sorted()
        var nonEmpty: [Int: CellBounds] = [:]
        for c in 0..<shape.cellCount where statuses[c].disposition.isWithheld { nonEmpty[c] = CellBounds(lower: 1) }
        let intervals = IntervalAudit.intervals(shape: shape, values: attackerView(table, statuses), cells: sensitive, bounds: nonEmpty)
        for cell in sensitive {
            let reach = Rational(table.values[cell] + problem.requirements[cell]!.countUp)
            #expect(intervals[cell]!.upper.map { $0 >= reach } ?? true, "cell \(shape.nodes(of: cell))")
        }
    }

    /// The prune certifies an item again each time a cell it relied on is published; each
    /// such witness starts from the basis of the same item's last one. Replayed on the
    /// Zipf-weighted table above, publishing its secondary cells one by one (costliest
    /// first): the remembered bases find a witness exactly where the programme that starts
    /// from the last item's basis does, each moving the same number of people in all (the
    /// least, which both reach), and spend fewer iterations doing so. With no memory for
    /// bases, remembering spends exactly what forgetting does.
    @Test func aRememberedBasisFindsTheSameWitnessesInFewerIterations() throws {
        let (shape, table, primary) = try Self.smallZipf()
        var (_, suppressor, _) = try protect(table, primary)
        let withheldNow = suppressor.withheld
        let published = suppressor.problem.published
        func program(remembering: Bool) -> CertificateProgram {
            let p = CertificateProgram(suppressor, budget: ProgramBudget(.max / 2)) { withheldNow[$0] || !published[$0] }!
            p.remembersBases = remembering
            return p
        }
        let remembering = program(remembering: true)
        let forgetting = program(remembering: false)
        let starved = program(remembering: true)
        starved.basesMemory = 0
        let sensitive = suppressor.problem.requirements.keys.sorted()
        func moved(_ p: Perturbation?) -> Int64? { p.map { $0.weights?.reduce(0, +) ?? Int64($0.cells.count) } }
        var found = 0
        var spent = (remembering: 0, forgetting: 0, starved: 0)
        let secondary = suppressor.secondaryCells.sorted { suppressor.cost[$0] > suppressor.cost[$1] }
        #expect(secondary.count >= 4)
        for c in secondary.prefix(4) {
            suppressor.withheld[c] = false
            for item in sensitive {
                let level = suppressor.problem.requirements[item]!.countUp
                let before = (remembering.iterations, forgetting.iterations, starved.iterations)
                let a = remembering.witness(item, level: level, up: true, newCells: false, in: suppressor)
                let b = forgetting.witness(item, level: level, up: true, newCells: false, in: suppressor)
                _ = starved.witness(item, level: level, up: true, newCells: false, in: suppressor)
                spent.remembering += remembering.iterations - before.0
                spent.forgetting += forgetting.iterations - before.1
                spent.starved += starved.iterations - before.2
                #expect(moved(a) == moved(b), "item \(shape.nodes(of: item)) after publishing \(shape.nodes(of: c))")
                if a != nil { found += 1 }
            }
        }
        #expect(found > 0)
        #expect(spent.remembering < spent.forgetting, "\(spent)")
        #expect(spent.starved == spent.forgetting, "\(spent)")
    }

    /// A witness over the cells withheld leans on cells the prune has settled rather than on
    /// those it has yet to try. By hand: in a 3 x 3 table, cell (r1, k1) holds 2 people and
    /// must reach 5; two rectangles through it are withheld, (r1, k2) (r2, k1) (r2, k2) and
    /// (r1, k3) (r3, k1) (r3, k3), each moving 9 people besides the item. With (r2, k2) not
    /// yet tried, the witness is the second rectangle; with (r3, k3), the first: either way it
    /// leaves the unsettled cell alone (were both priced alike, the same rectangle would serve
    /// both and one of the two checks fail).
    @Test func aWitnessLeansOnSettledCells() throws {
        let shape = TableShape(dimensions: [dimension("row", ["r1", "r2", "r3"]), dimension("col", ["k1", "k2", "k3"])])!
        let table = countTable(shape, inner: [2, 20, 20, 20, 20, 20, 20, 20, 20])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        let problem = SuppressionProblem(table: table, published: [Bool](repeating: true, count: shape.cellCount), primary: primary, secondary: SecondaryPolicy())
        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        let item = cell(shape, "r1", "k1")
        #expect(problem.requirements[item]?.countUp == 3)
        let first = [cell(shape, "r1", "k2"), cell(shape, "r2", "k1"), cell(shape, "r2", "k2")]
        let second = [cell(shape, "r1", "k3"), cell(shape, "r3", "k1"), cell(shape, "r3", "k3")]
        for c in first + second { suppressor.withheld[c] = true }
        let withheld = suppressor.withheld
        for (unsettled, expected) in [(cell(shape, "r2", "k2"), second), (cell(shape, "r3", "k3"), first)] {
            let program = CertificateProgram(suppressor, budget: ProgramBudget(1_000_000)) { withheld[$0] }!
            program.unsettled = [Bool](repeating: false, count: shape.cellCount)
            program.unsettled[unsettled] = true
            let witness = try #require(program.witness(item, level: 3, up: true, newCells: false, in: suppressor))
            #expect(Set(witness.cells) == Set(expected + [item]))
            #expect(witness.weights == witness.cells.map { _ in 3 })
        }
    }

    /// The prune's order, by hand: cells 0, 1, 3 cost between 3 and 4 (one unit), cell 2
    /// between 1 and 2. Within the first unit, the cells one item relies on come before the
    /// cell five rely on, the costlier of them first; the cheap unit last, whatever relies
    /// on it.
    @Test func thePruneTriesCellsFewItemsRelyOnFirstWithinAUnitOfCost() {
        let cost = [3.2, 3.7, 1.5, 3.1]
        let relying = [5, 1, 0, 1]
        #expect(SecondarySuppressor.pruneOrder([0, 1, 2, 3], cost: cost, relying: { relying[$0] }) == [1, 3, 0, 2])
        // Equal in all three: the first cell first.
        #expect(SecondarySuppressor.pruneOrder([3, 1], cost: [0, 2.5, 0, 2.5], relying: { _ in 2 }) == [1, 3])
    }

    /// The exact check of a certificate with weights: the witness is the true table plus
    /// the perturbation scaled by the level over what it moves the cell by, in whole
    /// numbers, non-negative. Negative controls: a scale that is not whole, a cell driven
    /// below zero, weights that do not keep a total.
    @Test func weightedCertificatesAreCheckedExactly() throws {
        let rows = dimension("row", ["r1", "r2", "r3"])
        let columns = dimension("column", ["c1", "c2"])
        let shape = TableShape(dimensions: [rows, columns])!
        // r1: (1, 30); r2: (3, 30); r3: (3, 30).
        let table = countTable(shape, inner: [1, 30, 3, 30, 3, 30])
        let problem = SuppressionProblem(
            table: table, published: [Bool](repeating: true, count: shape.cellCount),
            primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less)), secondary: SecondaryPolicy())
        var statuses = problem.statuses
        for c in 0..<shape.cellCount where shape.nodes(of: c)[0] != rows.total { statuses[c] = CellStatus(disposition: .secondary) }
        let index = CertificateAudit.FamilyIndex(problem.layout)
        func c(_ r: String, _ k: String) -> Int { shape.cell([rows.node(r)!, columns.node(k)!]) }
        let r = ProtectionRequirement(countUp: 4)
        func check(_ cells: [Int], _ signs: [Int8], _ weights: [Int64]) -> String? {
            let perturbation = Perturbation(cells: cells, signs: signs, weights: weights)
            return CertificateAudit.check(
                ProtectionCertificate(cell: c("r1", "c1"), perturbation: perturbation, up: true, down: false), r,
                problem: problem, statuses: statuses, index: index)
        }
        // Up 4 in r1/c1, down 2 in each of r2/c1 and r3/c1, balanced in column c2.
        let r1 = [c("r1", "c1"), c("r1", "c2"), c("r1", "Total")]
        let cells = r1 + [c("r2", "c1"), c("r2", "c2"), c("r2", "Total"), c("r3", "c1"), c("r3", "c2"), c("r3", "Total")]
        let signs: [Int8] = [1, -1, 1, -1, 1, 1, -1, 1, 1]
        // The row totals do not change: drop them.
        let kept = cells.indices.filter { ![2, 5, 8].contains($0) }
        #expect(check(kept.map { cells[$0] }, kept.map { signs[$0] }, [4, 4, 2, 2, 2, 2]) == nil)
        // The same moves with the cell moving by 2 units scale by 2: fine, whole numbers.
        #expect(check(kept.map { cells[$0] }, kept.map { signs[$0] }, [2, 2, 1, 1, 1, 1]) == nil)
        // Moving by 3 units, scaled by 4/3: not whole numbers.
        #expect(check(kept.map { cells[$0] }, kept.map { signs[$0] }, [3, 3, 2, 1, 2, 1])?.contains("whole") == true)
        // Down 4 in r2/c1, which holds 3.
        #expect(check([c("r1", "c1"), c("r1", "c2"), c("r2", "c1"), c("r2", "c2")], [1, -1, -1, 1], [4, 4, 4, 4])?.contains("negative") == true)
        // Column c1 does not add up: 4 up, 2 + 1 down.
        #expect(check(kept.map { cells[$0] }, kept.map { signs[$0] }, [4, 4, 2, 2, 1, 1])?.contains("relation") == true)
    }
}

/// A count table of `people` drawn independently per dimension with the given weights (one
/// list per dimension, over its inner categories), from a seeded linear congruential
/// generator: the Protection benchmark's way of making its Zipf table.
func generatedTable(_ shape: TableShape, weights: [[Double]], people: Int, seed: UInt64) throws -> AggregatedTable {
    let axes = weights.map { w in
        let total = w.reduce(0, +)
        var running = 0.0
        return w.map { running += $0 / total; return running }
    }
    var state = seed
    var accumulator = TableAccumulator(shape: shape, measure: .count, topCount: 0)
    for _ in 0..<people {
        var inner = 0
        for axis in axes {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Double(state >> 11) / Double(1 << 53)
            inner = inner * axis.count + (axis.firstIndex { u < $0 } ?? axis.count - 1)
        }
        accumulator.add(cell: inner, value: 1)
    }
    return try accumulator.finish()
}
