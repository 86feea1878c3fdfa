import Testing
@testable import DiscreetCore

/// Validation cases V1 (sdcTable's microdata1) and V4 (Hundepool et al. 2012, ch. 4).
@Suite struct PrimaryRuleTests {
    @Test func v1AggregatesToThePublishedCounts() throws {
        let m = try Microdata1()
        let expected: [(String, String, Int64)] = [
            ("A", "male", 18), ("A", "female", 2), ("B", "male", 14), ("B", "female", 19),
            ("C", "male", 12), ("C", "female", 10), ("D", "male", 11), ("D", "female", 14),
        ]
        for (r, g, n) in expected { #expect(m.counts.values[m.cell(r, g)] == n, "\(r)/\(g)") }
        #expect(m.counts.values[m.cell("Total", "Total")] == 100)
        #expect(m.sums.values[m.cell("A", "female")] == 20)
        #expect(Array(m.sums.largest(m.cell("A", "female"))) == [11, 9])
        #expect(m.sums.values[m.cell("D", "male")] == 366)
        #expect(Array(m.sums.largest(m.cell("D", "male"))) == [280, 11])
        #expect(m.sums.contributors(m.cell("D", "male")) == 11)
        // Margins keep the largest contributions of all their children.
        for r in ["A", "B", "C", "D", "Total"] {
            let children = ["male", "female"].flatMap { m.sums.largest(m.cell(r, $0)) }.sorted(by: >)
            #expect(Array(m.sums.largest(m.cell(r, "Total"))) == Array(children.prefix(2)), "\(r)")
        }
    }

    @Test(arguments: [
        FrequencyRule(threshold: 2, comparator: .lessOrEqual),  // sdcTable maxN = 2
        FrequencyRule(threshold: 3, comparator: .less),  // tau-ARGUS / ACRO style, same cells
    ])
    func v1FrequencyRuleMarksOnlyAFemale(rule: FrequencyRule) throws {
        let m = try Microdata1()
        #expect(m.sensitive(m.counts, PrimaryPolicy(frequency: rule)) == ["A/female"])
    }

    @Test func v1ComparatorMatters() throws {
        let m = try Microdata1()
        // n <= 10 catches C/female (10); n < 10 does not.
        #expect(m.sensitive(m.counts, PrimaryPolicy(frequency: FrequencyRule(threshold: 10, comparator: .lessOrEqual))) == ["A/female", "C/female"])
        #expect(m.sensitive(m.counts, PrimaryPolicy(frequency: FrequencyRule(threshold: 10, comparator: .less))) == ["A/female"])
    }

    @Test func v1Dominance() throws {
        let m = try Microdata1()
        let policy = PrimaryPolicy(dominance: [DominanceRule(n: 2, k: ExactRatio(75), comparator: .greater)])
        #expect(m.sensitive(m.sums, policy) == ["A/female", "D/male"])
    }

    @Test func v1PPercent() throws {
        let m = try Microdata1()
        let policy = PrimaryPolicy(pPercent: PPercentRule(p: ExactRatio(70), comparator: .less))
        #expect(m.sensitive(m.sums, policy) == ["A/female", "D/male"])
        // D/total is only just safe: X - x1 - x2 = 220 against 0.7 · 280 = 196.
        let dTotal = m.cell("D", "Total")
        let x = m.sums.values[dTotal]
        let top = Array(m.sums.largest(dTotal))
        #expect(x - top[0] - top[1] == 220)
        #expect(top[0] * 70 / 100 == 196)
    }

    @Test func v1PQ() throws {
        let m = try Microdata1()
        let policy = PrimaryPolicy(pq: PQRule(p: ExactRatio(60), q: ExactRatio(80), comparator: .less))
        #expect(m.sensitive(m.sums, policy) == ["A/female", "D/male"])
    }

    @Test func v1RulesOnMagnitudeTablesAlsoApplyFrequencyToContributors() throws {
        let m = try Microdata1()
        let policy = PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual))
        #expect(m.sensitive(m.sums, policy) == ["A/female"])
        #expect(policy.failures(of: m.sums, cell: m.cell("A", "female")) == [.frequency])
    }

    @Test func statusRecordsEveryRuleFailed() throws {
        let m = try Microdata1()
        let policy = PrimaryPolicy(
            frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual),
            dominance: [DominanceRule(n: 2, k: ExactRatio(75))], pPercent: PPercentRule(p: ExactRatio(70)),
            pq: PQRule(p: ExactRatio(60), q: ExactRatio(80)))
        let statuses = policy.apply(to: m.sums)
        #expect(statuses[m.cell("A", "female")] == CellStatus(disposition: .primary, failed: [.frequency, .dominance, .pPercent, .pq]))
        #expect(statuses[m.cell("D", "male")] == CellStatus(disposition: .primary, failed: [.dominance, .pPercent, .pq]))
        #expect(statuses[m.cell("B", "female")] == .published)
    }

    // V4: the handbook's worked examples.
    @Test func v4DominanceAndPPercentDisagree() {
        let largest: ArraySlice<Int64> = [50_000, 49_000]
        #expect(!DominanceRule(n: 1, k: ExactRatio(90)).fails(total: 100_000, largest: largest))
        #expect(PPercentRule(p: ExactRatio(10)).fails(total: 100_000, largest: largest))
    }

    @Test func v4PPercentTenIsLikeDominanceTwoNinetyPointNine() throws {
        let largest: ArraySlice<Int64> = [52_000, 50_000]
        #expect(!PPercentRule(p: ExactRatio(10)).fails(total: 110_000, largest: largest))
        let k = try #require(ExactRatio(decimal: "90.9"))
        #expect(k == ExactRatio(909, 10))
        #expect(DominanceRule(n: 2, k: k).fails(total: 110_000, largest: largest))
    }

    @Test func v4OneEightyFiveDominance() {
        #expect(DominanceRule(n: 1, k: ExactRatio(85)).fails(total: 330, largest: [300, 20, 10]))
        #expect(!DominanceRule(n: 1, k: ExactRatio(95)).fails(total: 330, largest: [300, 20, 10]))
    }

    @Test func comparatorsAtTheBoundary() {
        // 75 of 100 in the top contribution: > 75% is safe, >= 75% is not.
        #expect(!DominanceRule(n: 1, k: ExactRatio(75), comparator: .greater).fails(total: 100, largest: [75, 25]))
        #expect(DominanceRule(n: 1, k: ExactRatio(75), comparator: .greaterOrEqual).fails(total: 100, largest: [75, 25]))
        // X - x1 - x2 = 10 against 10% of 100: < is safe, <= is not.
        #expect(!PPercentRule(p: ExactRatio(10), comparator: .less).fails(total: 120, largest: [100, 10]))
        #expect(PPercentRule(p: ExactRatio(10), comparator: .lessOrEqual).fails(total: 120, largest: [100, 10]))
        #expect(!FrequencyRule(threshold: 3, comparator: .less).fails(contributors: 3))
        #expect(FrequencyRule(threshold: 3, comparator: .lessOrEqual).fails(contributors: 3))
    }

    @Test func zerosArePublishedOrWithheldAsSet() throws {
        let shape = TableShape(dimensions: [try TableDimension.build(name: "x", total: "T", entries: [.init(code: "a"), .init(code: "b")])])!
        var acc = TableAccumulator(shape: shape, measure: .count, topCount: 0)
        acc.add(cell: 0, value: 1)
        let table = try acc.finish()
        let freq = FrequencyRule(threshold: 3, comparator: .less)
        #expect(PrimaryPolicy(frequency: freq, zeros: .publish).failures(of: table, cell: 1).isEmpty)
        #expect(PrimaryPolicy(frequency: freq, zeros: .withhold).failures(of: table, cell: 1) == [.zero])
        #expect(PrimaryPolicy(frequency: freq).failures(of: table, cell: 0) == [.frequency])
    }

    @Test func exactRatioParsing() {
        #expect(ExactRatio(decimal: "75") == ExactRatio(75, 1))
        #expect(ExactRatio(decimal: "12.5")?.description == "12.5")
        #expect(ExactRatio(decimal: "-1") == nil)
        #expect(ExactRatio(decimal: "abc") == nil)
        #expect(ExactRatio(decimal: "1.0000000001") == nil)
    }
}
