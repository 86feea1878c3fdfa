/// What to do when one person's rows fall in different cells of the same table
/// (ward recorded differently by two partners, age changing between records).
public enum ConflictPolicy: String, Sendable, Hashable, CaseIterable {
    /// A data error: the person is left out of that table and the conflict reported
    /// (or the run stops, when bad input stops the run).
    case error
    /// The person's first row (in input order, then line order) decides the cell.
    case first
    /// The person's last row decides the cell.
    case last
}

/// One person whose rows fall in different cells of one table: the rows that disagree.
public struct CellConflict: Sendable, Hashable {
    public var table: Int
    public var first: RowOrigin
    public var second: RowOrigin
}

/// Combines contribution records person by person, so that each person counts once
/// per table, and adds each person's combined contribution to the table accumulators.
///
/// A person's records must all be given in one call (the spilling store partitions by
/// person to guarantee it), in input order. People are compared byte for byte: the
/// hash only orders them.
public struct ContributionGrouper: Sendable {
    public private(set) var accumulators: [TableAccumulator]
    public let policy: ConflictPolicy
    /// Per table: people left out because their rows conflict.
    public private(set) var conflictCounts: [Int]
    /// The first conflicts found, at most ``conflictSampleLimit``.
    public private(set) var conflictSample: [CellConflict] = []
    public static let conflictSampleLimit = 20
    /// Distinct people seen (over every call).
    public private(set) var people = 0

    private var stamp: [Int]
    private var cell: [UInt32]
    private var sum: [Int64]
    private var origin: [RowOrigin]
    private var conflicted: [Bool]
    private var generation = 0

    public init(tables: [(shape: TableShape, measure: Measure)], topCount: Int, policy: ConflictPolicy) {
        accumulators = tables.map { TableAccumulator(shape: $0.shape, measure: $0.measure, topCount: topCount) }
        self.policy = policy
        conflictCounts = [Int](repeating: 0, count: tables.count)
        stamp = [Int](repeating: -1, count: tables.count)
        cell = [UInt32](repeating: 0, count: tables.count)
        sum = [Int64](repeating: 0, count: tables.count)
        origin = [RowOrigin](repeating: RowOrigin(input: 0, line: 0), count: tables.count)
        conflicted = [Bool](repeating: false, count: tables.count)
    }

    private struct Entry: Comparable {
        var hash: UInt64
        var offset: Int
        static func < (a: Entry, b: Entry) -> Bool { (a.hash, a.offset) < (b.hash, b.offset) }
    }

    /// Groups the records in `records` (a concatenation of ``ContributionRecord``s) by person.
    ///
    /// With `shards` > 1, only the people whose hash falls in `shard` are taken, so that
    /// several groupers can share one buffer, each on its own core.
    public mutating func add(records: UnsafeRawBufferPointer, shard: Int = 0, shards: Int = 1) {
        var entries: [Entry] = []
        var offset = 0
        let mask = UInt64(shards - 1)
        precondition(shards > 0 && shards & (shards - 1) == 0, "shards must be a power of two")
        while offset < records.count {
            let length = Int(records.load(at: offset, as: UInt32.self))
            let hash = records.load(at: offset + 4, as: UInt64.self)
            if hash & mask == UInt64(shard) { entries.append(Entry(hash: hash, offset: offset)) }
            offset += length
        }
        entries.sort()
        var run = 0
        var group: [Int] = []
        while run < entries.count {
            var end = run + 1
            while end < entries.count && entries[end].hash == entries[run].hash { end += 1 }
            if end - run == 1 {
                addPerson([entries[run].offset], records)
            } else {
                // Equal hashes: split by exact identifier, keeping input order within each person.
                var pending = entries[run..<end].map(\.offset)
                while !pending.isEmpty {
                    let first = pending[0]
                    group.removeAll(keepingCapacity: true)
                    var rest: [Int] = []
                    for o in pending {
                        if sameIdentifier(first, o, records) { group.append(o) } else { rest.append(o) }
                    }
                    addPerson(group, records)
                    pending = rest
                }
            }
            run = end
        }
    }

    private func sameIdentifier(_ a: Int, _ b: Int, _ records: UnsafeRawBufferPointer) -> Bool {
        let la = Int(records.load(at: a + 20, as: UInt16.self))
        let lb = Int(records.load(at: b + 20, as: UInt16.self))
        guard la == lb else { return false }
        let base = records.baseAddress!
        let h = ContributionRecord.headerSize
        return memcmpBytes(base + a + h, base + b + h, la)
    }

    private mutating func addPerson(_ offsets: [Int], _ records: UnsafeRawBufferPointer) {
        people += 1
        generation += 1
        var touched: [Int] = []
        for o in offsets {
            let rowOrigin = RowOrigin(packed: records.load(at: o + 12, as: UInt64.self))
            let idLength = Int(records.load(at: o + 20, as: UInt16.self))
            let count = Int(records.load(at: o + 22, as: UInt16.self))
            var p = o + ContributionRecord.headerSize + idLength
            for _ in 0..<count {
                let tag = records.load(at: p, as: UInt16.self)
                let t = Int(tag & ~RowContributions.valued)
                let c = records.load(at: p + 2, as: UInt32.self)
                p += ContributionRecord.contributionSize
                var v: Int64 = 1
                if tag & RowContributions.valued != 0 {
                    v = records.load(at: p, as: Int64.self)
                    p += ContributionRecord.valueSize
                }
                if stamp[t] != generation {
                    stamp[t] = generation
                    cell[t] = c
                    sum[t] = v
                    origin[t] = rowOrigin
                    conflicted[t] = false
                    touched.append(t)
                    continue
                }
                if c != cell[t] {
                    switch policy {
                    case .error:
                        if !conflicted[t] {
                            conflicted[t] = true
                            if conflictSample.count < Self.conflictSampleLimit {
                                conflictSample.append(CellConflict(table: t, first: origin[t], second: rowOrigin))
                            }
                        }
                    case .first: break
                    case .last: cell[t] = c
                    }
                }
                let (s, overflow) = sum[t].addingReportingOverflow(v)
                if overflow { accumulators[t].markOverflow() }
                sum[t] = s
            }
        }
        for t in touched {
            if conflicted[t] {
                conflictCounts[t] += 1
            } else {
                accumulators[t].add(cell: Int(cell[t]), value: sum[t])
            }
        }
    }

    /// Adds another grouper's results (over different people) into this one.
    public mutating func merge(_ other: ContributionGrouper) {
        for t in accumulators.indices {
            accumulators[t].merge(other.accumulators[t])
            conflictCounts[t] += other.conflictCounts[t]
        }
        for conflict in other.conflictSample where conflictSample.count < Self.conflictSampleLimit {
            conflictSample.append(conflict)
        }
        people += other.people
    }
}
