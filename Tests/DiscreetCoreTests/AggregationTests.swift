import Testing
@testable import DiscreetCore

@Suite struct AggregationTests {
    static let dimension = try! TableDimension.build(name: "x", total: "T", entries: [.init(code: "a"), .init(code: "b"), .init(code: "c")])
    static let shape = TableShape(dimensions: [dimension])!

    /// Appends one row's record; `hash` overrides the identifier's hash (to force collisions).
    static func append(_ buffer: inout ByteBuffer, _ id: String, line: Int, _ contributions: [(table: Int, cell: Int, value: Int64?)], hash: UInt64? = nil) {
        var c = RowContributions()
        for x in contributions {
            c.tables.append(UInt16(x.table) | (x.value != nil ? RowContributions.valued : 0))
            c.cells.append(UInt32(x.cell))
            if let v = x.value { c.values.append(v) }
        }
        let start = buffer.count
        var id = id
        id.withUTF8 { ContributionRecord.append(to: &buffer, identifier: UnsafeRawBufferPointer($0), origin: RowOrigin(input: 0, line: line), contributions: c) }
        if let hash { buffer.store(hash, at: start + 4) }
    }

    static func grouper(_ policy: ConflictPolicy = .error, magnitude: Bool = false) -> ContributionGrouper {
        ContributionGrouper(
            tables: [(shape, .count), (shape, magnitude ? .sum(column: "v", places: 0) : .count)], topCount: 2, policy: policy)
    }

    @Test func countsEachPersonOnceHoweverManyRows() throws {
        var buffer = ByteBuffer()
        Self.append(&buffer, "P1", line: 2, [(0, 0, nil)])
        Self.append(&buffer, "P2", line: 3, [(0, 0, nil)])
        Self.append(&buffer, "P1", line: 4, [(0, 0, nil)])
        Self.append(&buffer, "P1", line: 5, [(0, 0, nil), (1, 2, nil)])
        var g = Self.grouper()
        g.add(records: buffer.bytes)
        #expect(g.people == 2)
        let t0 = try g.accumulators[0].finish()
        #expect(t0.values[0] == 2)
        #expect(t0.values[Self.dimension.total] == 2)
        let t1 = try g.accumulators[1].finish()
        #expect(t1.values[2] == 1)
    }

    @Test func identifiersAreComparedExactlyEvenWhenHashesCollide() throws {
        var buffer = ByteBuffer()
        Self.append(&buffer, "alice", line: 2, [(0, 0, nil)], hash: 42)
        Self.append(&buffer, "bob", line: 3, [(0, 0, nil)], hash: 42)
        Self.append(&buffer, "alice", line: 4, [(0, 0, nil)], hash: 42)
        Self.append(&buffer, "carol", line: 5, [(0, 1, nil)], hash: 42)
        var g = Self.grouper()
        g.add(records: buffer.bytes)
        #expect(g.people == 3)
        let t = try g.accumulators[0].finish()
        #expect(t.values[0] == 2)
        #expect(t.values[1] == 1)
    }

    @Test func conflictingCellsLeaveThePersonOutAndAreReported() throws {
        var buffer = ByteBuffer()
        Self.append(&buffer, "P1", line: 7, [(0, 0, nil)])
        Self.append(&buffer, "P1", line: 9, [(0, 1, nil), (1, 1, nil)])
        Self.append(&buffer, "P2", line: 11, [(0, 1, nil)])
        var g = Self.grouper()
        g.add(records: buffer.bytes)
        #expect(g.conflictCounts == [1, 0])
        #expect(g.conflictSample == [CellConflict(table: 0, first: RowOrigin(input: 0, line: 7), second: RowOrigin(input: 0, line: 9))])
        let t = try g.accumulators[0].finish()
        #expect(t.values[0] == 0)
        #expect(t.values[1] == 1)
        #expect(try g.accumulators[1].finish().values[1] == 1)
    }

    @Test(arguments: [(ConflictPolicy.first, 0), (.last, 1)])
    func firstOrLastRowDecides(policy: ConflictPolicy, cell: Int) throws {
        var buffer = ByteBuffer()
        Self.append(&buffer, "P1", line: 2, [(0, 0, nil)])
        Self.append(&buffer, "P1", line: 3, [(0, 1, nil)])
        var g = Self.grouper(policy)
        g.add(records: buffer.bytes)
        #expect(g.conflictCounts == [0, 0])
        let t = try g.accumulators[0].finish()
        #expect(t.values[cell] == 1)
        #expect(t.values[Self.dimension.total] == 1)
    }

    @Test func magnitudeContributionsArePerPerson() throws {
        var buffer = ByteBuffer()
        Self.append(&buffer, "P1", line: 2, [(1, 0, 5)])
        Self.append(&buffer, "P2", line: 3, [(1, 0, 9)])
        Self.append(&buffer, "P1", line: 4, [(1, 0, 7)])
        Self.append(&buffer, "P3", line: 5, [(1, 1, 100)])
        var g = Self.grouper(magnitude: true)
        g.add(records: buffer.bytes)
        let t = try g.accumulators[1].finish()
        #expect(t.values[0] == 21)
        #expect(t.contributors(0) == 2)
        #expect(Array(t.largest(0)) == [12, 9])
        let total = Self.dimension.total
        #expect(t.values[total] == 121)
        #expect(t.contributors(total) == 3)
        #expect(Array(t.largest(total)) == [100, 12])
    }

    @Test func shardedGroupingMatchesOnePass() throws {
        var buffer = ByteBuffer()
        var rng: UInt64 = 7
        for line in 0..<2000 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1
            let person = Int(rng >> 33) % 300
            Self.append(&buffer, "person-\(person)", line: line, [(0, person % 3, nil), (1, person % 2, Int64(line % 17))])
        }
        var whole = Self.grouper(magnitude: true)
        whole.add(records: buffer.bytes)
        var merged = Self.grouper(magnitude: true)
        for shard in 0..<4 {
            var part = Self.grouper(magnitude: true)
            part.add(records: buffer.bytes, shard: shard, shards: 4)
            merged.merge(part)
        }
        #expect(merged.people == whole.people)
        #expect(whole.people == 300)
        for t in 0..<2 {
            let a = try whole.accumulators[t].finish()
            let b = try merged.accumulators[t].finish()
            #expect(a == b)
        }
    }

    @Test func sumsThatOverflowAreReported() {
        var acc = TableAccumulator(shape: Self.shape, measure: .sum(column: "v", places: 0), topCount: 2)
        acc.add(cell: 0, value: Int64.max - 1)
        acc.add(cell: 0, value: 5)
        #expect(throws: SumOverflow.self) { try acc.finish() }
    }

    @Test func categoryDictionaryInternsExactly() {
        var d = CategoryDictionary(limit: 1000)
        #expect(d.intern("a") == 0)
        #expect(d.intern("b") == 1)
        #expect(d.intern("a") == 0)
        #expect(d.intern("") == 2)
        for i in 0..<500 { #expect(d.intern("code\(i)") == Int64(3 + i)) }
        #expect(d.find("code499") == 502)
        #expect(d.find("missing") == nil)
        var small = CategoryDictionary(limit: 2)
        _ = small.intern("x")
        _ = small.intern("y")
        var z = "z"
        #expect(z.withUTF8 { small.intern(UnsafeRawBufferPointer($0)) } == nil)
    }

    @Test func scaledDecimalsParseAndFormatExactly() {
        func parse(_ s: String, _ places: Int) -> Int64? { ScaledDecimal.parse(Array(s.utf8), places: places) }
        #expect(parse("12", 2) == 1200)
        #expect(parse("12.5", 2) == 1250)
        #expect(parse("-0.05", 2) == -5)
        #expect(parse("+7", 0) == 7)
        #expect(parse("1.234", 2) == nil)
        #expect(parse("1e3", 0) == nil)
        #expect(parse("", 0) == nil)
        #expect(parse("-", 0) == nil)
        #expect(parse("1.2.3", 2) == nil)
        #expect(parse("99999999999999999999", 0) == nil)
        #expect(ScaledDecimal.format(1250, places: 2) == "12.50")
        #expect(ScaledDecimal.format(-5, places: 2) == "-0.05")
        #expect(ScaledDecimal.format(42, places: 0) == "42")
    }
}
