import DiscreetTestSupport
import Testing
@testable import DiscreetCore

/// This month minus last month: the groups whose change a reader of two releases of one
/// table can tell exactly, and which of those changes are small.
@Suite struct ReleaseChangeTests {
    /// Area (North: a, b; South: c, d, e) by sex.
    static let area = try! TableDimension.build(
        name: "area", total: "All",
        entries: [
            HierarchyEntry(code: "N"), HierarchyEntry(code: "S"), HierarchyEntry(code: "a", parent: "N"), HierarchyEntry(code: "b", parent: "N"),
            HierarchyEntry(code: "c", parent: "S"), HierarchyEntry(code: "d", parent: "S"), HierarchyEntry(code: "e", parent: "S"),
        ])
    static let sex = try! TableDimension.build(name: "sex", total: "All", entries: ["F", "M"].map { HierarchyEntry(code: $0) })

    /// One dimension, worked by hand. Last month: total 30 = a 20 + b 3 (withheld) + c 7
    /// (withheld); this month: 31 = 20 + 4 (withheld) + 7 (withheld). The total changed by
    /// one, and so did b and c together (31 - 20 less 30 - 20): two groups of one.
    @Test func aTotalAndTheCellsWithheldTogetherChangedByOne() throws {
        let area = try TableDimension.build(name: "area", total: "All", entries: ["a", "b", "c"].map { HierarchyEntry(code: $0) })
        let shape = try #require(TableShape(dimensions: [area]))
        func cell(_ code: String) -> Int { shape.cell([area.node(code)!]) }
        var before = [Int64?](repeating: nil, count: shape.cellCount)
        var now = before
        before[cell("All")] = 30
        before[cell("a")] = 20
        now[cell("All")] = 31
        now[cell("a")] = 20
        let rule = FrequencyRule(threshold: 5)
        let found = ReleaseChange.smallChanges(shape: shape, previous: before, current: now, rule: rule)
        #expect(Set(found) == [
            FigureChange(kind: .figure, cells: [cell("All")], change: 1),
            FigureChange(kind: .withheld, cells: [cell("b"), cell("c")].sorted(), change: 1),
        ])
        // The same total: no change. A change of 5 is not small under "fewer than 5".
        now[cell("All")] = 30
        #expect(ReleaseChange.smallChanges(shape: shape, previous: before, current: now, rule: rule).isEmpty)
        now[cell("All")] = 35
        #expect(ReleaseChange.smallChanges(shape: shape, previous: before, current: now, rule: rule).isEmpty)
        // A cell withheld last month and published now: the group is every cell withheld in
        // either. Last month b and c withheld; this month c published (8) and a withheld:
        // a, b and c together changed by 33 - 30, the whole total, so nothing new: every
        // part was withheld in one release or the other.
        now = [Int64?](repeating: nil, count: shape.cellCount)
        now[cell("All")] = 33
        now[cell("c")] = 8
        #expect(ReleaseChange.smallChanges(shape: shape, previous: before, current: now, rule: rule) == [FigureChange(kind: .figure, cells: [cell("All")], change: 3)])
        // A negative change is as small: 30 -> 28, a the same, b and c together -2.
        now = before
        now[cell("All")] = 28
        #expect(Set(ReleaseChange.smallChanges(shape: shape, previous: before, current: now, rule: rule)) == [
            FigureChange(kind: .figure, cells: [cell("All")], change: -2),
            FigureChange(kind: .withheld, cells: [cell("b"), cell("c")].sorted(), change: -2),
        ])
    }

    /// Random months of a two-dimensional table with hierarchies, random withheld cells in
    /// each: every change reported is one the independent attacker (last month's and this
    /// month's hidden tables as two sets of people, every published figure an equation)
    /// tells exactly, with that value; and every group a relation tells in both (each
    /// cell both publish, and the union of the withheld parts of each relation whose total
    /// both publish) whose change the attacker tells exactly and is small is reported.
    /// Negative control: a rule that takes only this month's withheld parts claims changes
    /// the attacker cannot tell, and the check catches it.
    @Test func everyReportedChangeIsToldExactlyAndNoneIsMissed() throws {
        let shape = try #require(TableShape(dimensions: [Self.area, Self.sex]))
        let attackerTemplate = AtomAttacker(dimensions: [Self.area, Self.sex], atoms: [[0], [1]])
        let leafCount = attackerTemplate.leafCount
        let rule = FrequencyRule(threshold: 4)
        var generator = ReproducibleGenerator(seed: 0x5EED_C4A9)
        var checked = 0
        var controlCaught = 0
        for _ in 0..<60 {
            let last = (0..<leafCount).map { _ in Int64(generator.next() % 12) }
            let now = last.map { max(0, $0 + Int64(generator.next() % 5) - 2) }
            func figures(_ leaves: [Int64], atom: Int) -> [Int64] {
                (0..<shape.cellCount).map { c in
                    attackerTemplate.cells(cohort: atom, nodes: shape.nodes(of: c)).reduce(0) { $0 + leaves[$1 - atom * leafCount] }
                }
            }
            let before = figures(last, atom: 0)
            let after = figures(now, atom: 1)
            let shownBefore = before.map { v in generator.next() % 10 < 3 ? nil : Optional(v) }
            let shownNow = after.map { v in generator.next() % 10 < 3 ? nil : Optional(v) }
            var attacker = attackerTemplate
            for c in 0..<shape.cellCount {
                if let v = shownBefore[c] { attacker.know(attacker.form(cohort: 0, nodes: shape.nodes(of: c)), lower: v, upper: v) }
                if let v = shownNow[c] { attacker.know(attacker.form(cohort: 1, nodes: shape.nodes(of: c)), lower: v, upper: v) }
            }
            func changeForm(_ cells: [Int]) -> [Int: Rational] {
                var f: [Int: Rational] = [:]
                for c in cells {
                    for (v, k) in attacker.form(cohort: 1, nodes: shape.nodes(of: c)) { f[v, default: .zero] += k }
                    for (v, k) in attacker.form(cohort: 0, nodes: shape.nodes(of: c)) { f[v, default: .zero] -= k }
                }
                return f.filter { !$0.value.isZero }
            }
            func told(_ cells: [Int]) -> Rational? {
                guard let i = attacker.interval(changeForm(cells)), let upper = i.upper, upper == i.lower else { return nil }
                return upper
            }
            let found = ReleaseChange.smallChanges(shape: shape, previous: shownBefore, current: shownNow, rule: rule)
            for change in found {
                #expect(told(change.cells) == Rational(change.change), "\(change) is not what the attacker tells")
                checked += 1
            }
            // Nothing missed: each candidate the attacker tells, small, is reported.
            var candidates = (0..<shape.cellCount).filter { shownBefore[$0] != nil && shownNow[$0] != nil }.map { [$0] }
            for relation in shape.relations() where shownBefore[relation.total] != nil && shownNow[relation.total] != nil {
                let group = relation.parts.filter { shownBefore[$0] == nil || shownNow[$0] == nil }.sorted()
                if !group.isEmpty && group.count < relation.parts.count { candidates.append(group) }
            }
            let reported = Set(found.map(\.cells))
            for group in Set(candidates) {
                guard let d = told(group), d.isInteger, let n = d.floor, n != 0, rule.fails(contributors: abs(n)) else { continue }
                #expect(reported.contains(group), "the change \(d) of \(group) is told and small, but not reported")
            }
            // The control: this month's withheld parts alone, where last month's differ.
            for relation in shape.relations() where shownBefore[relation.total] != nil && shownNow[relation.total] != nil {
                let onlyNow = relation.parts.filter { shownNow[$0] == nil }
                let either = relation.parts.filter { shownBefore[$0] == nil || shownNow[$0] == nil }
                guard !onlyNow.isEmpty, onlyNow.count < either.count, either.count < relation.parts.count else { continue }
                if told(onlyNow) == nil { controlCaught += 1 }
            }
        }
        #expect(checked > 20)
        #expect(controlCaught > 0)
    }
}

/// `discreet check`'s verdicts against the independent attacker of the tests: random
/// tables with hierarchies and random withheld cells, alone and next to a release that
/// counts their people and others.
@Suite struct SubmittedTableCheckTests {
    static let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5))

    /// Every cell the check calls recoverable or known small is so for the attacker, with
    /// the same figures, and every withheld cell the attacker pins or bounds small is
    /// reported. Negative control: a check that only looks for a margin's one withheld
    /// part misses cells the attacker pins.
    @Test func aloneTheCheckAgreesWithTheAttacker() throws {
        let shape = try #require(TableShape(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex]))
        let template = AtomAttacker(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex], atoms: [[0]])
        var generator = ReproducibleGenerator(seed: 0xC4EC_4A11)
        var weakerMissed = 0
        var pinned = 0
        for _ in 0..<80 {
            let leaves = (0..<template.leafCount).map { _ in Int64(generator.next() % 9) }
            let figures = (0..<shape.cellCount).map { c in template.cells(cohort: 0, nodes: shape.nodes(of: c)).reduce(0) { $0 + leaves[$1] } }
            let withheld = figures.map { _ in generator.next() % 10 < 4 }
            let values = zip(figures, withheld).map { $1 ? nil : Optional($0) }
            var attacker = template
            for c in 0..<shape.cellCount { if let v = values[c] { attacker.know(attacker.form(cohort: 0, nodes: shape.nodes(of: c)), lower: v, upper: v) } }
            let found = SubmittedTableCheck.run(shape: shape, values: values, withheld: withheld, primary: Self.primary)
            for c in 0..<shape.cellCount where withheld[c] {
                let i = try #require(attacker.interval(attacker.form(cohort: 0, nodes: shape.nodes(of: c))))
                let finding = found.first { $0.cell == c }
                if i.upper == i.lower {
                    pinned += 1
                    #expect(finding?.kind == .recoverable(figures[c]), "cell \(c): the attacker pins it at \(figures[c])")
                    let single = shape.relations().contains { r in values[r.total] != nil && r.parts.contains(c) && r.parts.filter { values[$0] == nil } == [c] }
                    if !single { weakerMissed += 1 }
                } else if let lower = i.lower.ceiling, lower > 0, let upper = i.upper?.floor, upper < 5 {
                    #expect(finding?.kind == .knownSmall(lower: lower, upper: upper), "cell \(c): the attacker bounds it in [\(lower), \(upper)]")
                } else {
                    #expect(finding == nil, "cell \(c): \(String(describing: finding)), the attacker gives [\(i.lower), \(String(describing: i.upper))]")
                }
            }
            for c in 0..<shape.cellCount where !withheld[c] {
                let small = figures[c] > 0 && figures[c] < 5
                #expect(found.contains { $0.cell == c && $0.kind == .smallPublished(figures[c]) } == small)
            }
        }
        #expect(pinned > 20)
        #expect(weakerMissed > 0)
    }

    /// Next to a release counting the table's people and others (the table's cohort within
    /// the release's), every finding is the attacker's, and nothing the attacker finds that
    /// the table alone does not is missed.
    @Test func nextToAReleaseTheCheckAgreesWithTheAttacker() throws {
        let shape = try #require(TableShape(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex]))
        // Atom 0: in the table and the release; atom 1: in the release only.
        let template = AtomAttacker(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex], atoms: [[0, 1], [1]])
        let leafCount = template.leafCount
        var generator = ReproducibleGenerator(seed: 0xA6A1_4571)
        var reported = 0
        for _ in 0..<60 {
            let mine = (0..<leafCount).map { _ in Int64(generator.next() % 9) }
            let others = (0..<leafCount).map { _ in Int64(generator.next() % 4) }
            func figure(_ c: Int, cohort: Int) -> Int64 {
                template.cells(cohort: cohort, nodes: shape.nodes(of: c)).reduce(0) { $0 + ($1 < leafCount ? mine[$1] : others[$1 - leafCount]) }
            }
            let figures = (0..<shape.cellCount).map { figure($0, cohort: 0) }
            let release = (0..<shape.cellCount).map { figure($0, cohort: 1) }
            let withheld = figures.map { _ in generator.next() % 10 < 4 }
            let values = zip(figures, withheld).map { $1 ? nil : Optional($0) }
            let combined = release.map { v in generator.next() % 10 < 3 ? nil : Optional(v) }
            var attacker = template
            for c in 0..<shape.cellCount {
                if let v = values[c] { attacker.know(attacker.form(cohort: 0, nodes: shape.nodes(of: c)), lower: v, upper: v) }
                if let v = combined[c] { attacker.know(attacker.form(cohort: 1, nodes: shape.nodes(of: c)), lower: v, upper: v) }
            }
            let alone = Set(SubmittedTableCheck.run(shape: shape, values: values, withheld: withheld, primary: Self.primary).map(\.cell))
            let found = SubmittedTableCheck.against(shape: shape, values: values, withheld: withheld, combined: combined, primary: Self.primary)
            reported += found.count
            for c in 0..<shape.cellCount {
                // The others in the cell: the release's count less the table's.
                let o = try #require(attacker.interval(attacker.form(plus: 1, minus: [0], nodes: shape.nodes(of: c))))
                let othersFinding = found.first { $0.cell == c && { if case .othersSmall = $0.kind { true } else { false } }($0) }
                let shownOrPublished = values[c] != nil || withheld[c] || combined[c] != nil
                if shownOrPublished, let lower = o.lower.ceiling, lower > 0, let upper = o.upper?.floor, upper < 5 {
                    #expect(othersFinding?.kind == .othersSmall(lower: lower, upper: upper), "cell \(c): others in [\(lower), \(upper)]")
                } else {
                    #expect(othersFinding == nil, "cell \(c): \(String(describing: othersFinding))")
                }
                guard withheld[c], !alone.contains(c) else { continue }
                let i = try #require(attacker.interval(attacker.form(cohort: 0, nodes: shape.nodes(of: c))))
                let finding = found.first { $0.cell == c && othersFinding != $0 }
                if i.upper == i.lower {
                    #expect(finding?.kind == .recoverable(figures[c]), "cell \(c)")
                } else if let lower = i.lower.ceiling, lower > 0, let upper = i.upper?.floor, upper < 5 {
                    #expect(finding?.kind == .knownSmall(lower: lower, upper: upper), "cell \(c)")
                } else {
                    #expect(finding == nil, "cell \(c): \(String(describing: finding))")
                }
            }
        }
        #expect(reported > 20)
    }
}

/// `discreet check --fix`: what it withholds passes the check, and costs no more cells than
/// the suppressor withholds on the same table with every count known.
@Suite struct SubmittedTableRepairTests {
    /// A table whose margin does not add up is not repaired: its figures need correcting.
    @Test func aTableWhoseMarginsDoNotAddUpIsNotRepaired() throws {
        let shape = try #require(TableShape(dimensions: [ReleaseChangeTests.sex]))
        let total = shape.cell([ReleaseChangeTests.sex.node("All")!])
        var values = [Int64?](repeating: 12, count: shape.cellCount)
        values[total] = 30
        #expect(throws: SubmittedTableRepair.Failure.marginsDoNotAddUp(total)) {
            try SubmittedTableRepair.additionalSuppressions(
                shape: shape, values: values, withheld: [Bool](repeating: false, count: shape.cellCount), primary: PrimaryPolicy(frequency: FrequencyRule(threshold: 5)))
        }
    }

    @Test func aRepairPassesTheCheckAndWithholdsNoMoreThanProtect() throws {
        let shape = try #require(TableShape(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex]))
        let template = AtomAttacker(dimensions: [ReleaseChangeTests.area, ReleaseChangeTests.sex], atoms: [[0]])
        let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 5))
        var generator = ReproducibleGenerator(seed: 0xF1C5)
        var repaired = 0
        var fixTotal = 0
        var protectTotal = 0
        for _ in 0..<40 {
            let leaves = (0..<template.leafCount).map { _ in Int64(generator.next() % 14) }
            var figures = [Int64](repeating: 0, count: shape.cellCount)
            for c in 0..<shape.cellCount { figures[c] = template.cells(cohort: 0, nodes: shape.nodes(of: c)).reduce(0) { $0 + leaves[$1] } }
            // Everything published, as a partner's first draft.
            let values = figures.map { Optional($0) }
            let none = [Bool](repeating: false, count: shape.cellCount)
            let cells = try SubmittedTableRepair.additionalSuppressions(shape: shape, values: values, withheld: none, primary: primary)
            var withheld = none
            var shown = values
            for c in cells {
                withheld[c] = true
                shown[c] = nil
            }
            #expect(SubmittedTableCheck.run(shape: shape, values: shown, withheld: withheld, primary: primary).isEmpty)
            // What protect withholds on the same table.
            let table = countTable(shape, inner: (0..<shape.innerCellCount).map { i in figures[shape.innerToFull()[i]] })
            let (statuses, _, _) = try protect(table, primary)
            let protectCount = statuses.filter { $0.disposition.isWithheld }.count
            #expect(cells.count <= protectCount, "fix \(cells.count), protect \(protectCount)")
            if !cells.isEmpty { repaired += 1 }
            // A draft whose small cells the partner withheld already (their counts unknown
            // to the repair): what it adds passes the check too.
            let small = figures.map { $0 > 0 && $0 < 5 }
            let draft = zip(figures, small).map { $1 ? nil : Optional($0) }
            let more = try SubmittedTableRepair.additionalSuppressions(shape: shape, values: draft, withheld: small, primary: primary)
            var after = draft
            var hidden = small
            for c in more {
                #expect(draft[c] != nil)
                after[c] = nil
                hidden[c] = true
            }
            #expect(SubmittedTableCheck.run(shape: shape, values: after, withheld: hidden, primary: primary).isEmpty)
            fixTotal += cells.count
            protectTotal += protectCount
        }
        #expect(repaired > 10)
        print("fix withheld \(fixTotal) cells, protect \(protectTotal), over 40 tables")
    }
}
