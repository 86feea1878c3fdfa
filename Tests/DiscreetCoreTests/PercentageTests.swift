import Testing
@testable import DiscreetCore

@Suite struct PercentageTests {
    @Test func roundsHalfUpAtTheChosenPrecision() throws {
        #expect(try Percentage.of(numerator: 1, denominator: 3, decimals: 1) == .value(333, decimals: 1))
        #expect(try Percentage.of(numerator: 2, denominator: 3, decimals: 1) == .value(667, decimals: 1))
        #expect(try Percentage.of(numerator: 1, denominator: 8, decimals: 1) == .value(125, decimals: 1))  // 12.5 exactly
        #expect(try Percentage.of(numerator: 1, denominator: 16, decimals: 1) == .value(63, decimals: 1))  // 6.25 -> 6.3
        #expect(try Percentage.of(numerator: 1, denominator: 8, decimals: 0) == .value(13, decimals: 0))  // 12.5 -> 13
        #expect(try Percentage.of(numerator: 85, denominator: 85, decimals: 2) == .value(10000, decimals: 2))
        #expect(try Percentage.of(numerator: 0, denominator: 7, decimals: 1) == .value(0, decimals: 1))
        #expect(try Percentage.of(numerator: 1, denominator: 3, decimals: 1).text == "33.3")
        #expect(try Percentage.of(numerator: 1, denominator: 200, decimals: 0).text == "1")  // 0.5 -> 1
    }

    @Test func withheldWhenEitherPartIs() throws {
        #expect(try Percentage.of(numerator: nil, denominator: 10, decimals: 1) == .withheld)
        #expect(try Percentage.of(numerator: 3, denominator: nil, decimals: 1) == .withheld)
        #expect(try Percentage.of(numerator: nil, denominator: nil, decimals: 1) == .withheld)
        #expect(try Percentage.of(numerator: nil, denominator: 10, decimals: 1).text == "")
    }

    @Test func zeroDenominatorIsNotApplicable() throws {
        #expect(try Percentage.of(numerator: 0, denominator: 0, decimals: 1) == .notApplicable)
    }

    @Test func numeratorAboveDenominatorIsAnError() {
        #expect(throws: PercentageOverflow()) { try Percentage.of(numerator: 85, denominator: 81, decimals: 1) }
    }

    @Test func indicatorFiguresUsePublishedValuesOnly() throws {
        let d = try TableDimension.build(name: "x", total: "T", entries: [.init(code: "a"), .init(code: "b"), .init(code: "c")])
        let shape = TableShape(dimensions: [d])!
        func table(_ counts: [Int64]) throws -> AggregatedTable {
            var acc = TableAccumulator(shape: shape, measure: .count, topCount: 0)
            for (cell, n) in counts.enumerated() { for _ in 0..<n { acc.add(cell: cell, value: 1) } }
            return try acc.finish()
        }
        let policy = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
        let numerator = ProtectedTable(name: "n", data: try table([2, 5, 0]), primary: policy)
        let denominator = ProtectedTable(name: "d", data: try table([10, 6, 0]), primary: policy)
        let figures = try IndicatorFigures(numerator: 0, denominator: 1, tables: [numerator, denominator], decimals: 1)
        #expect(figures.percentages[0] == .withheld)  // numerator 2 is withheld
        #expect(figures.percentages[1] == .value(833, decimals: 1))
        #expect(figures.percentages[2] == .notApplicable)
        #expect(figures.percentages[3] == .value(438, decimals: 1))  // 7 of 16
        #expect(IndicatorFigures.inconsistentCells(numerator: try table([2, 7, 0]), denominator: try table([10, 6, 0])) == [1])
    }
}
