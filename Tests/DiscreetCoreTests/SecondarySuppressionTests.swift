import Testing
@testable import DiscreetCore

func dimension(_ name: String, _ codes: [String], total: String = "Total") -> TableDimension {
    try! TableDimension.build(name: name, total: total, entries: codes.map { HierarchyEntry(code: $0) })
}

/// A table from inner-cell values, margins rolled up.
func countTable(_ shape: TableShape, inner: [Int64]) -> AggregatedTable {
    var acc = TableAccumulator(shape: shape, measure: .count, topCount: 0)
    for (cell, n) in inner.enumerated() { for _ in 0..<n { acc.add(cell: cell, value: 1) } }
    return try! acc.finish()
}

/// Protects a table whose every cell is published; returns the statuses and the suppressor.
func protect(_ table: AggregatedTable, _ primary: PrimaryPolicy, _ secondary: SecondaryPolicy = SecondaryPolicy(), published: [Bool]? = nil) throws -> (statuses: [CellStatus], suppressor: SecondarySuppressor, problem: SuppressionProblem) {
    let problem = SuppressionProblem(
        table: table, published: published ?? [Bool](repeating: true, count: table.shape.cellCount), primary: primary, secondary: secondary)
    var s = SecondarySuppressor(problem: problem, policy: secondary)
    try s.run()
    return (s.statuses, s, problem)
}

/// What an attacker sees: published values, nil elsewhere.
func attackerView(_ table: AggregatedTable, _ statuses: [CellStatus], published: [Bool]? = nil) -> [Int64?] {
    (0..<table.shape.cellCount).map { c in
        (published?[c] ?? true) && !statuses[c].disposition.isWithheld ? table.values[c] : nil
    }
}

@Suite struct SecondarySuppressionTests {
    /// V2: sdcTable's minimum-loss pattern on microdata1, and its audit.
    @Test func v2PatternAndInterval() throws {
        let m = try Microdata1()
        let (statuses, suppressor, problem) = try protect(m.counts, PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual)))
        var secondary = Set<String>()
        for cell in 0..<m.shape.cellCount where statuses[cell].disposition == .secondary {
            let n = m.shape.nodes(of: cell)
            secondary.insert("\(m.region.codes[n[0]])/\(m.gender.codes[n[1]])")
        }
        #expect(secondary == ["A/male", "C/male", "C/female"])
        #expect(statuses[m.cell("A", "female")].disposition == .primary)
        #expect(statuses.filter { !$0.disposition.isWithheld }.count == 11)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        let af = m.cell("A", "female")
        let intervals = IntervalAudit.intervals(shape: m.shape, values: attackerView(m.counts, statuses), cells: [af])
        #expect(intervals[af] == FeasibilityInterval(lower: 0, upper: 12))
        // The pattern through region D instead is also safe, but wider and costlier.
        var viaD = statuses
        for (r, g) in [("C", "male"), ("C", "female")] { viaD[m.cell(r, g)] = .published }
        for (r, g) in [("D", "male"), ("D", "female")] { viaD[m.cell(r, g)] = CellStatus(disposition: .secondary) }
        #expect(IntervalAudit.intervals(shape: m.shape, values: attackerView(m.counts, viaD), cells: [af])[af] == FeasibilityInterval(lower: 0, upper: 16))
    }

    /// A user weight moves the pattern: with region C twenty times as costly, V2's
    /// complement (A/male, C/male, C/female) goes through another region instead.
    @Test func weightsSteerTheComplementaryCells() throws {
        let m = try Microdata1()
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual))
        let policy = SecondaryPolicy(weights: [m.region.name: ["C": 20]])
        let (statuses, suppressor, problem) = try protect(m.counts, primary, policy)
        let secondary = (0..<m.shape.cellCount).filter { statuses[$0].disposition == .secondary }
        #expect(secondary.count == 3)
        #expect(!secondary.contains { m.region.codes[m.shape.nodes(of: $0)[0]] == "C" })
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
    }

    /// V3: the handbook's feasibility interval, exactly.
    @Test func v3Interval() {
        let rows = dimension("row", ["1", "2", "3"])
        let cols = dimension("col", ["1", "2"])
        let shape = TableShape(dimensions: [rows, cols])!
        var values = [Int64?](repeating: nil, count: shape.cellCount)
        func set(_ r: String, _ c: String, _ v: Int64?) { values[shape.cell([rows.node(r)!, cols.node(c)!])] = v }
        set("1", "Total", 7)
        set("2", "Total", 3)
        set("3", "1", 3)
        set("3", "2", 3)
        set("3", "Total", 6)
        set("Total", "1", 9)
        set("Total", "2", 7)
        set("Total", "Total", 16)
        let x11 = shape.cell([rows.node("1")!, cols.node("1")!])
        let x22 = shape.cell([rows.node("2")!, cols.node("2")!])
        let intervals = IntervalAudit.intervals(shape: shape, values: values, cells: [x11, x22])
        #expect(intervals[x11] == FeasibilityInterval(lower: 3, upper: 6))
        #expect(intervals[x22] == FeasibilityInterval(lower: 0, upper: 3))
        // A declared bound narrows it: X21 <= 1 and X11 + X21 = 6 put X11 in [5, 6]. An
        // impossible bound (X21 >= 4, though row 2 adds up to 3) leaves no interval at all.
        let x21 = shape.cell([rows.node("2")!, cols.node("1")!])
        let bounded = IntervalAudit.intervals(shape: shape, values: values, cells: [x11], bounds: [x21: CellBounds(upper: 1)])
        #expect(bounded[x11] == FeasibilityInterval(lower: 5, upper: 6))
        let impossible = PublishedQuantity(
            shape: shape, values: values, withheld: values.map { $0 == nil }, bounds: [x21: CellBounds(lower: 4)])
        let report = DisclosureAudit.run(impossible)
        #expect(report.contradicted.count == 4)
        #expect(report.intervals.isEmpty)
    }

    /// V5: a lone contributor knows its own cell; suppression must withhold one more cell.
    @Test func v5Singletons() throws {
        let region = dimension("region", ["a", "b", "c"])
        let shape = TableShape(dimensions: [region])!
        let table = countTable(shape, inner: [1, 2, 1])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 1, comparator: .lessOrEqual))
        let (statuses, suppressor, problem) = try protect(table, primary)
        let a = region.node("a")!, b = region.node("b")!, c = region.node("c")!, t = region.total
        #expect(statuses[a].disposition == .primary)
        #expect(statuses[c].disposition == .primary)
        #expect(statuses[b].disposition.isWithheld || statuses[t].disposition.isWithheld)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        // The person in a knows a = 1: c must still reach 2 (the first count that is not small).
        let view = attackerView(table, statuses)
        let interval = IntervalAudit.intervals(shape: shape, values: view, cells: [c], known: [a: 1])[c]!
        #expect(interval.upper! >= Rational(2))
        // Withholding a and c alone fails against that person, and the certificate audit sees it.
        var weak = statuses
        weak[b] = .published
        weak[t] = .published
        #expect(IntervalAudit.intervals(shape: shape, values: attackerView(table, weak), cells: [c], known: [a: 1])[c]!.isExact)
        #expect(!CertificateAudit.verify(problem: problem, statuses: weak, certificates: suppressor.certificates, singletons: true).isEmpty)
        // Ignoring singletons, a and c protect each other against an outsider who cannot
        // rule out that a withheld cell is empty (zeros may be withheld)...
        var zerosWithheld = primary
        zerosWithheld.zeros = .withhold
        let (loose, _, _) = try protect(table, zerosWithheld, SecondaryPolicy(singletons: false))
        #expect(loose.filter { $0.disposition == .secondary }.isEmpty)
        // ...but where zeros are published, a withheld cell is at least 1, a + c = 2 pins
        // both, and one more cell must go.
        let (published, _, publishedProblem) = try protect(table, primary, SecondaryPolicy(singletons: false))
        #expect(publishedProblem.withheldCountsAtLeast == 1)
        #expect(published.filter { $0.disposition == .secondary }.count == 1)
        let pinned = IntervalAudit.intervals(
            shape: shape, values: attackerView(table, weak), cells: [c], bounds: [a: CellBounds(lower: 1), c: CellBounds(lower: 1)])[c]!
        #expect(pinned.isExact)
    }

    /// Six sensitive cells on a cycle (a/x, a/y, b/y, b/z, c/z, c/x) protect each other:
    /// moving them alternately by one keeps every margin. No rectangle of sensitive cells
    /// exists, so a search of products alone must withhold more; the plane search finds
    /// the cycle and withholds nothing else.
    @Test func sensitiveCellsOnACycleProtectEachOther() throws {
        let rows = dimension("row", ["a", "b", "c"])
        let cols = dimension("col", ["x", "y", "z"])
        let shape = TableShape(dimensions: [rows, cols])!
        let small: Set<[String]> = [["a", "x"], ["a", "y"], ["b", "y"], ["b", "z"], ["c", "z"], ["c", "x"]]
        let inner = shape.innerToFull().map { cell -> Int64 in
            let n = shape.nodes(of: cell)
            return small.contains([rows.codes[n[0]], cols.codes[n[1]]]) ? 2 : 10
        }
        let table = countTable(shape, inner: inner)
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
        let policy = SecondaryPolicy(frequency: .fixed(upper: 1, lower: 0), singletons: false)
        let (statuses, suppressor, problem) = try protect(table, primary, policy)
        #expect(statuses.filter { $0.disposition == .primary }.count == 6)
        #expect(statuses.filter { $0.disposition == .secondary }.isEmpty)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: false).isEmpty)
        // The attacker's view agrees: each sensitive cell lies in [0, 4] (the cycle moves by
        // up to 2 either way), never exactly known.
        let sensitive = (0..<shape.cellCount).filter { statuses[$0].disposition == .primary }
        let intervals = IntervalAudit.intervals(shape: shape, values: attackerView(table, statuses), cells: sensitive)
        for cell in sensitive { #expect(intervals[cell] == FeasibilityInterval(lower: .zero, upper: Rational(4))) }
    }

    /// Gaussian elimination on hand-checked patterns: V3's four withheld cells are not
    /// determined; a margin's lone withheld cell is; V2's primary-only pattern gives A/female
    /// away, and sdcTable's pattern does not.
    @Test func linearDisclosureOnKnownPatterns() throws {
        let rows = dimension("row", ["1", "2", "3"])
        let cols = dimension("col", ["1", "2"])
        let shape = TableShape(dimensions: [rows, cols])!
        func cell(_ r: String, _ c: String) -> Int { shape.cell([rows.node(r)!, cols.node(c)!]) }
        var unknown = [Bool](repeating: false, count: shape.cellCount)
        for (r, c) in [("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")] { unknown[cell(r, c)] = true }
        #expect(LinearDisclosure.determined(shape: shape, unknown: unknown).isEmpty)
        unknown[cell("3", "Total")] = true
        unknown[cell("2", "2")] = false
        #expect(LinearDisclosure.determined(shape: shape, unknown: unknown) == [cell("3", "Total"), cell("2", "1"), cell("1", "1"), cell("1", "2")])

        let m = try Microdata1()
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual))
        let problem = SuppressionProblem(table: m.counts, published: [Bool](repeating: true, count: m.shape.cellCount), primary: primary, secondary: SecondaryPolicy())
        #expect(LinearDisclosure.determined(shape: m.shape, unknown: problem.statuses.map { $0.disposition.isWithheld }) == [m.cell("A", "female")])
        let (statuses, _, _) = try protect(m.counts, primary)
        #expect(LinearDisclosure.determined(shape: m.shape, unknown: statuses.map { $0.disposition.isWithheld }).isEmpty)
    }

    @Test func magnitudeCellsGetTheirClassicalLevels() throws {
        // X = 330 = 300 + 20 + 10 under (1, 85): upper level (100/85)·300 − 330 = 22.94, so 23.
        let d = dimension("x", ["a", "b", "c"])
        let shape = TableShape(dimensions: [d])!
        var acc = TableAccumulator(shape: shape, measure: .sum(column: "v", places: 0), topCount: 2)
        for v: Int64 in [300, 20, 10] { acc.add(cell: 0, value: v) }
        for v: Int64 in [40, 50, 60] { acc.add(cell: 1, value: v) }
        for v: Int64 in [30, 30, 30, 30] { acc.add(cell: 2, value: v) }
        let table = try acc.finish()
        let primary = PrimaryPolicy(dominance: [DominanceRule(n: 1, k: ExactRatio(85))])
        let failed = primary.failures(of: table, cell: 0)
        #expect(failed == [.dominance])
        let r = primary.requirement(for: table, cell: 0, failed: failed, frequency: .reachThreshold)
        #expect(r.valueUp == 23)
        #expect(r.valueDown == 23)
        let (statuses, suppressor, problem) = try protect(table, primary)
        #expect(statuses.filter { $0.disposition == .secondary }.count == 1)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        let i = IntervalAudit.intervals(shape: shape, values: attackerView(table, statuses), cells: [0])[0]!
        #expect(i.upper! >= Rational(330 + 23))
        #expect(i.lower <= Rational(330 - 23))
    }

    @Test func certificateAuditRejectsForgedCertificates() throws {
        let m = try Microdata1()
        let (statuses, suppressor, problem) = try protect(m.counts, PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual)))
        let af = m.cell("A", "female")
        let good = suppressor.certificates[af]!
        // Publishing a cell the certificate moves breaks it.
        var leaky = statuses
        leaky[m.cell("C", "male")] = .published
        #expect(!CertificateAudit.verify(problem: problem, statuses: leaky, certificates: suppressor.certificates, singletons: true).isEmpty)
        // A perturbation that breaks a relation (a lone cell moved) is refused.
        var forged = good[0]
        forged.perturbation = Perturbation(moves: [
            DimensionMove(nodes: [m.region.node("A")!], signs: [1]), DimensionMove(nodes: [m.gender.node("female")!], signs: [1]),
        ], in: m.counts.shape)
        #expect(!CertificateAudit.verify(problem: problem, statuses: statuses, certificates: [af: [forged]], singletons: true).isEmpty)
        // A cell listed twice (its changes would add up) is refused, as is a sign other than ±1.
        var doubled = good[0]
        doubled.perturbation.cells.append(doubled.perturbation.cells[1])
        doubled.perturbation.signs.append(-doubled.perturbation.signs[1])
        #expect(!CertificateAudit.verify(problem: problem, statuses: statuses, certificates: [af: [doubled]], singletons: true).isEmpty)
        var scaled = good[0]
        scaled.perturbation.signs = scaled.perturbation.signs.map { $0 * 2 }
        #expect(!CertificateAudit.verify(problem: problem, statuses: statuses, certificates: [af: [scaled]], singletons: true).isEmpty)
        // Moving by more than the − corners hold is refused.
        var tooFar = problem
        tooFar.requirements[af]!.countUp = 11
        #expect(!CertificateAudit.verify(problem: tooFar, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
    }
}
