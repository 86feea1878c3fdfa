import Testing
@testable import DiscreetCore

/// When a published cell's one person is a sensitive item's own one person, a witness for
/// the item may move that cell (that person learns nothing new of themselves). Each case
/// below is one the batch of the bundled example met, where the older tests could not see
/// it and the release was refused; each has a negative control with the same counts in the
/// published cells but different people, where the cell must still be left alone.
@Suite struct LoneContributorTests {
    static let wards = dimension("ward", ["w1", "w2"])
    static let ages = dimension("age", ["a", "b"])
    static let groups = dimension("ethnicity", ["E1", "E2"])

    /// The global cell of a cohort at these codes (the total where a dimension is not named).
    static func cell(_ c: JointCase, _ cohort: Int, _ codes: [Int: String]) -> Int {
        let block = c.layout.blocks[cohort]
        let nodes = block.dimensions.map { d in codes[d].flatMap { c.dimensions[d].node($0) } ?? c.dimensions[d].total }
        return c.layout.global(cohort, block.shape.cell(nodes))
    }

    /// The problem, the group "cohort `plus` minus cohort `minus`" in w1 (as an item), and
    /// the cell `lone`.
    static func groupInW1(_ c: JointCase, plus: Int, minus: Int, lone: Int) throws -> (SuppressionProblem, Int, Int) {
        let p = problem(c)
        let (added, subtracted) = (cell(c, plus, [0: "w1"]), cell(c, minus, [0: "w1"]))
        let k = try #require(p.groups.firstIndex { $0.plus == added && $0.minus == [subtracted] })
        return (p, c.layout.cellCount + k, lone)
    }

    static func problem(_ c: JointCase) -> SuppressionProblem {
        SuppressionProblem(
            layout: c.layout, tables: c.tables, published: c.published, primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less)),
            secondary: SecondaryPolicy(singletons: true))
    }

    /// Cohort 0 by ward, age and ethnic group; cohort 1 within it by ward and age. The item:
    /// cohort 0's one E2 person in w1. The cell: cohort 1's one person in w1. They are one
    /// where cohort 0 has one person of age b in w1, that person is the item's (E2), and
    /// cohort 1 has someone of age b in w1.
    @Test func aCellOfACohortWithinIsTheItemsPersonWhereAFinerCellShowsIt() {
        func make(_ q: Set<Int>, _ r: Set<Int>) -> JointCase {
            // q: w1, age b, E2; r: w1, age a, E1.
            JointCase(
                dimensions: [Self.wards, Self.ages, Self.groups], cohortDimensions: [[0, 1, 2], [0, 1]], relations: CohortRelations(within: [.init(1, 0)]),
                people: [(q, [0, 1, 1]), (r, [0, 0, 0]), ([0], [1, 0, 0]), ([0], [1, 1, 1]), ([0, 1], [1, 1, 0])])
        }
        let same = make([0, 1], [0])
        let item = Self.cell(same, 0, [0: "w1", 2: "E2"])
        let lone = Self.cell(same, 1, [0: "w1"])
        let p = Self.problem(same)
        #expect(p.counts[item] == 1 && p.counts[lone] == 1)
        #expect(p.sameLoneContributor(lone, item))
        #expect(p.sameLoneContributor(item, lone))
        // Negative control: the same counts in both cells, but cohort 1's person is r.
        let other = make([0], [0, 1])
        let q = Self.problem(other)
        #expect(q.counts[item] == 1 && q.counts[lone] == 1)
        #expect(!q.sameLoneContributor(lone, item))
        #expect(!q.sameLoneContributor(item, lone))
    }

    /// Cohort 0, cohort 1 within it, and cohort 2 within cohort 1, each by ward and age. The group: cohort 1 minus cohort 2 in w1, one person. The cell: cohort 0's
    /// one person of age a in w1. They are one where cohort 1 has more people of age a in
    /// w1 than cohort 2 (the group's person is there).
    @Test func aCellOfACohortHoldingTheGroupsIsTheGroupsPersonWhereTheCountsPlaceIt() throws {
        func make(groupAge: Int, otherAge: Int) -> JointCase {
            JointCase(
                dimensions: [Self.wards, Self.ages], cohortDimensions: [[0, 1], [0, 1], [0, 1]],
                relations: CohortRelations(within: [.init(1, 0), .init(2, 1), .init(2, 0)]),
                people: [
                    ([0, 1], [0, groupAge]), ([0, 1, 2], [0, 1]), ([0], [0, otherAge]),
                    ([0], [1, 0]), ([0], [1, 1]), ([0, 1], [1, 0]), ([0, 1, 2], [1, 1]),
                ])
        }
        func check(_ c: JointCase) throws -> (SuppressionProblem, Int, Int) {
            try Self.groupInW1(c, plus: 1, minus: 2, lone: Self.cell(c, 0, [0: "w1", 1: "a"]))
        }
        // The group's person is of age a, and cohort 0's only person of age a in w1 (the
        // third person is of age b).
        let (p, group, lone) = try check(make(groupAge: 0, otherAge: 1))
        #expect(p.count(of: group) == 1 && p.counts[lone] == 1)
        #expect(p.sameLoneContributor(lone, group))
        // Negative control: the group's person is of age b; cohort 0's one person of age a
        // in w1 is the third, who is in no other cohort.
        let (q, otherGroup, otherLone) = try check(make(groupAge: 1, otherAge: 0))
        #expect(q.count(of: otherGroup) == 1 && q.counts[otherLone] == 1)
        #expect(!q.sameLoneContributor(otherLone, otherGroup))
    }

    /// Cohort 0 by ward, age and ethnic group; cohort 1 within it by ward and age. The
    /// group: cohort 0 minus cohort 1 in w1, one person. The cell: cohort 0's one E2 person
    /// in w1. They are one where that person's age (a) holds nobody of cohort 1.
    @Test func aCellOfTheGroupsCohortIsTheGroupsPersonWhereAFinerCellShowsIt() throws {
        func make(_ e2: Set<Int>, _ e1: Set<Int>) -> JointCase {
            JointCase(
                dimensions: [Self.wards, Self.ages, Self.groups], cohortDimensions: [[0, 1, 2], [0, 1]], relations: CohortRelations(within: [.init(1, 0)]),
                people: [(e2, [0, 0, 1]), (e1, [0, 1, 0]), ([0], [1, 0, 0]), ([0, 1], [1, 1, 0]), ([0, 1], [1, 1, 1])])
        }
        func check(_ c: JointCase) throws -> (SuppressionProblem, Int, Int) {
            try Self.groupInW1(c, plus: 0, minus: 1, lone: Self.cell(c, 0, [0: "w1", 2: "E2"]))
        }
        // The E2 person (age a) is in cohort 0 only: the group's person.
        let (p, group, lone) = try check(make([0], [0, 1]))
        #expect(p.count(of: group) == 1 && p.counts[lone] == 1)
        #expect(p.sameLoneContributor(lone, group))
        // Negative control: the E2 person is in cohort 1 too; the group's person is the E1 one.
        let (q, otherGroup, otherLone) = try check(make([0, 1], [0]))
        #expect(q.count(of: otherGroup) == 1 && q.counts[otherLone] == 1)
        #expect(!q.sameLoneContributor(otherLone, otherGroup))
    }
}
