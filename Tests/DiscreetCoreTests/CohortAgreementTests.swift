import Testing
@testable import DiscreetCore

/// Noisy tables of related cohorts made to agree: hand-computed cases, and random people
/// in nested and disjoint cohorts whose noisy tables are checked, by a checker written apart
/// from the production code, against every relation the cohorts' definitions imply.
@Suite struct CohortAgreementTests {
    static let x = ConsistentCountsTests.flat("x", 2)
    static let y = ConsistentCountsTests.flat("y", 2)

    /// A full table from its inner cells, in inner order.
    static func table(_ shape: TableShape, _ inner: [Int64]) -> [Int64] {
        var full = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { full[cell] = inner[i] }
        shape.rollUp { full[$0] += full[$1] }
        return full
    }

    static func inner(_ shape: TableShape, _ full: [Int64]) -> [Int64] { shape.innerToFull().map { full[$0] } }

    @Test func waterFillingLowersEveryCellAlikeAndStaysWhole() {
        #expect(CohortAgreement.waterFill([5, 3, 1], to: 6) == [4, 2, 0])
        // θ = 1.5: the half goes to the largest cell.
        #expect(CohortAgreement.waterFill([5, 3, 1], to: 5) == [4, 1, 0])
        #expect(CohortAgreement.waterFill([2, 2], to: 3) == [2, 1])
        #expect(CohortAgreement.waterFill([7, 0, 2], to: 0) == [0, 0, 0])
        #expect(CohortAgreement.waterFill([4, 4], to: 8) == [4, 4])
    }

    /// W by x and y; N within W by x; M within W by x and y, sharing nobody with N.
    static func wholeAndTwoParts() -> (whole: TableShape, byX: TableShape, cohorts: [CohortAgreement.Cohort], relations: CohortRelations) {
        let wShape = TableShape(dimensions: [x, y])!
        let nShape = TableShape(dimensions: [x])!
        let cohorts = [
            CohortAgreement.Cohort(shape: wShape, dimensions: [0, 1]), CohortAgreement.Cohort(shape: nShape, dimensions: [0]),
            CohortAgreement.Cohort(shape: wShape, dimensions: [0, 1]),
        ]
        return (wShape, nShape, cohorts, CohortRelations(within: [.init(1, 0), .init(2, 0)], disjoint: [.init(1, 2)]))
    }

    /// W, N and M as ``wholeAndTwoParts()``. At x0, N 4 + M 2 + 1 = 7 exceed W's 5: each of the three loses 1, then the last unit
    /// comes from the largest, N (4, 1, 0). At x1, 1 + 6 + 0 exceed 5: each loses 1 (0, 5,
    /// 0). M then fits W cell by cell.
    @Test func cohortsWithinAWholeAreLoweredToFitIt() {
        let (wShape, nShape, cohorts, relations) = Self.wholeAndTwoParts()
        var values = [Self.table(wShape, [3, 2, 5, 0]), Self.table(nShape, [4, 1]), Self.table(wShape, [2, 1, 6, 0])]
        let before = values[0]
        #expect(CohortAgreement.agree(&values, cohorts: cohorts, relations: relations))
        #expect(values[0] == before)
        #expect(Self.inner(nShape, values[1]) == [4, 0])
        #expect(Self.inner(wShape, values[2]) == [1, 0, 5, 0])
        #expect(values[2] == Self.table(wShape, [1, 0, 5, 0]))
        // Agreeing tables are left alone.
        var again = values
        #expect(!CohortAgreement.agree(&again, cohorts: cohorts, relations: relations))
        #expect(again == values)
    }

    /// A bound over several cohorts at the categories all share does not bound one of them
    /// at finer ones: M by x and y must fit W at each (x, y) though N is cut by x alone.
    @Test func eachCohortAlsoFitsAtItsOwnFinerCategories() {
        let (wShape, nShape, cohorts, relations) = Self.wholeAndTwoParts()
        var values = [Self.table(wShape, [1, 9, 1, 9]), Self.table(nShape, [0, 0]), Self.table(wShape, [4, 0, 4, 0])]
        CohortAgreement.agree(&values, cohorts: cohorts, relations: relations)
        #expect(Self.inner(wShape, values[2]) == [1, 0, 1, 0])
    }

    /// Two cohorts with the same people (each within the other, as two spellings of one
    /// filter): the later is held within the earlier, once, and nothing loops.
    @Test func cohortsWithTheSamePeopleAreHeldOneWay() {
        let shape = TableShape(dimensions: [Self.x])!
        let cohorts = [CohortAgreement.Cohort(shape: shape, dimensions: [0]), CohortAgreement.Cohort(shape: shape, dimensions: [0])]
        let relations = CohortRelations(within: [.init(0, 1), .init(1, 0)])
        #expect(CohortAgreement.bounds(cohorts: cohorts, relations: relations) == [.init(parts: [1], whole: 0)])
        var values = [Self.table(shape, [3, 1]), Self.table(shape, [2, 4])]
        #expect(CohortAgreement.agree(&values, cohorts: cohorts, relations: relations))
        #expect(values == [Self.table(shape, [3, 1]), Self.table(shape, [2, 1])])
    }

    @Test func aCohortIsZeroWhereItsFilterLeavesNobody() {
        let shape = TableShape(dimensions: [Self.x, Self.y])!
        let cohorts = [CohortAgreement.Cohort(shape: shape, dimensions: [0, 1], empty: [1: [0]])]
        var values = [Self.table(shape, [3, 2, 5, 1])]
        #expect(CohortAgreement.agree(&values, cohorts: cohorts, relations: CohortRelations()))
        #expect(values[0] == Self.table(shape, [0, 2, 0, 1]))
    }

    /// A, B and C share nobody within W; A is cut by x and y, B by x and z, C by w alone: A
    /// and B together must fit W at each x, which neither member's categories say.
    @Test func twoOfThreeCohortsFitAtTheCategoriesTheyShare() {
        let z = ConsistentCountsTests.flat("z", 2)
        let w = ConsistentCountsTests.flat("w", 2)
        let whole = TableShape(dimensions: [Self.x, Self.y, z, w])!
        let cohorts = [
            CohortAgreement.Cohort(shape: whole, dimensions: [0, 1, 2, 3]),
            CohortAgreement.Cohort(shape: TableShape(dimensions: [Self.x, Self.y])!, dimensions: [0, 1]),
            CohortAgreement.Cohort(shape: TableShape(dimensions: [Self.x, z])!, dimensions: [0, 2]),
            CohortAgreement.Cohort(shape: TableShape(dimensions: [w])!, dimensions: [3]),
        ]
        let relations = CohortRelations(
            within: [.init(1, 0), .init(2, 0), .init(3, 0)], disjoint: [.init(1, 2), .init(1, 3), .init(2, 3)])
        let bounds = CohortAgreement.bounds(cohorts: cohorts, relations: relations)
        #expect(bounds.contains(.init(parts: [1, 2], whole: 0)))
        // W: one person at x0 (y0 z0 w0) and 9 at x1. A has 1 at x0 y0, B 1 at x0 z0.
        var wInner = [Int64](repeating: 0, count: 16)
        wInner[0] = 1
        wInner[15] = 9
        var values = [
            Self.table(whole, wInner), Self.table(cohorts[1].shape, [1, 0, 0, 0]), Self.table(cohorts[2].shape, [1, 0, 0, 0]),
            Self.table(cohorts[3].shape, [0, 0]),
        ]
        #expect(CohortAgreement.agree(&values, cohorts: cohorts, relations: relations))
        // One of the two at x0 is taken, from the first (both are 1).
        #expect(Self.inner(cohorts[1].shape, values[1]) == [1, 0, 0, 0])
        #expect(Self.inner(cohorts[2].shape, values[2]) == [0, 0, 0, 0])
    }

    @Test func tablesOfSumsTakeNoPart() {
        let shape = TableShape(dimensions: [Self.x])!
        let cohorts = [CohortAgreement.Cohort(shape: shape, dimensions: [0]), CohortAgreement.Cohort(shape: shape, dimensions: [0], countsPeople: false)]
        var values = [Self.table(shape, [1, 1]), Self.table(shape, [500, 900])]
        #expect(!CohortAgreement.agree(&values, cohorts: cohorts, relations: CohortRelations(within: [.init(1, 0)])))
        #expect(values[1] == Self.table(shape, [500, 900]))
    }

    // MARK: - Random people, nested and disjoint cohorts

    /// Cohorts 0 ⊇ 1 ⊇ {3, 4} (3 and 4 share nobody), 0 ⊇ 2 ⊇ 5, and 6 sharing nobody with
    /// 1 within 0; each cut by a random subset of three dimensions (one with a hierarchy).
    struct World {
        var dims: [TableDimension]
        var cohortDims: [[Int]]
        var shapes: [TableShape]
        var truth: [[Int64]]
        let relations = CohortRelations(
            within: [.init(1, 0), .init(2, 0), .init(3, 1), .init(4, 1), .init(5, 2), .init(6, 0)], disjoint: [.init(3, 4), .init(1, 6)])

        init(seed: UInt64) {
            var random = ReproducibleGenerator(seed: seed)
            let dims = [NoisyCountsTests.shape().dimensions[0], ConsistentCountsTests.flat("y", 2), ConsistentCountsTests.flat("z", 3)]
            let cohortDims = (0..<7).map { _ in
                let chosen = (0..<3).filter { _ in Bool.random(using: &random) }
                return chosen.isEmpty ? [Int.random(in: 0..<3, using: &random)] : chosen
            }
            let shapes = cohortDims.map { d in TableShape(dimensions: d.map { dims[$0] })! }
            (self.dims, self.cohortDims, self.shapes) = (dims, cohortDims, shapes)
            truth = shapes.map { [Int64](repeating: 0, count: $0.cellCount) }
            for _ in 0..<Int.random(in: 20...200, using: &random) {
                let leaves = dims.map { Int.random(in: 0..<$0.leafCount, using: &random) }
                var member = [true, false, false, false, false, false, false]
                switch Int.random(in: 0..<3, using: &random) {
                case 0: member[1] = true
                case 1: member[6] = true
                default: break
                }
                member[2] = Bool.random(using: &random)
                if member[1] {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: member[3] = true
                    case 1: member[4] = true
                    default: break
                    }
                }
                member[5] = member[2] && Bool.random(using: &random)
                for c in 0..<7 where member[c] {
                    let cell = shapes[c].cell(cohortDims[c].map { leaves[$0] })
                    truth[c][cell] += 1
                }
            }
            for c in 0..<7 {
                var full = truth[c]
                shapes[c].rollUp { full[$0] += full[$1] }
                truth[c] = full
            }
        }

        /// Noisy non-negative tables that add up: each inner cell moved by up to ±4, then 0 at least.
        func noisy(seed: UInt64) -> [[Int64]] {
            var random = ReproducibleGenerator(seed: seed)
            return shapes.indices.map { c in
                CohortAgreementTests.table(shapes[c], CohortAgreementTests.inner(shapes[c], truth[c]).map { max(0, $0 + Int64.random(in: -4...4, using: &random)) })
            }
        }

        /// Every relation the definitions imply that the tables break, by the categories both
        /// (or all three) are cut by: counted from each table's leaves, not the production code.
        func violations(_ values: [[Int64]]) -> Int {
            func byLeaves(_ c: Int, _ common: [Int]) -> [[Int]: Int64] {
                var sums: [[Int]: Int64] = [:]
                for cell in shapes[c].innerToFull() {
                    let nodes = shapes[c].nodes(of: cell)
                    sums[common.map { nodes[cohortDims[c].firstIndex(of: $0)!] }, default: 0] += values[c][cell]
                }
                return sums
            }
            func exceed(_ parts: [Int], _ whole: Int) -> Int {
                let common = parts.reduce(Set(cohortDims[whole])) { $0.intersection(cohortDims[$1]) }.sorted()
                let w = byLeaves(whole, common)
                let p = parts.map { byLeaves($0, common) }
                return w.keys.filter { key in p.reduce(0) { $0 + ($1[key] ?? 0) } > w[key]! }.count
            }
            let within: [(Int, Int)] = [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 0), (3, 0), (4, 0), (5, 0)]
            var count = within.reduce(0) { $0 + exceed([$1.0], $1.1) }
            count += exceed([3, 4], 1) + exceed([3, 4], 0) + exceed([1, 6], 0) + exceed([3, 6], 0) + exceed([4, 6], 0) + exceed([3, 4, 6], 0)
            for c in 0..<7 where values[c].contains(where: { $0 < 0 }) { count += 1 }
            for c in 0..<7 {
                for r in shapes[c].relations() where values[c][r.total] != r.parts.reduce(0, { $0 + values[c][$1] }) { count += 1 }
            }
            return count
        }
    }

    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func randomNoisyCohortsAgreeAfterwards(seed: UInt64) {
        let world = World(seed: seed)
        #expect(world.violations(world.truth) == 0, "the true tables agree")
        let cohorts = world.shapes.indices.map { CohortAgreement.Cohort(shape: world.shapes[$0], dimensions: world.cohortDims[$0]) }
        var values = world.noisy(seed: seed &* 7919)
        let before = values
        CohortAgreement.agree(&values, cohorts: cohorts, relations: world.relations)
        #expect(world.violations(values) == 0)
        // Only ever lowered, and the outermost cohort is never moved.
        #expect(values[0] == before[0])
        for c in 0..<7 { #expect(zip(values[c], before[c]).allSatisfy { $0 <= $1 }) }
    }

    /// The negative control: the checker finds the disagreements noise makes.
    @Test func theCheckerFindsWhatNoiseBreaks() {
        let broken = (1...40 as ClosedRange<UInt64>).filter { seed in
            let world = World(seed: seed)
            return world.violations(world.noisy(seed: seed &* 7919)) > 0
        }
        #expect(broken.count >= 30)
    }

    @Test func theBoundsNameEveryRelationOutermostFirst() {
        let world = World(seed: 3)
        let cohorts = world.shapes.indices.map { CohortAgreement.Cohort(shape: world.shapes[$0], dimensions: world.cohortDims[$0]) }
        let bounds = CohortAgreement.bounds(cohorts: cohorts, relations: world.relations)
        #expect(bounds.first?.whole == 0)
        #expect(bounds.contains { $0.whole == 1 && $0.parts == [3, 4] })
        #expect(bounds.contains { $0.whole == 0 && $0.parts.contains(3) && $0.parts.contains(6) })
        #expect(bounds.contains { $0.whole == 2 && $0.parts == [5] })
    }
}
