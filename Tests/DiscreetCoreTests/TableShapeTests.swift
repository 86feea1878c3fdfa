import Testing
@testable import DiscreetCore

@Suite struct TableShapeTests {
    static func area() throws -> TableDimension {
        try TableDimension.build(name: "area", total: "City", entries: DimensionTests.wards)
    }

    static func sex() throws -> TableDimension {
        try TableDimension.build(name: "sex", total: "All", entries: [.init(code: "F"), .init(code: "M")])
    }

    @Test func numbersCellsRowMajor() throws {
        let shape = try #require(TableShape(dimensions: [Self.area(), Self.sex()]))
        #expect(shape.cellCount == 6 * 3)
        #expect(shape.innerCellCount == 3 * 2)
        #expect(shape.strides == [3, 1])
        #expect(shape.cell([4, 1]) == 13)
        #expect(shape.nodes(of: 13) == [4, 1])
        #expect(shape.innerToFull() == [0, 1, 3, 4, 6, 7])
    }

    @Test func rollsUpEveryMargin() throws {
        let area = try Self.area()
        let sex = try Self.sex()
        let shape = try #require(TableShape(dimensions: [area, sex]))
        // Inner cells: w1 (F 1, M 2), w2 (F 3, M 4), w3 (F 5, M 6).
        var v = [Int64](repeating: 0, count: shape.cellCount)
        for (inner, full) in shape.innerToFull().enumerated() { v[full] = Int64(inner + 1) }
        shape.rollUp { v[$0] += v[$1] }
        func at(_ a: String, _ s: String) -> Int64 { v[shape.cell([area.node(a)!, sex.node(s)!])] }
        #expect(at("N", "F") == 4)
        #expect(at("N", "M") == 6)
        #expect(at("N", "All") == 10)
        #expect(at("S", "All") == 11)
        #expect(at("City", "F") == 9)
        #expect(at("City", "M") == 12)
        #expect(at("City", "All") == 21)
        #expect(at("w2", "All") == 7)
    }

    @Test func relationsHoldForRolledUpValues() throws {
        let shape = try #require(TableShape(dimensions: [Self.area(), Self.sex(), Self.sex()]))
        var v = [Int64](repeating: 0, count: shape.cellCount)
        for (inner, full) in shape.innerToFull().enumerated() { v[full] = Int64(inner * 7 % 11) }
        shape.rollUp { v[$0] += v[$1] }
        let relations = shape.relations()
        // area has 3 groups, sex 1: relations = 3·(3·3) + 2 · (1·6·3)
        #expect(relations.count == 3 * 9 + 2 * 18)
        for r in relations { #expect(v[r.total] == r.parts.reduce(0) { $0 + v[$1] }) }
    }

    @Test func tableWithoutDimensionsHasOneCell() {
        let shape = TableShape(dimensions: [])!
        #expect(shape.cellCount == 1)
        #expect(shape.innerToFull() == [0])
        #expect(shape.displayOrder() == [0])
        #expect(shape.relations().isEmpty)
    }

    @Test func refusesTablesTooLarge() throws {
        let big = try TableDimension.build(name: "x", total: "T", entries: (0..<2000).map { HierarchyEntry(code: "c\($0)") })
        #expect(TableShape(dimensions: [big, big, big]) == nil)
    }

    @Test func displayOrderFollowsEachDimension() throws {
        let area = try Self.area()
        let sex = try Self.sex()
        let shape = try #require(TableShape(dimensions: [area, sex]))
        let order = shape.displayOrder().map { shape.nodes(of: $0) }.map { "\(area.codes[$0[0]])/\(sex.codes[$0[1]])" }
        #expect(order.prefix(4) == ["City/All", "City/F", "City/M", "N/All"])
        #expect(order.count == 18)
        #expect(Set(order).count == 18)
    }
}
