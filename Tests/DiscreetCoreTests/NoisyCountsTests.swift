import Testing
@testable import DiscreetCore

/// Noisy counts for a table: drawn once for the inner cells, margins summed, error bounds
/// that hold at their stated rate over repeated releases.
@Suite struct NoisyCountsTests {
    /// Wards in two districts (2 and 3 wards) by three outcomes, with every margin.
    static func shape() -> TableShape {
        let area = try! TableDimension.build(name: "area", total: "city", entries: [
            HierarchyEntry(code: "d1"), HierarchyEntry(code: "d2"),
            HierarchyEntry(code: "w1", parent: "d1"), HierarchyEntry(code: "w2", parent: "d1"),
            HierarchyEntry(code: "w3", parent: "d2"), HierarchyEntry(code: "w4", parent: "d2"), HierarchyEntry(code: "w5", parent: "d2"),
        ])
        let outcome = try! TableDimension.build(name: "outcome", total: "all", entries: (1...3).map { HierarchyEntry(code: "o\($0)") })
        return TableShape(dimensions: [area, outcome])!
    }

    static func counts(_ shape: TableShape) -> [Int64] {
        var counts = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { counts[cell] = Int64(3 + 7 * i % 23) }
        shape.rollUp { counts[$0] += counts[$1] }
        return counts
    }

    @Test(arguments: [CountNoise.laplace(epsilon: Rational(1, 2)), .gaussian(rho: Rational(1, 8))])
    func everyMarginIsTheSumOfItsNoisyChildren(noise: CountNoise) {
        let shape = Self.shape()
        let truth = Self.counts(shape)
        let noisy = NoisyCounts.measure(truth, shape: shape, noise: noise, threads: 2) { RandomWords(seed: 41, stream: $0) }
        for relation in shape.relations() {
            #expect(noisy[relation.total] == relation.parts.reduce(0) { $0 + noisy[$1] })
        }
        // The noise is there (the control: a table equal to the truth would pass the line above).
        #expect(noisy != truth)
        // The same seed, the same release, on one thread or two.
        #expect(NoisyCounts.measure(truth, shape: shape, noise: noise, threads: 1) { RandomWords(seed: 41, stream: $0) } == noisy)
    }

    @Test func aMarginSumsTheInnerCellsUnderIt() {
        let shape = Self.shape()
        let inner = NoisyCounts.innerCells(shape)
        func cell(_ area: String, _ outcome: String) -> Int {
            shape.cell([shape.dimensions[0].node(area)!, shape.dimensions[1].node(outcome)!])
        }
        #expect(inner[cell("w1", "o1")] == 1)
        #expect(inner[cell("d2", "o1")] == 3)
        #expect(inner[cell("w4", "all")] == 3)
        #expect(inner[cell("d1", "all")] == 6)
        #expect(inner[cell("city", "all")] == 15)
    }

    /// Over 2,000 releases of the same table, each figure's error exceeds its 90% bound in at
    /// most 10% of them (plus three standard errors: 2%); the grand total, bounded as if it
    /// were one cell (the control), exceeds that bound far more often.
    @Test(arguments: [CountNoise.laplace(epsilon: Rational(1)), .gaussian(rho: Rational(1, 2))])
    func errorsStayWithinTheirBoundsAtTheStatedRate(noise: CountNoise) {
        let shape = Self.shape()
        let truth = Self.counts(shape)
        let inner = NoisyCounts.innerCells(shape)
        let alpha = 0.1
        let bounds = inner.map { noise.errorBound(cells: $0, alpha: alpha) }
        let runs = 2_000
        var exceeded = [Int](repeating: 0, count: shape.cellCount)
        let total = shape.cellCount - 1
        var totalPastOneCell = 0
        for run in 0..<runs {
            let noisy = NoisyCounts.measure(truth, shape: shape, noise: noise, threads: 1) { RandomWords(seed: 42, stream: run * 1_000 + $0) }
            for c in 0..<shape.cellCount where Double((noisy[c] - truth[c]).magnitude) > bounds[c] { exceeded[c] += 1 }
            if Double((noisy[total] - truth[total]).magnitude) > noise.errorBound(cells: 1, alpha: alpha) { totalPastOneCell += 1 }
        }
        #expect(inner[total] == 15)
        for c in 0..<shape.cellCount {
            #expect(Double(exceeded[c]) / Double(runs) <= alpha + 0.02, "cell \(shape.codes(of: c)): \(exceeded[c]) of \(runs)")
        }
        #expect(Double(totalPastOneCell) / Double(runs) > 3 * alpha, "\(totalPastOneCell) of \(runs)")
    }
}
