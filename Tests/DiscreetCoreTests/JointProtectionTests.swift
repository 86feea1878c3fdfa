import Testing
@testable import DiscreetCore
import DiscreetTestSupport

/// Linked cohorts built from people: each person is in some cohorts (an atom) and has one
/// leaf per dimension; each cohort publishes one table over some of the dimensions.
struct JointCase {
    let dimensions: [TableDimension]
    let cohortDimensions: [[Int]]
    let relations: CohortRelations
    let people: [(cohorts: Set<Int>, leaves: [Int])]
    let layout: CohortLayout
    let tables: [AggregatedTable]
    let published: [Bool]

    init(
        dimensions: [TableDimension], cohortDimensions: [[Int]], relations: CohortRelations, people: [(cohorts: Set<Int>, leaves: [Int])]
    ) {
        self.dimensions = dimensions
        self.cohortDimensions = cohortDimensions
        self.relations = relations
        self.people = people
        let layout = CohortLayout(dimensions: dimensions, cohorts: cohortDimensions.map { ($0, .count) }, relations: relations)
        self.layout = layout
        tables = layout.blocks.enumerated().map { b, block in
            var acc = TableAccumulator(shape: block.shape, measure: .count, topCount: 0)
            for person in people where person.cohorts.contains(b) {
                var inner = 0
                for (k, d) in block.dimensions.enumerated() { inner += person.leaves[d] * block.shape.innerStrides[k] }
                acc.add(cell: inner, value: 1)
            }
            return try! acc.finish()
        }
        var published = [Bool](repeating: false, count: layout.cellCount)
        for (b, block) in layout.blocks.enumerated() {
            for c in 0..<block.shape.cellCount {
                let nodes = block.shape.nodes(of: c)
                published[layout.global(b, c)] = block.dimensions.indices.allSatisfy { k in
                    cohortDimensions[b].contains(block.dimensions[k]) || nodes[k] == block.shape.dimensions[k].total
                }
            }
        }
        self.published = published
    }

    /// Every set of cohorts a person can be in, as the relations allow.
    var possibleAtoms: [Set<Int>] {
        let n = cohortDimensions.count
        return (1..<(1 << n)).compactMap { mask -> Set<Int>? in
            let atom = Set((0..<n).filter { mask & (1 << $0) != 0 })
            for p in relations.within where atom.contains(p.first) && !atom.contains(p.second) { return nil }
            for p in relations.disjoint where atom.contains(p.first) && atom.contains(p.second) { return nil }
            return atom
        }
    }

    /// A global cell's nodes over every dimension (totals where its cohort is not broken down).
    func nodes(_ g: Int) -> (cohort: Int, nodes: [Int]) {
        let (b, c) = layout.local(g)
        let block = layout.blocks[b]
        let own = block.shape.nodes(of: c)
        return (b, dimensions.indices.map { d in block.dimensions.firstIndex(of: d).map { own[$0] } ?? dimensions[d].total })
    }

    /// The attacker's knowledge of a release with these statuses: every published figure
    /// exactly, every withheld one at least `least`.
    func attacker(statuses: [CellStatus], least: Int64 = 1, atoms: [Set<Int>]? = nil) -> AtomAttacker {
        var attacker = AtomAttacker(dimensions: dimensions, atoms: atoms ?? possibleAtoms)
        for g in 0..<layout.cellCount where published[g] {
            let (b, nodes) = self.nodes(g)
            let (_, c) = layout.local(g)
            let value = tables[b].values[c]
            if statuses[g].disposition.isWithheld {
                attacker.know(attacker.form(cohort: b, nodes: nodes), lower: value > 0 ? least : 0, upper: nil)
            } else {
                attacker.know(attacker.form(cohort: b, nodes: nodes), lower: value, upper: value)
            }
        }
        return attacker
    }

    /// The attacker's form of an item: a cohort's cell, or a group.
    func form(_ item: Int, _ problem: SuppressionProblem, _ attacker: AtomAttacker) -> (form: [Int: Rational], what: String) {
        if problem.isGroup(item) {
            let g = problem.groups[item - layout.cellCount]
            let (plus, nodes) = self.nodes(g.plus)
            let minus = g.minus.map { self.nodes($0).cohort }
            return (attacker.form(plus: plus, minus: minus, nodes: nodes), "group \(plus) - \(minus) at \(nodes)")
        }
        let (b, nodes) = self.nodes(item)
        return (attacker.form(cohort: b, nodes: nodes), "cohort \(b) cell \(nodes)")
    }

    /// The people (indices into `people`) of an item: a cohort's cell, or a group (the
    /// larger cohort's people there who are in none of the subtracted cohorts).
    func peopleOf(_ item: Int, _ problem: SuppressionProblem) -> [Int] {
        func under(_ d: Int, _ leaf: Int, _ node: Int) -> Bool {
            var n = leaf
            while n >= 0 {
                if n == node { return true }
                n = dimensions[d].parents[n]
            }
            return false
        }
        let (cohort, nodes, minus): (Int, [Int], [Int])
        if problem.isGroup(item) {
            let g = problem.groups[item - layout.cellCount]
            (cohort, nodes) = self.nodes(g.plus)
            minus = g.minus.map { self.nodes($0).cohort }
        } else {
            (cohort, nodes) = self.nodes(item)
            minus = []
        }
        return people.indices.filter { i in
            let p = people[i]
            return p.cohorts.contains(cohort) && minus.allSatisfy { !p.cohorts.contains($0) }
                && dimensions.indices.allSatisfy { under($0, p.leaves[$0], nodes[$0]) }
        }
    }

    /// What each person alone in a withheld published cell finds: with their cell pinned at
    /// 1, every sensitive item that is not that same person alone must keep its levels.
    func singletonShortfalls(_ problem: SuppressionProblem, statuses: [CellStatus]) -> [String] {
        var result: [String] = []
        let base = attacker(statuses: statuses)
        for g in 0..<layout.cellCount where published[g] && statuses[g].disposition.isWithheld && problem.counts[g] == 1 {
            let person = peopleOf(g, problem)
            var pinned = base
            let (b, nodes) = self.nodes(g)
            pinned.know(pinned.form(cohort: b, nodes: nodes), lower: 1, upper: 1)
            let found = shortfalls(problem, attacker: pinned) { item in peopleOf(item, problem) != person }
            result += found.map { "alone in cohort \(b) cell \(nodes): \($0)" }
        }
        return result
    }

    /// Every sensitive item (of those `including` keeps) whose interval, for the attacker,
    /// misses its protection levels.
    func shortfalls(_ problem: SuppressionProblem, attacker: AtomAttacker, including: (Int) -> Bool = { _ in true }) -> [String] {
        var result: [String] = []
        let items = problem.requirements.keys.sorted().filter { !problem.requirements[$0]!.isEmpty && including($0) }
        let forms = items.map { form($0, problem, attacker) }
        for (item, (found, (_, what))) in zip(items, zip(attacker.intervals(forms.map(\.form)), forms)) {
            let r = problem.requirements[item]!
            let x = Rational(problem.count(of: item))
            guard let interval = found else {
                result.append("\(what): no table fits")
                continue
            }
            if let upper = interval.upper, upper < x + Rational(r.countUp) { result.append("\(what) = \(x): upper \(upper) < +\(r.countUp)") }
            if interval.lower > x - Rational(r.countDown) { result.append("\(what) = \(x): lower \(interval.lower) > -\(r.countDown)") }
        }
        return result
    }
}

/// People for a one-dimensional case: per leaf, how many are in each atom.
func people(_ counts: [(atom: Set<Int>, perLeaf: [Int])]) -> [(cohorts: Set<Int>, leaves: [Int])] {
    var result: [(cohorts: Set<Int>, leaves: [Int])] = []
    for (atom, perLeaf) in counts {
        for (leaf, n) in perLeaf.enumerated() { for _ in 0..<n { result.append((atom, [leaf])) } }
    }
    return result
}

@Suite struct JointProtectionTests {
    static let wards = dimension("ward", ["w1", "w2", "w3"])

    /// Cohort 0: with an EHCP (8, 20, 15 by ward); cohort 1 within it: attended their
    /// review (7, 14, 15); threshold 5. No cell is small; the group at w1 (1 person) is.
    static func reviewAttended() -> (JointCase, SuppressionProblem) {
        let c = JointCase(
            dimensions: [wards], cohortDimensions: [[0], [0]], relations: CohortRelations(within: [.init(1, 0)]),
            people: people([([0], [1, 6, 0]), ([0, 1], [7, 14, 15])]))
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        return (c, SuppressionProblem(layout: c.layout, tables: c.tables, published: c.published, primary: primary, secondary: SecondaryPolicy()))
    }

    /// The dashboard's gap: 7 of 8 young people attended their review in ward w1, so one
    /// did not. Protecting numerator and denominator apart publishes both; protected
    /// together, the group "denominator minus numerator" is a sensitive cell too.
    @Test func aDenominatorMinusItsNumeratorIsProtected() throws {
        let (c, problem) = Self.reviewAttended()
        #expect(c.layout.families.count == 1)
        // No cell is small; the group at w1 (1 person) is.
        #expect(problem.statuses.allSatisfy { !$0.disposition.isWithheld })
        let sensitive = problem.requirements.keys.filter(problem.isGroup)
        #expect(sensitive.count == 1)
        #expect(problem.count(of: sensitive[0]) == 1)

        // Alone, each cohort publishes everything, and the attacker pins the group at 1.
        let open = c.attacker(statuses: problem.statuses)
        #expect(!c.shortfalls(problem, attacker: open).isEmpty)

        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        try suppressor.run()
        let statuses = suppressor.statuses
        #expect(statuses.filter { $0.disposition == .secondary }.count == 2)
        #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: statuses)) == [])
    }

    /// The witness programme serves a group counted by subtraction (a denominator minus its
    /// numerator): each witness moves the group, the sum of its terms, by exactly its level,
    /// and the audit accepts it. Over the withheld cells alone (`newCells: false`), with
    /// none withheld, there is none.
    @Test func theProgrammeFindsAGroupsWitness() throws {
        let (_, problem) = Self.reviewAttended()
        let group = try #require(problem.requirements.keys.filter(problem.isGroup).first)
        let r = problem.requirements[group]!
        let suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        #expect(suppressor.program != nil)
        let certificates = try #require(suppressor.proposal(group, r, newCells: true))
        #expect(certificates.count == [r.countUp, r.countDown].filter { $0 > 0 }.count)
        for certificate in certificates {
            let p = certificate.perturbation
            var change: Int64 = 0
            for t in problem.terms(of: group) {
                guard let i = p.cells.firstIndex(of: t.cell) else { continue }
                change += Int64(t.sign) * Int64(p.signs[i]) * (p.weights?[i] ?? 1)
            }
            #expect(change == (certificate.up ? r.countUp : r.countDown))
        }
        // With the cells the witnesses move withheld, the audit accepts them as they are.
        var statuses = problem.statuses
        for cell in certificates.flatMap(\.perturbation.cells) where !statuses[cell].disposition.isWithheld { statuses[cell].disposition = .secondary }
        #expect(problem.requirements.count == 1)
        #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: [group: certificates], singletons: true).isEmpty)
        // Negative control: the same certificates with their cells published fail.
        #expect(!CertificateAudit.verify(problem: problem, statuses: problem.statuses, certificates: [group: certificates], singletons: true).isEmpty)
        #expect(suppressor.proposal(group, r, newCells: false) == nil)
    }

    /// One young person in ward w1 (cohort 0), with an EHCP (cohort 1), who did not attend
    /// their review (cohort 2): with `singletons: protect`, the lone person of cohort 0's and
    /// cohort 1's w1 cells is the group's own person, so a certificate for the group may
    /// move those cells (that person learns nothing new). Before discreet knew this it
    /// found no certificate and refused the release. The person of cohort 2's w1 cell in a
    /// ward where two have an EHCP is someone else, and must still be avoided.
    @Test func theGroupsOwnPersonMayMoveTheCellsThatHoldThem() throws {
        let wards = dimension("ward", ["w1", "w2", "w3", "w4"])
        let relations = CohortRelations(within: [.init(1, 0), .init(2, 1), .init(2, 0)])
        let c = JointCase(
            dimensions: [wards], cohortDimensions: [[0], [0], [0]], relations: relations,
            people: people([([0], [0, 5, 4, 3]), ([0, 1], [1, 5, 3, 1]), ([0, 1, 2], [0, 4, 5, 1])]))
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
        let secondary = SecondaryPolicy(singletons: true)
        let problem = SuppressionProblem(layout: c.layout, tables: c.tables, published: c.published, primary: primary, secondary: secondary)
        func cell(_ cohort: Int, _ ward: String) -> Int { c.layout.global(cohort, wards.node(ward)!) }
        func group(_ plus: Int, _ minus: Int, _ ward: String) -> Int {
            let k = problem.groups.firstIndex { $0.plus == cell(plus, ward) && $0.minus == [cell(minus, ward)] }!
            return c.layout.cellCount + k
        }
        let w1 = group(1, 2, "w1")
        #expect(problem.count(of: w1) == 1)
        #expect(problem.requirements[w1] == ProtectionRequirement(countUp: 2))
        #expect(problem.sameLoneContributor(cell(0, "w1"), w1))
        #expect(problem.sameLoneContributor(cell(1, "w1"), w1))
        // In w4, two have an EHCP and one of them attended: the group (1) and cohort 2's
        // cell (1) are different people.
        let w4 = group(1, 2, "w4")
        #expect(problem.count(of: w4) == 1)
        #expect(!problem.sameLoneContributor(cell(2, "w4"), w4))

        var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
        try suppressor.run()
        let statuses = suppressor.statuses
        #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: statuses)) == [])
    }

    /// Young adults (cohort 1) and under-18s with a direct payment (cohort 3, within those
    /// with a direct payment, cohort 2) share nobody, though neither is a part of a split
    /// of the other's parent. In w1 every under-18 has a direct payment, so the young
    /// there are the adults plus cohort 3 exactly: an attacker who knows that the two share
    /// nobody caps the adults by the young minus cohort 3. The layout relates the young to
    /// both, and protection holds against that attacker; a layout that does not know it
    /// falls short.
    @Test func cohortsOnDifferentBranchesThatShareNobodyAreBoundTogether() throws {
        let people = people([([0, 1], [5, 5, 5]), ([0, 1, 2], [1, 5, 3]), ([0, 2, 3], [4, 1, 5]), ([0], [0, 1, 2])])
        let within: [CohortRelations.Pair] = [.init(1, 0), .init(2, 0), .init(3, 2), .init(3, 0)]
        let knows = JointCase(
            dimensions: [Self.wards], cohortDimensions: [[0], [0], [0], [0]], relations: CohortRelations(within: within, disjoint: [.init(1, 3)]),
            people: people)
        let blind = JointCase(dimensions: [Self.wards], cohortDimensions: [[0], [0], [0], [0]], relations: CohortRelations(within: within), people: people)
        let bound = knows.layout.families.filter { !$0.tree }
        #expect(bound.map(\.parent) == [0] && bound.map(\.parts) == [[1, 3]])
        #expect(blind.layout.families.allSatisfy { $0.tree })
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        for method in [SuppressionMethod.cycles, .products] {
            let secondary = SecondaryPolicy(method: method, singletons: false)
            var short: [[String]] = []
            for c in [knows, blind] {
                let problem = SuppressionProblem(layout: c.layout, tables: c.tables, published: c.published, primary: primary, secondary: secondary)
                var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
                try suppressor.run()
                #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: suppressor.statuses, certificates: suppressor.certificates, singletons: false).isEmpty)
                // Attacked by one who knows the two share nobody.
                short.append(knows.shortfalls(suppressor.problem, attacker: knows.attacker(statuses: suppressor.statuses)))
            }
            #expect(short[0] == [])
            #expect(!short[1].isEmpty)
        }
    }

    /// Three numerators that split one denominator (community, near, far): the group of
    /// people in none of them is counted by subtraction too.
    @Test func theRestOfASplitIsProtected() throws {
        let c = JointCase(
            dimensions: [Self.wards], cohortDimensions: [[0], [0], [0], [0]],
            relations: CohortRelations(within: [.init(1, 0), .init(2, 0), .init(3, 0)], disjoint: [.init(1, 2), .init(1, 3), .init(2, 3)]),
            people: people([([0], [2, 0, 6]), ([0, 1], [9, 12, 8]), ([0, 2], [6, 7, 9]), ([0, 3], [5, 9, 6])]))
        #expect(c.layout.families.count == 1)
        #expect(c.layout.families[0].parts == [1, 2, 3])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5, comparator: .less))
        let problem = SuppressionProblem(layout: c.layout, tables: c.tables, published: c.published, primary: primary, secondary: SecondaryPolicy())
        // The rest at w1 is 2: a group of three terms.
        let rest = problem.requirements.keys.filter { problem.isGroup($0) && problem.groups[$0 - c.layout.cellCount].minus.count == 3 }
        #expect(rest.count == 1)
        #expect(!c.shortfalls(problem, attacker: c.attacker(statuses: problem.statuses)).isEmpty)
        var suppressor = SecondarySuppressor(problem: problem, policy: SecondaryPolicy())
        try suppressor.run()
        #expect(CertificateAudit.verify(problem: suppressor.problem, statuses: suppressor.statuses, certificates: suppressor.certificates, singletons: true).isEmpty)
        #expect(c.shortfalls(suppressor.problem, attacker: c.attacker(statuses: suppressor.statuses)) == [])
    }

    /// Adults (cohort 1) within the young (cohort 0), published by ward alone: the filters
    /// say nobody in cohort 1 is in the first band, and everyone of cohort 0 in the second
    /// band is in cohort 1. A certificate that moves cohort 0's second band without cohort 1
    /// contradicts that: the audit refuses it where the layout knows it, and only there.
    /// Found by FuzzRelease: a release stating a loop of "lies within" pairs (0 in 1, 1 in 2,
    /// 2 in 0) made the cohort tree a cycle with no root, and laying it out crashed. Within
    /// is transitive, so the loop makes the three equivalent: one chain, by index.
    @Test func aLoopOfWithinPairsMakesEquivalentCohorts() {
        let wards = dimension("ward", ["w1", "w2"], total: "all")
        let relations = CohortRelations(within: [.init(0, 1), .init(1, 2), .init(2, 0)])
        let layout = CohortLayout(dimensions: [wards], cohorts: [([0], .count), ([0], .count), ([0], .count)], relations: relations)
        #expect(layout.blocks.count == 3)
        #expect(Set(layout.families.map(\.parent)).isSubset(of: [0, 1]))
        #expect(layout.families.allSatisfy { family in family.parts.allSatisfy { $0 > family.parent } })
    }

    /// Found by FuzzRelease: a cohort published by no dimension (one figure, its total)
    /// containing another published by ward had no table in the attacker's view, and the
    /// family relating them pointed at no unknown: the audit crashed. Its total is one cell,
    /// and the family bounds the inner cohort by it.
    @Test func aCohortWithNoDimensionsIsOneCellThatBoundsItsParts() {
        let wards = dimension("ward", ["w1", "w2"], total: "all")
        let layout = CohortLayout(dimensions: [wards], cohorts: [([], .count), ([0], .count)], relations: CohortRelations(within: [.init(1, 0)]))
        #expect(layout.blocks[0].dimensions.isEmpty)
        #expect(layout.blocks[0].shape.cellCount == 1)
        let shape = layout.blocks[1].shape
        let w1 = layout.global(1, shape.cell([wards.node("w1")!]))
        let w2 = layout.global(1, shape.cell([wards.node("w2")!]))
        let all = layout.global(1, shape.cell([wards.total]))
        // Ten people in all; four of the inner cohort in w2, w1 and the inner total withheld.
        var values = [Int64?](repeating: nil, count: layout.cellCount)
        values[layout.global(0, 0)] = 10
        values[w2] = 4
        var withheld = [Bool](repeating: false, count: layout.cellCount)
        withheld[w1] = true
        withheld[all] = true
        for tables: [[[Int]]]? in [nil, [[[]], [[0]]]] {
            let linked = layout.view(values: values, tables: tables)
            #expect(linked.variable(layout.global(0, 0)) != nil)
            #expect(linked.view.relations.allSatisfy { row in row.allSatisfy { $0.variable >= 0 && $0.variable < linked.view.count } })
            let report = DisclosureAudit.run(layout: layout, values: values, withheld: withheld, bounds: [:], groups: [], tables: tables)
            #expect(report.intervals[w1] == FeasibilityInterval(lower: 0, upper: 6))
            #expect(report.intervals[all] == FeasibilityInterval(lower: 4, upper: 10))
        }
    }

    @Test func categoriesTheFiltersLeaveEmptyBindCertificates() throws {
        let wards = dimension("ward", ["w1", "w2"], total: "all")
        let bands = dimension("band", ["b1", "b2"])
        var people: [(cohorts: Set<Int>, leaves: [Int])] = []
        for (w, young, old) in [(0, 9, 20), (1, 2, 15)] {
            for _ in 0..<young { people.append(([0], [w, 0])) }
            for _ in 0..<old { people.append(([0, 1], [w, 1])) }
        }
        let relations = CohortRelations(within: [.init(1, 0)])
        let zeros = StructuralZeros(
            cohorts: [1: [.init(dimension: 1, leaves: [bands.node("b1")!])]], complements: [[0, 1]: [.init(dimension: 1, leaves: [bands.node("b2")!])]])
        let knows = CohortLayout(dimensions: [wards, bands], cohorts: [([0, 1], .count), ([0], .count)], relations: relations, zeros: zeros)
        let blind = CohortLayout(dimensions: [wards, bands], cohorts: [([0, 1], .count), ([0], .count)], relations: relations, keep: [[0, 1], [0, 1]])
        #expect(knows.blocks[1].dimensions == [0, 1])
        #expect(knows.families[0].dimensions == [0, 1])
        for (layout, refused) in [(knows, true), (blind, false)] {
            let tables = layout.blocks.enumerated().map { b, block -> AggregatedTable in
                var acc = TableAccumulator(shape: block.shape, measure: .count, topCount: 0)
                for person in people where person.cohorts.contains(b) {
                    acc.add(cell: person.leaves[0] * block.shape.innerStrides[0] + person.leaves[1] * block.shape.innerStrides[1], value: 1)
                }
                return try! acc.finish()
            }
            let published = (0..<layout.cellCount).map { g -> Bool in
                let (b, cell) = layout.local(g)
                return b == 0 || layout.blocks[1].shape.nodes(of: cell)[1] == bands.total
            }
            let problem = SuppressionProblem(
                layout: layout, tables: tables, published: published, statuses: [CellStatus](repeating: .published, count: layout.cellCount), requirements: [:])
            var statuses = problem.statuses
            // Cohort 0 in w1 (and in all wards) up by one in the second band, down in the
            // first: every ward total stays, and cohort 1 does not move.
            let shape = layout.blocks[0].shape
            let cells = [("w1", "b1"), ("w1", "b2"), ("all", "b1"), ("all", "b2")].map { w, b in
                layout.global(0, shape.cell([w == "all" ? wards.total : wards.node(w)!, bands.node(b)!]))
            }
            for g in cells { statuses[g].disposition = .secondary }
            let certificate = ProtectionCertificate(cell: cells[1], perturbation: Perturbation(cells: cells, signs: [-1, 1, -1, 1]), up: true, down: false)
            let reason = CertificateAudit.check(certificate, ProtectionRequirement(countUp: 1), problem: problem, statuses: statuses, index: .init(layout))
            #expect(reason == (refused ? "it changes a complement known to be empty" : nil))
        }
    }

    /// A certificate that empties a complement below zero is refused by the audit.
    @Test func theCertificateAuditRefusesANegativeComplement() throws {
        let c = JointCase(
            dimensions: [Self.wards], cohortDimensions: [[0], [0]], relations: CohortRelations(within: [.init(1, 0)]),
            people: people([([0], [1, 0, 3]), ([0, 1], [2, 9, 8])]))
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
        let problem = SuppressionProblem(layout: c.layout, tables: c.tables, published: c.published, primary: primary, secondary: SecondaryPolicy())
        // Cohort 1 at w1 (2 people) is sensitive and must reach 3.
        let n1 = c.layout.global(1, Self.wards.node("w1")!)
        #expect(problem.requirements[n1] == ProtectionRequirement(countUp: 1))
        var statuses = problem.statuses
        let n2 = c.layout.global(1, Self.wards.node("w2")!)
        statuses[n2].disposition = .secondary
        // Raising cohort 1 at w1 by one leaves its denominator's complement there at 0: fine;
        // lowering w2 by one keeps everything. But cohort 1 at w1 cannot rise by 2 (the
        // complement is 1).
        let fine = ProtectionCertificate(cell: n1, perturbation: Perturbation(cells: [n1, n2], signs: [1, -1]), up: true, down: true)
        #expect(CertificateAudit.check(fine, problem.requirements[n1]!, problem: problem, statuses: statuses, index: .init(c.layout)) == nil)
        let tooFar = ProtectionRequirement(countUp: 2)
        let bad = ProtectionCertificate(cell: n1, perturbation: Perturbation(cells: [n1, n2], signs: [1, -1]), up: true, down: false)
        #expect(CertificateAudit.check(bad, tooFar, problem: problem, statuses: statuses, index: .init(c.layout)) != nil)
    }
}

