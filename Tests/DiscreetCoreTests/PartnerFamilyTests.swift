import Testing
@testable import DiscreetCore

/// A partner's cohorts in a batch: each lies within the combined cohort of the same filter
/// and within the partner's larger cohort, so the tree of cohorts meets the partner's
/// residence cohorts in the combined family, not the partner's.
@Suite struct PartnerFamilyTests {
    /// Cohort 0: disabled young people (combined); 1, 2, 3: in the community, residential
    /// near, residential far (combined, apart). Cohort 4: the partner's disabled young
    /// people; 5, 6, 7: the partner's residence cohorts, each within 4 and within the
    /// combined one. In w1 every one of the partner's has a residence, and one lives far.
    static func partnerCase() -> JointCase {
        var within: [CohortRelations.Pair] = [.init(1, 0), .init(2, 0), .init(3, 0), .init(4, 0)]
        var disjoint: [CohortRelations.Pair] = [.init(1, 2), .init(1, 3), .init(2, 3), .init(5, 6), .init(5, 7), .init(6, 7)]
        for (part, combined) in [(5, 1), (6, 2), (7, 3)] {
            within += [.init(part, combined), .init(part, 4), .init(part, 0)]
            for other in [1, 2, 3] where other != combined { disjoint.append(.init(part, other)) }
        }
        return JointCase(
            dimensions: [dimension("ward", ["w1", "w2", "w3"])], cohortDimensions: Array(repeating: [0], count: 8),
            relations: CohortRelations(within: within, disjoint: disjoint),
            people: people([
                ([0, 1, 4, 5], [6, 7, 8]), ([0, 2, 4, 6], [6, 6, 7]), ([0, 3, 4, 7], [1, 6, 6]), ([0, 4], [0, 2, 3]),
                ([0, 1], [9, 8, 9]), ([0, 2], [7, 8, 9]), ([0, 3], [8, 7, 9]), ([0], [5, 5, 5]),
            ]))
    }

    /// The partner's residence cohorts bound the partner's cohort together (their sum is at
    /// most it), not only each alone: the layout once left that family out, and the joint
    /// audit then passed a release whose partner part, audited alone, pinned cells down.
    @Test func thePartnersCohortsApartBoundThePartnersCohortTogether() {
        let c = Self.partnerCase()
        #expect(c.layout.families.contains { $0.parent == 4 && Set($0.parts) == [5, 6, 7] })
        #expect(c.layout.families.contains { $0.parent == 0 && Set($0.parts) == [1, 2, 3] })
    }

    /// Protected together, the partner's and the combined cohorts withstand the atom
    /// attacker of the tests (who knows every set of cohorts a person can be in).
    @Test func protectedTogetherTheyWithstandTheAtomAttacker() throws {
        let c = Self.partnerCase()
        let problem = SuppressionProblem(
            layout: c.layout, tables: c.tables, published: c.published, primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less)),
            secondary: SecondaryPolicy(singletons: true))
        #expect(problem.requirements[c.layout.global(7, 0)] != nil)
        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy(singletons: true))
        try suppressor.run()
        let statuses = suppressor.statuses
        #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: statuses)) == [])
        #expect(c.singletonShortfalls(suppressor.problem, statuses: statuses) == [])
    }
}
