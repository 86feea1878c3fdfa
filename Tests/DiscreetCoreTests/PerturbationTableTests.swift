import Testing
@testable import DiscreetCore

/// The cell key method's perturbation table: lookups by hand, and the built-in table's
/// promises.
@Suite struct PerturbationTableTests {
    /// Each perturbation's share of the 2^32 cell keys.
    func shares(_ row: PerturbationTable.Row) -> [(v: Int64, share: Double)] {
        var previous: UInt64 = 0
        return zip(row.perturbations, row.upperEnds).map { v, end in
            defer { previous = end }
            return (v, Double(end - previous) / Double(UInt64(1) << 32))
        }
    }

    @Test func theBuiltInTableIsUnbiasedAndNeverPublishesOneOrTwo() {
        let table = PerturbationTable.standard
        #expect(table.rows[0] == PerturbationTable.Row(perturbations: [0], upperEnds: [1 << 32]))
        for (count, row) in table.rows.enumerated() {
            let s = shares(row)
            #expect(abs(s.reduce(0) { $0 + $1.share } - 1) < 1e-9)
            // Unbiased up to the rounding of the interval ends to 2^-32.
            #expect(abs(s.reduce(0) { $0 + Double($1.v) * $1.share }) < 1e-8, "count \(count)")
            for (v, share) in s where share > 0 {
                let published = Int64(count) + v
                #expect(published >= 0 && published != 1 && published != 2, "count \(count) + \(v)")
            }
        }
        // From 5 up: -2 to +2 with 5%, 20%, 50%, 20%, 5% (variance 0.8).
        let last = shares(table.rows[5])
        #expect(abs(last.reduce(0) { $0 + Double($1.v * $1.v) * $1.share } - 0.8) < 1e-8)
        #expect(table.largestPerturbation == 4)
    }

    @Test func aCellsKeySelectsItsPerturbation() {
        let table = PerturbationTable.standard
        // Count 1: keys below ⌊2/3 · 2^32⌋ = 2,863,311,530 give -1, the rest +2.
        #expect(table.perturbation(count: 1, cellKey: 0) == -1)
        #expect(table.perturbation(count: 1, cellKey: 2_863_311_529) == -1)
        #expect(table.perturbation(count: 1, cellKey: 2_863_311_530) == 2)
        #expect(table.perturbation(count: 1, cellKey: .max) == 2)
        // Count 3: 10% each of -3, then 70% of 0, ...: a key at 50% gives 0.
        #expect(table.perturbation(count: 3, cellKey: 1 << 31) == 0)
        // Counts beyond the last row take its perturbations.
        #expect(table.perturbation(count: 1_000, cellKey: 0) == -2 && table.perturbation(count: 1_000, cellKey: .max) == 2)
        #expect(table.perturbation(count: 0, cellKey: 12_345) == 0)
    }

    /// A margin's key is the sum of its cells' keys modulo 2^32: its people's keys.
    @Test func cellKeysRollUpModulo2To32() {
        let shape = TableShape(dimensions: [ConsistentCountsTests.flat("x", 2)])!
        let keys = ContributionGrouper.cellKeys(inner: [UInt32.max, 5], shape: shape)
        let total = (0..<3).first { shape.codes(of: $0)[0] == "all" }!
        #expect(keys[total] == 4)
    }
}
