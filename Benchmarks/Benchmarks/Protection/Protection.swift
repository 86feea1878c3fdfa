// Secondary suppression of large hierarchical count tables (about 5% primary cells), with
// the exact certificate audit that every release goes through. Reports time, peak memory
// and cells withheld.
import Benchmark
import DiscreetCore

let primaryCells = BenchmarkMetric.custom("Primary cells", polarity: .prefersSmaller, useScalingFactor: false)
let secondaryCells = BenchmarkMetric.custom("Secondary cells", polarity: .prefersSmaller, useScalingFactor: false)

/// A dimension of `groups` groups of `leaves` leaves each (flat when `groups` is 0).
func dimension(_ name: String, groups: Int, leaves: Int) -> TableDimension {
    var entries: [HierarchyEntry] = []
    if groups == 0 {
        entries = (0..<leaves).map { HierarchyEntry(code: "\(name)\($0)") }
    } else {
        for g in 0..<groups {
            entries.append(HierarchyEntry(code: "\(name)g\(g)"))
            for l in 0..<leaves { entries.append(HierarchyEntry(code: "\(name)\(g).\(l)", parent: "\(name)g\(g)")) }
        }
    }
    return try! TableDimension.build(name: name, total: "T", entries: entries)
}

/// A count table whose inner cells are mostly large, some empty, and about 5% of all
/// cells small enough to fail a threshold of 5 (`small` per mille of inner cells: 1 to 4).
func table(_ dimensions: [TableDimension], seed: UInt64, small: Int = 70) -> AggregatedTable {
    let shape = TableShape(dimensions: dimensions)!
    var state = seed
    var accumulator = TableAccumulator(shape: shape, measure: .count, topCount: 0)
    for cell in 0..<shape.innerCellCount {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let r = Int(state >> 33) % 1000
        let n = r < 60 ? 0 : (r < 60 + small ? 1 + r % 4 : 5 + r % 40)
        for _ in 0..<n { accumulator.add(cell: cell, value: 1) }
    }
    return try! accumulator.finish()
}

/// The shape of sdcTable's published comparison, from a million people: 40 areas weighted
/// like Zipf's law (area k has weight 1/k), 5 age bands (60%, 25%, 10%, 3%, 2%), 2 sexes
/// and 3 outcomes (95%, 4%, 1%); 41 x 6 x 3 x 4 = 2,952 cells with margins, about 400 of
/// them under a threshold of 10.
func zipfTable(people: Int = 1_000_000, seed: UInt64 = 7) -> AggregatedTable {
    let shape = TableShape(dimensions: [dimension("area", groups: 0, leaves: 40), dimension("age", groups: 0, leaves: 5),
                                        dimension("sex", groups: 0, leaves: 2), dimension("outcome", groups: 0, leaves: 3)])!
    func cumulative(_ weights: [Double]) -> [Double] {
        let total = weights.reduce(0, +)
        var running = 0.0
        return weights.map { running += $0 / total; return running }
    }
    let axes = [cumulative((1...40).map { 1 / Double($0) }), cumulative([0.6, 0.25, 0.1, 0.03, 0.02]), cumulative([1, 1]), cumulative([0.95, 0.04, 0.01])]
    var state = seed
    func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    var accumulator = TableAccumulator(shape: shape, measure: .count, topCount: 0)
    for _ in 0..<people {
        var inner = 0
        for axis in axes {
            let u = uniform()
            inner = inner * axis.count + (axis.firstIndex { u < $0 } ?? axis.count - 1)
        }
        accumulator.add(cell: inner, value: 1)
    }
    return try! accumulator.finish()
}

func protect(_ table: AggregatedTable, _ benchmark: Benchmark, threshold: Int64 = 5, secondary: SecondaryPolicy = SecondaryPolicy()) {
    let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: threshold, comparator: .less))
    let problem = SuppressionProblem(
        table: table, published: [Bool](repeating: true, count: table.shape.cellCount), primary: primary, secondary: secondary)
    var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
    do {
        try suppressor.run()
    } catch {
        fatalError("cannot protect cell \(error.cell)")
    }
    let statuses = suppressor.statuses
    let failures = CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: secondary.singletons)
    precondition(failures.isEmpty, "the audit failed: \(failures.prefix(3))")
    benchmark.measurement(primaryCells, statuses.filter { $0.disposition == .primary }.count)
    benchmark.measurement(secondaryCells, statuses.filter { $0.disposition == .secondary }.count)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident, primaryCells, secondaryCells], timeUnits: .milliseconds,
        maxDuration: .seconds(300), maxIterations: 3)
    // Like sdcTable's comparison: 4 dimensions, 2,952 cells with margins, about 400 primary.
    Benchmark("Protect 2952 cells (4 dimensions)", configuration: configuration) { benchmark, table in
        for _ in benchmark.scaledIterations { protect(table, benchmark) }
    } setup: {
        table([dimension("a", groups: 0, leaves: 2), dimension("b", groups: 0, leaves: 3), dimension("c", groups: 0, leaves: 5),
               dimension("d", groups: 0, leaves: 40)], seed: 1, small: 330)
    }
    // The same shape from a million people with Zipf-weighted areas, threshold 10: the
    // default protection, then sdcTable's weaker attacker (no interval beyond one above
    // the count, lone contributors not assumed to know their cells).
    Benchmark("Protect 2952 cells from 1M people (Zipf areas, threshold 10)", configuration: configuration) { benchmark, table in
        for _ in benchmark.scaledIterations { protect(table, benchmark, threshold: 10) }
    } setup: {
        zipfTable()
    }
    Benchmark("Protect 2952 cells from 1M people (Zipf areas, threshold 10, sdcTable's attacker)", configuration: configuration) { benchmark, table in
        for _ in benchmark.scaledIterations {
            protect(table, benchmark, threshold: 10, secondary: SecondaryPolicy(frequency: .fixed(upper: 1, lower: 0), singletons: false))
        }
    } setup: {
        zipfTable()
    }
    // About 100,000 cells: 6 areas of 8 wards, 20 ages, sex, 30 categories.
    Benchmark("Protect 100k cells (4 dimensions, hierarchical)", configuration: configuration) { benchmark, table in
        for _ in benchmark.scaledIterations { protect(table, benchmark) }
    } setup: {
        table([dimension("w", groups: 6, leaves: 8), dimension("a", groups: 0, leaves: 20), dimension("s", groups: 0, leaves: 2),
               dimension("e", groups: 0, leaves: 30)], seed: 2)
    }
    // About 1,000,000 cells: 16 areas of 8 wards, 20 ages, sex, 110 categories.
    Benchmark("Protect 1M cells (4 dimensions, hierarchical)", configuration: configuration) { benchmark, table in
        for _ in benchmark.scaledIterations { protect(table, benchmark) }
    } setup: {
        table([dimension("w", groups: 16, leaves: 8), dimension("a", groups: 0, leaves: 20), dimension("s", groups: 0, leaves: 2),
               dimension("e", groups: 0, leaves: 110)], seed: 3)
    }
}
