import Testing
@testable import DiscreetCore

@Suite struct CohortRoundingTests {
    /// What an attacker sees of a protected, rounded table: exact published figures, and
    /// for rounded ones only the interval the release states.
    func attack(_ table: AggregatedTable, _ statuses: [CellStatus], _ rounded: RoundedCohort, _ policy: RoundingPolicy, published: [Bool], cells: [Int])
        -> [Int: FeasibilityInterval]
    {
        let shape = table.shape
        var view = [Int64?](repeating: nil, count: shape.cellCount)
        var bounds: [Int: CellBounds] = [:]
        for c in 0..<shape.cellCount where published[c] && !statuses[c].disposition.isWithheld {
            if rounded.rounded[c] { bounds[c] = policy.interval(of: rounded.values[c]) } else { view[c] = table.values[c] }
        }
        return IntervalAudit.intervals(shape: shape, values: view, cells: cells, bounds: bounds)
    }

    /// Suppression, then each rounding method on the published cells: every rounded figure
    /// is a multiple of the base within its stated interval, controlled rounding adds up
    /// wherever no withheld cell takes part, and the exact attack, knowing only the
    /// intervals, finds every sensitive cell still protected.
    @Test(arguments: [RoundingMethod.conventional, .random, .controlled])
    func roundingAfterSuppressionKeepsTheProtection(method: RoundingMethod) throws {
        var checked = 0
        var controlledTables = 0
        for seed in UInt64(0)..<60 {
            var rng = TestRandom(seed + 500)
            let k = 2 + rng.below(2)
            var dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: 4) }
            while dims.reduce(1, { $0 * $1.nodeCount }) > 300 { dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: 3) } }
            let shape = TableShape(dimensions: dims)!
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            let published = [Bool](repeating: true, count: shape.cellCount)
            let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
            let (statuses, _, problem) = try protect(table, primary, SecondaryPolicy(), published: published)
            let policy = RoundingPolicy(method: method, base: Int64([3, 5, 10][rng.below(3)]))
            var generator = ReproducibleGenerator(seed: seed)
            let rounded = CohortRounding.round(
                values: table.values, shape: shape, published: published, withheld: statuses.map { $0.disposition.isWithheld },
                tables: [(shape, Array(0..<shape.cellCount))], policy: policy, using: &generator)
            for c in 0..<shape.cellCount {
                let withheld = statuses[c].disposition.isWithheld
                #expect(rounded.rounded[c] == !withheld)
                guard !withheld else { continue }
                let r = rounded.values[c]
                #expect(r % policy.base == 0, "seed \(seed)")
                let b = policy.interval(of: r)
                #expect(table.values[c] >= b.lower! && table.values[c] <= b.upper!, "seed \(seed)")
                if table.values[c] % policy.base == 0 && method != .conventional { #expect(r == table.values[c]) }
            }
            if method == .controlled {
                if rounded.fallback == nil {
                    controlledTables += 1
                    for relation in shape.relations() where ([relation.total] + relation.parts).allSatisfy({ !statuses[$0].disposition.isWithheld }) {
                        #expect(rounded.values[relation.total] == relation.parts.reduce(0) { $0 + rounded.values[$1] }, "seed \(seed)")
                    }
                } else {
                    // Only a table that is not a network can lack a controlled rounding.
                    #expect(k == 3 || dims.filter { $0.nodeCount > $0.leafCount + 1 }.count == 2, "seed \(seed): \(rounded.fallback!)")
                    #expect(rounded.fallback!.hasPrefix("no controlled rounding of these tables"))
                }
            }
            let sensitive = problem.requirements.keys.sorted()
            let intervals = attack(table, statuses, rounded, policy, published: published, cells: sensitive)
            for cell in sensitive {
                let r = problem.requirements[cell]!
                let x = Rational(table.values[cell])
                let interval = try #require(intervals[cell], "seed \(seed)")
                #expect(interval.upper.map { $0 >= x + Rational(r.countUp) } ?? true, "seed \(seed)")
                #expect(interval.lower <= x - Rational(r.countDown), "seed \(seed)")
                checked += 1
            }
        }
        #expect(checked > 100)
        if method == .controlled { #expect(controlledTables > 10) }
    }

    /// Suppression that knows the rounding to come may leave a count published where a
    /// certificate moves it within what its rounded figure will tell. The exact attack,
    /// knowing every stated range (rounded figures narrowed by the frequency rule, withheld
    /// counts at least 1), still finds every sensitive cell protected, the certificate
    /// audit accepts every certificate, and fewer cells are withheld than without it.
    @Test(arguments: [RoundingMethod.conventional, .random])
    func suppressionUsesTheRoundingSlack(method: RoundingMethod) throws {
        var checked = 0
        var withSlack = 0
        var withoutSlack = 0
        for seed in UInt64(0)..<40 {
            var rng = TestRandom(seed + 9000)
            let k = 2 + rng.below(2)
            var dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: 4) }
            while dims.reduce(1, { $0 * $1.nodeCount }) > 150 { dims = (0..<k).map { randomDimension("d\($0)", &rng, maxTop: 3) } }
            let shape = TableShape(dimensions: dims)!
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            let published = [Bool](repeating: true, count: shape.cellCount)
            let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: Int64(3 + rng.below(3)), comparator: .less))
            // "Not exactly" protection: moves of one, which rounding slack can absorb.
            let secondary = SecondaryPolicy(frequency: rng.chance(0.5) ? .fixed(upper: 1, lower: 0) : .reachThreshold)
            let policy = RoundingPolicy(method: method, base: Int64([5, 10][rng.below(2)]))
            let rules = RoundedFigureRules(policy: policy, marksNotZero: false, primary: primary)
            let problem = SuppressionProblem(table: table, published: published, primary: primary, secondary: secondary, rounding: rules)
            var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
            try suppressor.run()
            let statuses = suppressor.statuses
            #expect(
                CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty,
                "seed \(seed)")
            let (plain, _, _) = try protect(table, primary, secondary)
            withSlack += statuses.filter { $0.disposition == .secondary }.count
            withoutSlack += plain.filter { $0.disposition == .secondary }.count
            var generator = ReproducibleGenerator(seed: seed)
            let rounded = CohortRounding.round(
                values: table.values, shape: shape, published: published, withheld: statuses.map { $0.disposition.isWithheld },
                tables: [], policy: policy, using: &generator)
            var bounds: [Int: CellBounds] = [:]
            for c in 0..<shape.cellCount {
                if statuses[c].disposition.isWithheld {
                    bounds[c] = CellBounds(lower: 1)
                } else {
                    let b = rules.stated(figure: rounded.values[c], trueValue: table.values[c])
                    #expect(table.values[c] >= b.lower! && table.values[c] <= b.upper!, "seed \(seed)")
                    bounds[c] = b
                }
            }
            let sensitive = problem.requirements.keys.sorted()
            let intervals = IntervalAudit.intervals(
                shape: shape, values: [Int64?](repeating: nil, count: shape.cellCount), cells: sensitive, bounds: bounds)
            for cell in sensitive {
                let r = problem.requirements[cell]!
                let x = Rational(table.values[cell])
                let interval = try #require(intervals[cell], "seed \(seed)")
                #expect(interval.upper.map { $0 >= x + Rational(r.countUp) } ?? true, "seed \(seed), cell \(cell)")
                #expect(interval.lower <= x - Rational(r.countDown), "seed \(seed), cell \(cell)")
                checked += 1
            }
        }
        #expect(checked > 100)
        #expect(withSlack < withoutSlack, "\(withSlack) vs \(withoutSlack)")
    }

    /// What a rounded figure states, by hand: the interval, narrowed by the frequency rule
    /// (a published count is 0 or not small) and by a marked rounded 0; and the range that
    /// holds whichever figure random rounding draws.
    @Test func roundedFiguresStateTheirRanges() {
        // NHS: base 5, 1 to 7 withheld.
        let nhs = RoundedFigureRules(
            policy: RoundingPolicy(method: .conventional, base: 5), marksNotZero: false,
            primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 8, comparator: .less)))
        #expect(nhs.leastPublished == 8)
        #expect(nhs.stated(figure: 10, trueValue: 9) == CellBounds(lower: 8, upper: 12))
        #expect(nhs.stated(figure: 15, trueValue: 14) == CellBounds(lower: 13, upper: 17))
        #expect(nhs.stated(figure: 0, trueValue: 0) == CellBounds(lower: 0, upper: 0))
        // Without a frequency rule, a 0 means 0 to 2.
        let plain = RoundedFigureRules(policy: RoundingPolicy(method: .conventional, base: 5))
        #expect(plain.stated(figure: 0, trueValue: 1) == CellBounds(lower: 0, upper: 2))
        // A marked rounded 0 (DfE `k`) means 1 to 4 at base 10; an unmarked one, 0.
        let marked = RoundedFigureRules(policy: RoundingPolicy(method: .conventional, base: 10), marksNotZero: true)
        #expect(marked.stated(figure: 0, trueValue: 3) == CellBounds(lower: 1, upper: 4))
        #expect(marked.stated(figure: 0, trueValue: 0) == CellBounds(lower: 0, upper: 0))
        // Random rounding of 7 to base 5 shows 5 (1 to 9) or 10 (6 to 14): 6 to 9 either way.
        let random = RoundedFigureRules(policy: RoundingPolicy(method: .random, base: 5))
        #expect(random.whateverTheFigure(7) == CellBounds(lower: 6, upper: 9))
        #expect(random.whateverTheFigure(10) == CellBounds(lower: 6, upper: 14))
        // Conventional rounding: the one figure it draws.
        #expect(nhs.whateverTheFigure(9) == CellBounds(lower: 8, upper: 12))
    }

    /// The release audit checks what rounded figures state, and does not call a withheld
    /// cell recoverable from a relation whose other figures are rounded.
    @Test func releaseAuditChecksRoundedFigures() {
        let shape = TableShape(dimensions: [dimension("r", ["a", "b", "c"])])!
        let table = countTable(shape, inner: [2, 13, 21])
        var statuses = [CellStatus](repeating: .published, count: shape.cellCount)
        statuses[0] = CellStatus(disposition: .primary, failed: .frequency)
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        let rules = RoundedFigureRules(policy: RoundingPolicy(method: .conventional, base: 5), marksNotZero: false, primary: primary)
        let honest = TableRounding(rules: rules, values: [0, 15, 20, 35], rounded: [false, true, true, true])
        let ok = ProtectedTable(name: "t", data: table, statuses: statuses, rounding: honest)
        #expect(ReleaseAudit.run(tables: [ok], indicators: [], primary: primary).isEmpty)
        // The same pattern unrounded gives the withheld cell away.
        let exact = ProtectedTable(name: "t", data: table, statuses: statuses)
        #expect(ReleaseAudit.run(tables: [exact], indicators: [], primary: primary).map(\.kind) == [.recoverable])
        // A figure off its multiple, or whose range misses the truth, is refused.
        for wrong in [[0, 15, 21, 35], [0, 20, 20, 35]] as [[Int64]] {
            let bad = ProtectedTable(name: "t", data: table, statuses: statuses, rounding: TableRounding(rules: rules, values: wrong, rounded: honest.rounded))
            #expect(ReleaseAudit.run(tables: [bad], indicators: [], primary: primary).map(\.kind) == [.misstated])
        }
    }

    /// Controlled rounding with withheld (free) cells: every other cell at an adjacent
    /// multiple, and every relation without a withheld cell adds up.
    @Test func controlledRoundingLeavesWithheldCellsFree() throws {
        var rng = TestRandom(4242)
        for case_ in 0..<200 {
            let tree = randomDimension("h", &rng, maxTop: 4)
            let flat = dimension("c", (0..<(1 + rng.below(4))).map { "c\($0)" })
            let shape = TableShape(dimensions: case_ % 2 == 0 ? [tree, flat] : [flat, tree])!
            let base = Int64([3, 5, 10][rng.below(3)])
            let table = countTable(shape, inner: randomCounts(shape.innerCellCount, &rng))
            let free = (0..<shape.cellCount).map { _ in rng.chance(0.2) }
            let rounded = try #require(ControlledRounding.round(table.values, shape: shape, base: base, free: free), "case \(case_)")
            for c in 0..<shape.cellCount where !free[c] {
                let x = table.values[c]
                #expect(rounded[c] % base == 0)
                if x % base == 0 { #expect(rounded[c] == x) } else { #expect(abs(rounded[c] - x) < base, "case \(case_)") }
            }
            for relation in shape.relations() where !free[relation.total] && relation.parts.allSatisfy({ !free[$0] }) {
                #expect(rounded[relation.total] == relation.parts.reduce(0) { $0 + rounded[$1] }, "case \(case_)")
            }
        }
    }

    /// Levels: with depth 1 in a three-level hierarchy, the total and its groups are
    /// rounded, the leaves are not; a table without the dimension is rounded throughout.
    @Test func levelsRoundTheUpperLevelsOnly() {
        let area = try! TableDimension.build(name: "area", total: "city", entries: [
            HierarchyEntry(code: "north"), HierarchyEntry(code: "n1", parent: "north"), HierarchyEntry(code: "n2", parent: "north"),
            HierarchyEntry(code: "south"), HierarchyEntry(code: "s1", parent: "south"),
        ])
        let shape = TableShape(dimensions: [area, dimension("sex", ["F", "M"])])!
        let table = countTable(shape, inner: [7, 8, 11, 12, 13, 14])
        let published = [Bool](repeating: true, count: shape.cellCount)
        var generator = ReproducibleGenerator(seed: 1)
        let policy = RoundingPolicy(method: .conventional, base: 10, levels: RoundingLevels(dimension: "area", depth: 1))
        let rounded = CohortRounding.round(
            values: table.values, shape: shape, published: published, withheld: [Bool](repeating: false, count: shape.cellCount),
            tables: [], policy: policy, using: &generator)
        for c in 0..<shape.cellCount {
            let node = shape.nodes(of: c)[0]
            #expect(rounded.rounded[c] == (area.depths[node] <= 1))
            #expect(rounded.values[c] == (rounded.rounded[c] ? Rounding.nearest(table.values[c], base: 10) : table.values[c]))
        }
        let bySex = TableShape(dimensions: [dimension("sex", ["F", "M"])])!
        let other = CohortRounding.round(
            values: [20, 9, 11], shape: bySex, published: [true, true, true], withheld: [false, false, false], tables: [], policy: policy,
            using: &generator)
        #expect(other.rounded == [true, true, true])
        #expect(other.values == [20, 10, 10])
    }

    /// Linked tables that no one table holds are rounded by the search: each adds up. A
    /// table with no controlled rounding falls back to conventional rounding, and says so.
    @Test func controlledRoundingOfLinkedTablesAndItsFallback() {
        let shape = TableShape(dimensions: [dimension("a", ["x", "y", "z"]), dimension("b", ["u", "v"]), dimension("c", ["p", "q"])])!
        let table = countTable(shape, inner: [5, 1, 3, 5, 4, 5, 3, 4, 1, 5, 5, 4])
        let projection = { (kept: Set<Int>) -> CohortRounding.Projection in
            let dims = kept.sorted().map { shape.dimensions[$0] }
            let cells = (0..<shape.cellCount).filter { c in
                let n = shape.nodes(of: c)
                return (0..<3).allSatisfy { kept.contains($0) || n[$0] == shape.dimensions[$0].total }
            }
            return (TableShape(dimensions: dims)!, cells)
        }
        let linked = [projection([0, 1]), projection([0, 2])]
        var published = [Bool](repeating: false, count: shape.cellCount)
        for t in linked { for c in t.cells { published[c] = true } }
        let none = [Bool](repeating: false, count: shape.cellCount)
        var generator = ReproducibleGenerator(seed: 1)
        let rounded = CohortRounding.round(
            values: table.values, shape: shape, published: published, withheld: none, tables: linked,
            policy: RoundingPolicy(method: .controlled, base: 5), using: &generator)
        #expect(rounded.fallback == nil && rounded.note == nil)
        for t in linked {
            for r in t.shape.relations() {
                #expect(rounded.values[t.cells[r.total]] == r.parts.reduce(0) { $0 + rounded.values[t.cells[$1]] })
            }
            for c in t.cells { #expect(abs(rounded.values[c] - table.values[c]) < 5 && rounded.values[c] % 5 == 0) }
        }
        // The whole three-way table to base 2 has no controlled rounding.
        let all = [Bool](repeating: true, count: shape.cellCount)
        let impossible = CohortRounding.round(
            values: table.values, shape: shape, published: all, withheld: none, tables: [(shape, Array(0..<shape.cellCount))],
            policy: RoundingPolicy(method: .controlled, base: 2), using: &generator)
        #expect(impossible.fallback?.hasPrefix("no controlled rounding of these tables exists") == true)
        #expect(impossible.values == table.values.map { Rounding.nearest($0, base: 2) })
    }
}
