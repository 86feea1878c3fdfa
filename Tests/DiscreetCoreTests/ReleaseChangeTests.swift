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
