// Joint protection of a dashboard's many linked cohorts: a base cohort by area (8 groups of
// 12 wards), 15 age bands and sex (5,040 cells with margins); ten denominators within it,
// each with one or two numerators; one denominator split into three parts that share
// nobody; a few cohorts nested deeper; 30 cohorts in all, each published by some of its
// dimensions as a dashboard's indicators are. Reports time, peak memory, the sensitive
// cells and groups, and the cells withheld besides.
import Benchmark
import DiscreetCore

let sensitiveCells = BenchmarkMetric.custom("Sensitive cells", polarity: .prefersSmaller, useScalingFactor: false)
let sensitiveGroups = BenchmarkMetric.custom("Sensitive groups", polarity: .prefersSmaller, useScalingFactor: false)
let secondaryCells = BenchmarkMetric.custom("Secondary cells", polarity: .prefersSmaller, useScalingFactor: false)

struct Generator {
    var state: UInt64
    mutating func next(_ n: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(state >> 33) % n
    }
    mutating func chance(_ per: Int) -> Bool { next(100) < per }
}

/// The cohorts, their relations and tables, and the people in them.
struct LinkedRelease {
    let layout: CohortLayout
    let tables: [AggregatedTable]
    let published: [Bool]

    init(people: Int, seed: UInt64) {
        var rng = Generator(state: seed)
        var entries: [HierarchyEntry] = []
        for g in 0..<8 {
            entries.append(HierarchyEntry(code: "c\(g)"))
            for w in 0..<12 { entries.append(HierarchyEntry(code: "w\(g).\(w)", parent: "c\(g)")) }
        }
        let dims = [
            try! TableDimension.build(name: "area", total: "city", entries: entries),
            try! TableDimension.build(name: "age", total: "all", entries: (0..<15).map { HierarchyEntry(code: "band\($0)") }),
            try! TableDimension.build(name: "sex", total: "all", entries: [HierarchyEntry(code: "F"), HierarchyEntry(code: "M")]),
        ]
        // The base cohort; ten denominators; their numerators (one split in three parts);
        // three cohorts nested one level deeper under numerators.
        var parent = [-1]
        var published = [[0, 1, 2]]
        var share = [100]
        let breakdowns = [[0], [0], [0, 1], [0, 2], [1, 2], [0], [0, 1], [0], [0, 2], [1]]
        var disjoint: [CohortRelations.Pair] = []
        for d in 0..<10 {
            parent.append(0)
            published.append(breakdowns[d])
            share.append(30 + rng.next(50))
            let denominator = parent.count - 1
            let numerators = d == 0 ? 3 : 1 + rng.next(2)
            for k in 0..<numerators {
                parent.append(denominator)
                published.append(breakdowns[d])
                share.append(d == 0 ? 30 : 40 + rng.next(50))
                if d == 0 { for j in 0..<k { disjoint.append(.init(parent.count - 2 - j, parent.count - 1)) } }
            }
        }
        while parent.count < 30 {
            let c = 11 + rng.next(parent.count - 11)
            parent.append(c)
            published.append(published[c])
            share.append(50)
        }
        let count = parent.count
        var within: [CohortRelations.Pair] = []
        for c in 1..<count {
            var a = parent[c]
            while a >= 0 {
                within.append(.init(c, a))
                a = parent[a]
            }
        }
        let relations = CohortRelations(within: within, disjoint: disjoint)
        layout = CohortLayout(dimensions: dims, cohorts: published.map { ($0, .count) }, relations: relations)
        var accumulators = layout.blocks.map { TableAccumulator(shape: $0.shape, measure: .count, topCount: 0) }
        for _ in 0..<people {
            let leaves = [rng.next(96), rng.next(15), rng.next(2)]
            var atom: Set<Int> = [0]
            for c in 1..<count where atom.contains(parent[c]) && rng.chance(share[c]) {
                if disjoint.contains(where: { ($0.first == c && atom.contains($0.second)) || ($0.second == c && atom.contains($0.first)) }) { continue }
                atom.insert(c)
            }
            for b in atom {
                let block = layout.blocks[b]
                var inner = 0
                for (k, d) in block.dimensions.enumerated() { inner += leaves[d] * block.shape.innerStrides[k] }
                accumulators[b].add(cell: inner, value: 1)
            }
        }
        tables = accumulators.map { try! $0.finish() }
        var mask: [Bool] = []
        for (b, block) in layout.blocks.enumerated() {
            for cell in 0..<block.shape.cellCount {
                let nodes = block.shape.nodes(of: cell)
                mask.append(block.dimensions.indices.allSatisfy { published[b].contains(block.dimensions[$0]) || nodes[$0] == block.shape.dimensions[$0].total })
            }
        }
        self.published = mask
    }
}

func protect(_ release: LinkedRelease, _ benchmark: Benchmark) {
    let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
    let secondary = SecondaryPolicy()
    let problem = SuppressionProblem(layout: release.layout, tables: release.tables, published: release.published, primary: primary, secondary: secondary)
    var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
    do {
        try suppressor.run()
    } catch {
        fatalError("cannot protect item \(error.cell)")
    }
    let statuses = suppressor.statuses
    let failures = CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true)
    precondition(failures.isEmpty, "the audit failed: \(failures.prefix(3))")
    let groups = problem.requirements.keys.filter(problem.isGroup).count
    benchmark.measurement(sensitiveCells, problem.requirements.count - groups)
    benchmark.measurement(sensitiveGroups, groups)
    benchmark.measurement(secondaryCells, statuses.filter { $0.disposition == .secondary }.count)
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident, sensitiveCells, sensitiveGroups, secondaryCells], timeUnits: .milliseconds,
        maxDuration: .seconds(300), maxIterations: 3)
    Benchmark("Protect 30 linked cohorts over a 5,040-cell table", configuration: configuration) { benchmark, release in
        for _ in benchmark.scaledIterations { protect(release, benchmark) }
    } setup: {
        LinkedRelease(people: 20_000, seed: 1)
    }
}
