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

/// Post-processing noisy counts into whole numbers that are not negative and add up.
@Suite struct ConsistentCountsTests {
    static func flat(_ name: String, _ leaves: Int) -> TableDimension {
        try! TableDimension.build(name: name, total: "all", entries: (0..<leaves).map { HierarchyEntry(code: "\(name)\($0)") })
    }

    static func addsUp(_ values: [Int64], _ shape: TableShape) -> Bool {
        shape.relations().allSatisfy { r in values[r.total] == r.parts.reduce(0) { $0 + values[$1] } }
    }

    /// By hand: cells a = -2, b = 5, total 3. With a at 0, (b - 5)² + (b - 3)² is least at
    /// b = 4: the fit is a = 0, b = 4, total 4 (clamping alone would give a total of 5).
    @Test func aNegativeCellTakesFromItsNeighbourNotFromTheTotal() {
        let shape = TableShape(dimensions: [Self.flat("x", 2)])!
        let a = shape.cell([0]), b = shape.cell([1]), total = shape.cell([2])
        var noisy = [Int64](repeating: 0, count: 3)
        noisy[a] = -2
        noisy[b] = 5
        noisy[total] = 3
        let result = ConsistentCounts.nonNegative(noisy, shape: shape)
        #expect(result.values[a] == 0 && result.values[b] == 4 && result.values[total] == 4)
        #expect(!result.roundedByNearest)
    }

    /// Rolling down sums into each inner cell every cell that covers it: from all ones, the
    /// number of covering cells (a ward under a district under the city, by an outcome under
    /// its total: 3 x 2 = 6).
    @Test func rollingDownSumsEveryCoveringCell() {
        let shape = NoisyCountsTests.shape()
        var values = [Int](repeating: 1, count: shape.cellCount)
        shape.rollDown { values[$0] += values[$1] }
        for cell in shape.innerToFull() { #expect(values[cell] == 6) }
    }

    @Test func aTableWithNoNegativeCellIsUnchanged() {
        let shape = NoisyCountsTests.shape()
        let truth = NoisyCountsTests.counts(shape)
        #expect(ConsistentCounts.nonNegative(truth, shape: shape).values == truth)
    }

    /// Noise large against small counts (many negative cells): the result is whole, not
    /// negative, adds up, and its grand total stays nearer the noisy (unbiased) total than
    /// clamping negative cells to 0 leaves it, on average over 50 releases.
    @Test func noisyTablesBecomeNonNegativeAndAddUpWithLessBiasThanClamping() {
        let shape = TableShape(dimensions: [NoisyCountsTests.shape().dimensions[0], Self.flat("age", 4)])!
        var truth = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { truth[cell] = Int64(i % 3) }
        shape.rollUp { truth[$0] += truth[$1] }
        let total = shape.cellCount - 1
        var fitGap = 0.0, clampGap = 0.0
        for run in 0..<50 {
            let noisy = NoisyCounts.measure(truth, shape: shape, noise: .laplace(epsilon: Rational(1, 2)), threads: 1) {
                RandomWords(seed: 43, stream: run * 100 + $0)
            }
            let result = ConsistentCounts.nonNegative(noisy, shape: shape)
            #expect(result.values.allSatisfy { $0 >= 0 })
            #expect(Self.addsUp(result.values, shape))
            #expect(!result.roundedByNearest)
            var clamped = [Int64](repeating: 0, count: shape.cellCount)
            for cell in shape.innerToFull() { clamped[cell] = max(0, noisy[cell]) }
            shape.rollUp { clamped[$0] += clamped[$1] }
            fitGap += Double((result.values[total] - noisy[total]).magnitude)
            clampGap += Double((clamped[total] - noisy[total]).magnitude)
        }
        #expect(fitGap < clampGap / 2, "fit \(fitGap), clamp \(clampGap)")
    }

    /// Three dimensions: no network; the search finds a controlled rounding, and the table is
    /// whole, not negative, and adds up.
    @Test func threeDimensionsAddUpToo() {
        let shape = TableShape(dimensions: [Self.flat("a", 3), Self.flat("b", 3), Self.flat("c", 2)])!
        var truth = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { truth[cell] = Int64(i % 4) }
        shape.rollUp { truth[$0] += truth[$1] }
        let noisy = NoisyCounts.measure(truth, shape: shape, noise: .gaussian(rho: Rational(1, 2)), threads: 1) { RandomWords(seed: 44, stream: $0) }
        #expect(noisy.contains { $0 < 0 })
        let result = ConsistentCounts.nonNegative(noisy, shape: shape)
        #expect(result.values.allSatisfy { $0 >= 0 })
        #expect(Self.addsUp(result.values, shape))
        #expect(!result.roundedByNearest)
    }
}

/// A table's noisy figures with their bounds, percentage intervals, and the audit of a
/// noisy release.
@Suite struct NoisyTableTests {
    @Test func boundsAreTheRawNoisesAndGrowByThePostProcessingsMove() {
        let shape = NoisyCountsTests.shape()
        let counts = NoisyCountsTests.counts(shape)
        let noise = CountNoise.gaussian(rho: Rational(1, 8))
        let raw = NoisyTable.measure(counts, shape: shape, noise: noise, postProcessing: .raw, alpha: 0.05, threads: 1) { RandomWords(seed: 4, stream: $0) }
        let inner = NoisyCounts.innerCells(shape)
        // Raw: each figure's bound is that of the sum of the draws it adds up, rounded up.
        for cell in 0..<shape.cellCount {
            #expect(raw.figures.errorBounds[cell] == Int64(noise.errorBound(cells: inner[cell], alpha: 0.05).rounded(.up)))
            #expect(raw.figures.halfChanceBounds[cell] == Int64(noise.errorBound(cells: inner[cell], alpha: 0.025).rounded(.up)))
            #expect(raw.figures.halfChanceBounds[cell] >= raw.figures.errorBounds[cell])
        }
        // A single discrete Gaussian draw with σ² = 4: P(|X| > 4) ≈ 0.023 ≤ 5% < P(|X| > 3) ≈ 0.077.
        #expect(raw.figures.errorBounds[shape.innerToFull()[0]] == 4)
        let clean = NoisyTable.measure(counts, shape: shape, noise: noise, postProcessing: .nonNegative, alpha: 0.05, threads: 1) { RandomWords(seed: 4, stream: $0) }
        for cell in 0..<shape.cellCount {
            let move = (clean.figures.values[cell] - raw.figures.values[cell]).magnitude
            #expect(clean.figures.errorBounds[cell] == raw.figures.errorBounds[cell] + Int64(move))
        }
    }

    /// The interval of n/d from n ± bn and d ± bd, by hand.
    @Test func percentageIntervalsByHand() {
        // 40/120 = 33.33..% down to 33.3; 60/80 = 75%.
        #expect(IndicatorFigures.interval(numerator: 50, numeratorBound: 10, denominator: 100, denominatorBound: 20, decimals: 1) == 333...750)
        // 70/90 = 77.7..% down to 77; 90/70 > 100%: capped.
        #expect(IndicatorFigures.interval(numerator: 80, numeratorBound: 10, denominator: 80, denominatorBound: 10, decimals: 0) == 77...100)
        // A denominator that may be 0 or less: the upper end is 100%; a numerator that may be
        // negative: the lower end is 0.
        #expect(IndicatorFigures.interval(numerator: 2, numeratorBound: 5, denominator: 4, denominatorBound: 6, decimals: 0) == 0...100)
        // 1/3 = 33.3..% up to 34 (rounded up).
        #expect(IndicatorFigures.interval(numerator: 1, numeratorBound: 0, denominator: 3, denominatorBound: 0, decimals: 0) == 33...34)
        // Only 0 and below: no percentage.
        #expect(IndicatorFigures.interval(numerator: 0, numeratorBound: 1, denominator: -3, denominatorBound: 2, decimals: 1) == nil)
    }

    /// Percentages of noisy figures are taken within 0 to 100, never refused.
    @Test func percentagesOfNoisyFiguresStayWithinAHundred() throws {
        let shape = TableShape(dimensions: [ConsistentCountsTests.flat("x", 2)])!
        func table(_ values: [Int64]) -> ProtectedTable {
            ProtectedTable(
                name: "t", data: AggregatedTable(shape: shape, measure: .count, values: [Int64](repeating: 0, count: 3)),
                statuses: [CellStatus](repeating: .published, count: 3), noise: TableNoise(values: values, errorBounds: [1, 1, 2]))
        }
        // The two leaves and their total.
        let order = (0..<3).map { shape.codes(of: $0)[0] }
        let x1 = order.firstIndex(of: "x0")!, x2 = order.firstIndex(of: "x1")!, total = order.firstIndex(of: "all")!
        var n = [Int64](repeating: 0, count: 3), d = [Int64](repeating: 0, count: 3)
        (n[x1], n[x2], n[total]) = (7, -1, 6)
        (d[x1], d[x2], d[total]) = (5, 0, 5)
        let figures = try IndicatorFigures(numerator: 0, denominator: 1, tables: [table(n), table(d)], decimals: 1)
        #expect(figures.percentages[x1] == .value(1000, decimals: 1))
        #expect(figures.percentages[x2] == .notApplicable)
        #expect(figures.percentages[total] == .value(1000, decimals: 1))
        #expect(figures.intervals?[x1] != nil)
    }

    @Test func theNoisyAuditFindsTrueFiguresBrokenMarginsAndNegatives() throws {
        let shape = TableShape(dimensions: [ConsistentCountsTests.flat("x", 2)])!
        let data = AggregatedTable(shape: shape, measure: .count, values: [2, 3, 5].map(Int64.init))
        let published = [CellStatus](repeating: .published, count: 3)
        let total = (0..<3).first { shape.codes(of: $0)[0] == "all" }!
        var values: [Int64] = [0, 0, 0]
        for cell in 0..<3 where cell != total { values[cell] = cell == 0 ? 4 : -1 }
        values[total] = 3
        let good = ProtectedTable(name: "good", data: data, statuses: published, noise: TableNoise(values: values, errorBounds: [1, 1, 1]))
        #expect(NoisyReleaseAudit.run(tables: [good], nonNegative: false).isEmpty)
        // Controls: each must be found.
        let negative = NoisyReleaseAudit.run(tables: [good], nonNegative: true)
        #expect(negative.count == 1 && negative[0].description.contains("negative"))
        var broken = values
        broken[total] += 1
        let margin = NoisyReleaseAudit.run(tables: [ProtectedTable(name: "broken", data: data, statuses: published, noise: TableNoise(values: broken, errorBounds: [1, 1, 1]))], nonNegative: false)
        #expect(margin.count == 1 && margin[0].description.contains("not the sum of its children"))
        // Withheld below a threshold of 0: the negative cell is not shown, and its relation is
        // not checked among figures it is missing from.
        let withheld = ProtectedTable(name: "withheld", data: data, statuses: published, noise: TableNoise(values: broken, errorBounds: [1, 1, 1]).withholding(below: 0))
        #expect(withheld.figure(values.firstIndex(of: -1)!) == .withheld(bounds: nil))
        #expect(NoisyReleaseAudit.run(tables: [withheld], nonNegative: true).isEmpty)
        // A numerator above its denominator, where non-negative noisy figures must agree.
        var lower = values
        lower[0] = 2
        lower[total] = 1
        let denominator = ProtectedTable(name: "lower", data: data, statuses: published, noise: TableNoise(values: lower, errorBounds: [1, 1, 1]))
        let indicator = try IndicatorFigures(numerator: 0, denominator: 1, tables: [good, denominator], decimals: 1)
        let above = NoisyReleaseAudit.run(tables: [good, denominator], indicators: [("share", indicator)], nonNegative: true)
        #expect(above.filter { $0.description.contains("the numerator exceeds its denominator") }.count == 2)
        #expect(NoisyReleaseAudit.run(tables: [good, good], indicators: [("share", indicator)], nonNegative: true).count == 2, "only the negatives")
        let exact = NoisyReleaseAudit.run(tables: [ProtectedTable(name: "exact", data: data, statuses: published)], nonNegative: false)
        #expect(exact.count == 3 && exact.allSatisfy { $0.kind == AuditFinding.Kind.notNoisy })
    }
}

/// Noise level by level and reconciled: the sensitivity of noising every published figure,
/// and the fit to the figures measured.
@Suite struct ReconciledTableTests {
    @Test func theSensitivityIsTheMostPublishedFiguresOnePersonIsIn() {
        // Wards in districts in the city (3 levels) by outcome and its total (2 levels).
        let shape = NoisyCountsTests.shape()
        #expect(ReconciledTable.sensitivity(shape: shape, observed: [Bool](repeating: true, count: shape.cellCount)) == 6)
        var inner = [Bool](repeating: false, count: shape.cellCount)
        for cell in shape.innerToFull() { inner[cell] = true }
        #expect(ReconciledTable.sensitivity(shape: shape, observed: inner) == 1)
        // Only the outcome totals, by ward, district and city: 3.
        let outcomeTotal = shape.dimensions[1].total
        let totals = (0..<shape.cellCount).map { shape.nodes(of: $0)[1] == outcomeTotal }
        #expect(ReconciledTable.sensitivity(shape: shape, observed: totals) == 3)
        // The mechanism for it: the budget of a count divided by 3.
        #expect(CountNoise.laplace(epsilon: 1).dividingBudget(by: 3) == .laplace(epsilon: Rational(1, 3)))
        #expect(CountNoise.gaussian(rho: Rational(1, 2)).dividingBudget(by: 3) == .gaussian(rho: Rational(1, 6)))
    }

    /// Only the total measured, 10: the fit shares it between the two cells.
    @Test func theFitOnlyFollowsTheFiguresMeasured() {
        let shape = TableShape(dimensions: [ConsistentCountsTests.flat("x", 2)])!
        let total = (0..<3).first { shape.codes(of: $0)[0] == "all" }!
        var noisy: [Int64] = [0, 0, 0]
        noisy[total] = 10
        var observed = [false, false, false]
        observed[total] = true
        let fit = ConsistentCounts.nonNegative(noisy, shape: shape, observed: observed)
        #expect(fit.values[total] == 10)
        #expect((0..<3).filter { $0 != total }.allSatisfy { fit.values[$0] == 5 })
        // Everything measured apart: cells 4 and 4, total 14. The least squares of
        // (a - 4)² + (b - 4)² + (a + b - 14)² is a = b = 6, total 12: the total's own draw
        // counts, although no cell is negative.
        for cell in 0..<3 { noisy[cell] = cell == total ? 14 : 4 }
        let apart = ConsistentCounts.nonNegative(noisy, shape: shape, observed: [true, true, true])
        #expect(apart.values[total] == 12 && (0..<3).filter { $0 != total }.allSatisfy { apart.values[$0] == 6 })
    }

    @Test func reconciledFiguresAddUpAndStateTheirMove() {
        let shape = NoisyCountsTests.shape()
        let counts = NoisyCountsTests.counts(shape)
        let observed = [Bool](repeating: true, count: shape.cellCount)
        let noise = CountNoise.laplace(epsilon: Rational(1, 2)).dividingBudget(by: ReconciledTable.sensitivity(shape: shape, observed: observed))
        let (figures, _) = ReconciledTable.measure(counts, shape: shape, observed: observed, noise: noise, alpha: 0.05, threads: 1) { RandomWords(seed: 3, stream: $0) }
        #expect(ConsistentCountsTests.addsUp(figures.values, shape) && figures.values.allSatisfy { $0 >= 0 })
        let own = Int64(noise.errorBound(cells: 1, alpha: 0.05).rounded(.up))
        // Every bound is at least one draw's, and more where the reconciliation moved a figure.
        #expect(figures.errorBounds.allSatisfy { $0 >= own })
        #expect(figures.errorBounds.contains { $0 > own })
    }
}
