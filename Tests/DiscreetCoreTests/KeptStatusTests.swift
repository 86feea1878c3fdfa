import Testing
@testable import DiscreetCore

/// Figures an earlier release still publishes keep their status: a batch run again after
/// one partner's extract changed keeps the other partners' releases as they were.
@Suite struct KeptStatusTests {
    /// The review-attended case (a group of one at w1, protected by withholding two cells):
    /// each cell the unconstrained pattern withholds, kept published instead, is never
    /// withheld, and the group is still protected against the atom attacker (other cells
    /// are withheld in its place). A kept withheld cell stays withheld, though no item
    /// needs it.
    @Test func keptCellsKeepTheirStatusAndTheItemsStayProtected() throws {
        let (c, problem) = JointProtectionTests.reviewAttended()
        var free = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        try free.run()
        let chosen = (0..<c.layout.cellCount).filter { free.statuses[$0].disposition == .secondary }
        #expect(chosen.count == 2)
        for cell in chosen {
            var kept = problem
            kept.keep(cell, withheld: false)
            var suppressor = SecondarySuppressor(problem: kept, policy: SecondaryPolicy())
            try suppressor.run()
            let statuses = suppressor.statuses
            #expect(!statuses[cell].disposition.isWithheld)
            #expect(statuses.filter { $0.disposition == .secondary }.count >= 2)
            #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
            #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: statuses)) == [])
        }
        // A cell nobody needs, kept withheld: the last pass does not publish it again.
        let spare = try #require((0..<c.layout.cellCount).first { c.published[$0] && !free.statuses[$0].disposition.isWithheld })
        var kept = problem
        kept.keep(spare, withheld: true)
        var suppressor = SecondarySuppressor(problem: kept, policy: SecondaryPolicy())
        try suppressor.run()
        #expect(suppressor.statuses[spare].disposition.isWithheld)
        #expect(free.statuses[spare].disposition.isWithheld == false)
    }
}
