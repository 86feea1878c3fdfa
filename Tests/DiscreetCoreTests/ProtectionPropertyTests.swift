import Testing
@testable import DiscreetCore

/// A small seeded generator for random tables.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
}

/// A random dimension: a few top-level categories, some of them groups of leaves.
func randomDimension(_ name: String, _ rng: inout TestRandom, maxTop: Int) -> TableDimension {
    var entries: [HierarchyEntry] = []
    for g in 0..<(2 + rng.below(maxTop - 1)) {
        let code = "\(name)\(g)"
        entries.append(HierarchyEntry(code: code))
        if rng.chance(0.35) {
            for c in 0..<(2 + rng.below(2)) { entries.append(HierarchyEntry(code: "\(code).\(c)", parent: code)) }
        }
    }
    return try! TableDimension.build(name: name, total: "T", entries: entries)
}

/// Random inner counts: many small cells, some empty, a few large.
func randomCounts(_ n: Int, _ rng: inout TestRandom) -> [Int64] {
    (0..<n).map { _ in
        let r = rng.below(100)
        if r < 12 { return 0 }
        if r < 45 { return Int64(1 + rng.below(3)) }
        if r < 85 { return Int64(3 + rng.below(12)) }
        return Int64(15 + rng.below(60))
    }
}

@Suite struct ProtectionPropertyTests {
    /// Random hierarchical tables of 2 to 4 dimensions, each on its own or as the hidden
    /// cohort table behind linked tables, protected, then attacked with the exact LP.
    @Test(arguments: 0..<6)
    func protectedTablesWithstandTheExactAudit(batch: Int) throws {
        var checkedCells = 0
        for case_ in 0..<50 {
            let seed = UInt64(batch * 1000 + case_)
            var rng = TestRandom(seed)
            let k = 2 + rng.below(3)
            var dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: k == 4 ? 3 : 4) }
            // Small enough for the exact LP in a debug build.
            while dims.reduce(1, { $0 * $1.nodeCount }) > 400 { dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: 3) } }
            let shape = TableShape(dimensions: dims)!
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            // Linked tables: publish two projections of the table; the other cells stay hidden.
            var published = [Bool](repeating: true, count: shape.cellCount)
            let linked = rng.chance(0.4)
            if linked {
                let keep = [Set((0..<k).filter { _ in rng.chance(0.6) }), Set((0..<k).filter { _ in rng.chance(0.6) })]
                published = (0..<shape.cellCount).map { cell in
                    let nodes = shape.nodes(of: cell)
                    return keep.contains { kept in (0..<k).allSatisfy { kept.contains($0) || nodes[$0] == dims[$0].total } }
                }
            }
            let threshold = Int64(3 + rng.below(3))
            let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: threshold, comparator: rng.chance(0.5) ? .less : .lessOrEqual))
            let secondary = SecondaryPolicy(method: rng.chance(0.25) ? .products : .cycles, singletons: rng.chance(0.7))
            let problem = SuppressionProblem(table: table, published: published, primary: primary, secondary: secondary)
            var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
            try suppressor.run()
            let statuses = suppressor.statuses
            #expect(
                CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: secondary.singletons).isEmpty,
                "seed \(seed)")
            // The attack: exact intervals from what is published, and from the rules: zeros
            // are published, so every withheld published cell holds someone.
            let view = (0..<shape.cellCount).map { c in published[c] && !statuses[c].disposition.isWithheld ? table.values[c] : nil }
            let sensitive = problem.requirements.keys.sorted()
            #expect(problem.withheldCountsAtLeast == 1)
            var nonEmpty: [Int: CellBounds] = [:]
            for c in 0..<shape.cellCount where published[c] && statuses[c].disposition.isWithheld { nonEmpty[c] = CellBounds(lower: 1) }
            let intervals = IntervalAudit.intervals(shape: shape, values: view, cells: sensitive, bounds: nonEmpty)
            func check(_ cell: Int, _ interval: FeasibilityInterval, _ who: String) {
                let r = problem.requirements[cell]!
                let a = Rational(table.values[cell])
                let upOK = interval.upper.map { $0 >= a + Rational(r.countUp) } ?? true
                let downOK = interval.lower <= a - Rational(r.countDown)
                #expect(upOK && downOK, "seed \(seed), cell \(shape.nodes(of: cell)), value \(a), needs +\(r.countUp), \(who) sees \(interval)")
            }
            for cell in sensitive {
                check(cell, intervals[cell]!, "an outsider")
                checkedCells += 1
            }
            // The second attack, independent of the simplex: Gaussian elimination.
            let determined = LinearDisclosure.determined(shape: shape, unknown: view.map { $0 == nil })
            #expect(determined.isDisjoint(with: sensitive), "seed \(seed): linear algebra recovers a sensitive cell")
            // Every complementary cell is moved by some certificate, so none is known exactly either.
            #expect(determined.allSatisfy { !published[$0] }, "seed \(seed): a withheld cell is known exactly")
            // Lone contributors of withheld cells know their own cell.
            guard secondary.singletons else { continue }
            let lone = (0..<shape.cellCount).filter { published[$0] && statuses[$0].disposition.isWithheld && table.values[$0] == 1 }
            for s in lone.prefix(4) {
                let others = sensitive.filter { $0 != s && !table.sameLoneContributor($0, s) }
                let seen = IntervalAudit.intervals(shape: shape, values: view, cells: others, known: [s: 1], bounds: nonEmpty)
                for cell in others { check(cell, seen[cell]!, "the lone contributor of \(shape.nodes(of: s))") }
            }
        }
        #expect(checkedCells > 100)
    }

    /// Negative control: with primary suppression alone, the same attack finds disclosures.
    @Test func theAttackFindsPrimaryOnlyPatternsWanting() {
        var exposed = 0
        for seed in UInt64(0)..<40 {
            var rng = TestRandom(seed)
            let dims = (0..<2).map { randomDimension("d\($0)", &rng, maxTop: 4) }
            let shape = TableShape(dimensions: dims)!
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
            let problem = SuppressionProblem(
                table: table, published: [Bool](repeating: true, count: shape.cellCount), primary: primary, secondary: SecondaryPolicy())
            let view = (0..<shape.cellCount).map { c in problem.statuses[c].disposition.isWithheld ? nil : table.values[c] }
            let intervals = IntervalAudit.intervals(shape: shape, values: view, cells: Array(problem.requirements.keys))
            for (cell, r) in problem.requirements {
                let reach = Rational(table.values[cell] + r.countUp)
                if let upper = intervals[cell]!.upper, upper < reach { exposed += 1 }
            }
        }
        #expect(exposed > 20)
    }

    /// The two attacks agree: every cell Gaussian elimination determines has an exact
    /// interval in the LP, and on primary-only patterns elimination finds disclosures.
    @Test func gaussianEliminationAndTheSimplexAgree() {
        var determinedCount = 0
        var exactCount = 0
        for seed in UInt64(100)..<160 {
            var rng = TestRandom(seed)
            let dims = (0..<(2 + rng.below(2))).map { randomDimension("d\($0)", &rng, maxTop: 3) }
            let shape = TableShape(dimensions: dims)!
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            // Withhold a random fifth of the cells.
            let unknown = (0..<shape.cellCount).map { _ in rng.chance(0.2) }
            let view = (0..<shape.cellCount).map { unknown[$0] ? nil : table.values[$0] as Int64? }
            let withheld = (0..<shape.cellCount).filter { unknown[$0] }
            let determined = LinearDisclosure.determined(shape: shape, unknown: unknown)
            let intervals = IntervalAudit.intervals(shape: shape, values: view, cells: withheld)
            for cell in withheld {
                if determined.contains(cell) {
                    #expect(intervals[cell]!.isExact, "seed \(seed)")
                    #expect(intervals[cell]!.lower == Rational(table.values[cell]), "seed \(seed)")
                    determinedCount += 1
                }
                if intervals[cell]!.isExact { exactCount += 1 }
            }
        }
        #expect(determinedCount > 30)
        // The simplex sees at least as much (non-negativity can pin cells too).
        #expect(exactCount >= determinedCount)
    }
}
