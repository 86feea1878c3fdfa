import Testing
@testable import DiscreetCore

@Suite struct DimensionTests {
    static let wards: [HierarchyEntry] = [
        .init(code: "N", label: "North"), .init(code: "S", label: "South"),
        .init(code: "w1", parent: "N"), .init(code: "w2", parent: "N"), .init(code: "w3", parent: "S"),
    ]

    @Test func flatDimensionPutsLeavesFirstAndTotalLast() throws {
        let d = try TableDimension.build(name: "sex", total: "All", entries: [.init(code: "F"), .init(code: "M")])
        #expect(d.codes == ["F", "M", "All"])
        #expect(d.leafCount == 2)
        #expect(d.total == 2)
        #expect(d.parents == [2, 2, -1])
        #expect(d.displayOrder == [2, 0, 1])
    }

    @Test func hierarchyOrdersChildrenBeforeParents() throws {
        let d = try TableDimension.build(name: "area", total: "City", entries: Self.wards)
        #expect(d.codes == ["w1", "w2", "w3", "N", "S", "City"])
        #expect(d.leafCount == 3)
        #expect(d.children[d.node("N")!] == [d.node("w1")!, d.node("w2")!])
        #expect(d.children[d.total] == [d.node("N")!, d.node("S")!])
        // Total, then each group followed by its children.
        #expect(d.displayOrder.map { d.codes[$0] } == ["City", "N", "w1", "w2", "S", "w3"])
        for node in 0..<d.nodeCount where d.parents[node] >= 0 { #expect(d.parents[node] > node) }
        #expect(d.depths[d.node("w1")!] == 2)
        #expect(d.labels[d.node("N")!] == "North")
    }

    @Test func deepHierarchyRollsUpInOrder() throws {
        let d = try TableDimension.build(name: "x", total: "T", entries: [
            .init(code: "a"), .init(code: "b", parent: "a"), .init(code: "c", parent: "b"), .init(code: "d", parent: "b"),
        ])
        #expect(d.codes == ["c", "d", "b", "a", "T"])
    }

    @Test func reportsEveryProblemWithItsEntry() {
        #expect(throws: HierarchyProblems(problems: [
            HierarchyProblem(kind: .duplicateCode("a"), entry: 1),
            HierarchyProblem(kind: .codeIsTotal("T"), entry: 2),
            HierarchyProblem(kind: .undefinedParent(child: "b", parent: "zz"), entry: 3),
        ])) {
            try TableDimension.build(name: "x", total: "T", entries: [
                .init(code: "a"), .init(code: "a"), .init(code: "T"), .init(code: "b", parent: "zz"),
            ])
        }
    }

    @Test func detectsCycles() {
        do {
            _ = try TableDimension.build(name: "x", total: "T", entries: [
                .init(code: "a", parent: "c"), .init(code: "b", parent: "a"), .init(code: "c", parent: "b"), .init(code: "d"),
            ])
            Issue.record("a cycle was accepted")
        } catch {
            #expect(error.problems.count == 1)
            guard case .cycle(let codes) = error.problems[0].kind else {
                Issue.record("expected a cycle, got \(error.problems)")
                return
            }
            #expect(Set(codes) == ["a", "b", "c"])
            #expect(codes.first == codes.last)
        }
    }

    @Test func rejectsEmptyDimension() {
        #expect(throws: HierarchyProblems(problems: [HierarchyProblem(kind: .noLeaves, entry: nil)])) {
            try TableDimension.build(name: "x", total: "T", entries: [])
        }
    }
}
