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

/// One person whose rows put them in different categories within one group of linked
/// tables (`table` is the group): the rows that disagree.
public struct CellConflict: Sendable, Hashable {
    public var table: Int
    public var first: RowOrigin
    public var second: RowOrigin
}

/// How one table takes a person's contributions.
public struct GroupedTable: Sendable {
    public var shape: TableShape
    public var measure: Measure
    /// Tables of one component classify each person once: their cells agree.
    public var component: Int
    /// Per dimension of the shape, which dimension of the release it is.
    public var dimensions: [Int]
    /// Per dimension of the shape, whether this table decides a person's category there
    /// (its own tables publish the dimension); elsewhere it takes the category the deciding
    /// tables give, or the dimension's hidden leaf when none does.
    public var decides: [Bool]
    /// For a magnitude table released with noise: the range each person's contribution to
    /// it (the sum of their rows) is clamped to, which bounds what one person can change.
    public var clamp: ClosedRange<Int64>?

    public init(shape: TableShape, measure: Measure, component: Int, dimensions: [Int], decides: [Bool], clamp: ClosedRange<Int64>? = nil) {
        self.clamp = clamp
        self.shape = shape
        self.measure = measure
        self.component = component
        self.dimensions = dimensions
        self.decides = decides
    }
}

/// Combines contribution records person by person, so that each person counts once
/// per table, in one cell of it, and adds each person's combined contribution to the table
/// accumulators.
///
/// Tables of one component (cohorts linked by relations) classify each person once: in
/// each dimension, the rows of the cohorts that publish it decide the person's category
/// for every table of the component, so that a person is in the same cell of a numerator
/// and of its denominator. When those rows disagree, `policy` decides: the person is left
/// out of every table of the component (`error`), or the first or last row decides.
///
/// A person's records must all be given in one call (the spilling store partitions by
/// person to guarantee it), in input order. People are compared byte for byte: the
/// hash only orders them.
public struct ContributionGrouper: Sendable {
    public private(set) var accumulators: [TableAccumulator]
    public let policy: ConflictPolicy
    /// Per component: people left out because their rows conflict.
    public private(set) var conflictCounts: [Int]
    /// The first conflicts found, at most ``conflictSampleLimit``.
    public private(set) var conflictSample: [CellConflict] = []
    public static let conflictSampleLimit = 20
    /// Distinct people seen (over every call).
    public private(set) var people = 0

    /// Per table, its component and where its dimensions start in the flat arrays below.
    private let componentOf: [Int]
    private let firstDimension: [Int]
    /// Per dimension of each table (flat): the release dimension, its inner stride, its
    /// number of leaves, and whether the table decides a person's category there.
    private let dimensionOf: [Int]
    private let innerStride: [Int]
    private let leafCount: [Int]
    private let decides: [Bool]
    /// Per release dimension, the leaf index of its hidden leaf (-1: none).
    private let hiddenLeaf: [Int32]
    private let dimensionCount: Int
    /// Per table, the range a person's contribution is clamped to, if any.
    private let clamps: [ClosedRange<Int64>?]
    /// Per table, the people whose contribution was clamped.
    public private(set) var clamped: [Int]
    /// A person's record key for the cell key method, from their identifier's bytes (nil:
    /// no cell keys).
    private let recordKey: (@Sendable (UnsafeRawBufferPointer) -> UInt32)?
    /// Whether record keys come with the records instead (``RowContributions/recordKey``
    /// entries): a person's key is the least of their rows' keys.
    private let keysInRecords: Bool
    /// People whose rows carry different record keys (each took the least of them).
    public private(set) var differingRecordKeys = 0
    /// Per table, per inner cell: the sum of its people's record keys modulo 2^32 (empty
    /// without record keys).
    public private(set) var cellKeys: [[UInt32]]
    /// What one person's records are combined in, reused from person to person (each slot
    /// is valid only where its stamp is the current person's or record's).
    private var scratch: PersonScratch
    private var record = 0
    private var generation = 0
    /// Scratch for ``addPerson(records:)``.
    private var personOffsets: [Int] = []

    /// Tables each of their own (no two share a person's classification, nor a dimension).
    public init(tables: [(shape: TableShape, measure: Measure)], topCount: Int, policy: ConflictPolicy) {
        var first = 0
        var grouped: [GroupedTable] = []
        for (t, table) in tables.enumerated() {
            let k = table.shape.dimensions.count
            grouped.append(GroupedTable(
                shape: table.shape, measure: table.measure, component: t, dimensions: Array(first..<(first + k)),
                decides: [Bool](repeating: true, count: k)))
            first += k
        }
        self.init(tables: grouped, hiddenLeaf: [Int32](repeating: -1, count: first), topCount: topCount, policy: policy)
    }

    /// - Parameter hiddenLeaf: per release dimension, the leaf index of its hidden leaf (-1: none).
    /// - Parameter recordKey: for the cell key method, each person's record key from their
    ///   identifier's bytes; cell keys are then summed per table cell.
    /// - Parameter keysInRecords: for the cell key method, whether each record carries its
    ///   row's record key (from a column of the extract) instead.
    public init(
        tables: [GroupedTable], hiddenLeaf: [Int32], topCount: Int, policy: ConflictPolicy, recordKey: (@Sendable (UnsafeRawBufferPointer) -> UInt32)? = nil,
        keysInRecords: Bool = false
    ) {
        self.recordKey = recordKey
        self.keysInRecords = keysInRecords
        cellKeys = tables.map { recordKey == nil && !keysInRecords ? [] : [UInt32](repeating: 0, count: $0.shape.innerCellCount) }
        accumulators = tables.map { TableAccumulator(shape: $0.shape, measure: $0.measure, topCount: topCount) }
        componentOf = tables.map(\.component)
        clamps = tables.map(\.clamp)
        clamped = [Int](repeating: 0, count: tables.count)
        var first: [Int] = []
        var dimensionOf: [Int] = [], innerStride: [Int] = [], leafCount: [Int] = [], decides: [Bool] = []
        for table in tables {
            first.append(dimensionOf.count)
            for k in table.dimensions.indices {
                dimensionOf.append(table.dimensions[k])
                innerStride.append(table.shape.innerStrides[k])
                leafCount.append(table.shape.dimensions[k].leafCount)
                decides.append(table.decides[k])
            }
        }
        first.append(dimensionOf.count)
        firstDimension = first
        self.dimensionOf = dimensionOf
        self.innerStride = innerStride
        self.leafCount = leafCount
        self.decides = decides
        self.policy = policy
        self.hiddenLeaf = hiddenLeaf
        let components = (tables.map(\.component).max() ?? -1) + 1
        dimensionCount = max(hiddenLeaf.count, (tables.flatMap(\.dimensions).max() ?? -1) + 1)
        conflictCounts = [Int](repeating: 0, count: components)
        scratch = PersonScratch(tables: tables.count, components: components, dimensions: dimensionCount)
    }

    /// A record by its person's hash, then its row's place (input, line): a person's rows
    /// are taken in the order the inputs hold them, whatever order they were stored in
    /// (inputs read at once store theirs as they come).
    private struct Entry: Comparable {
        var hash: UInt64
        var origin: UInt64
        var offset: Int
        static func < (a: Entry, b: Entry) -> Bool { (a.hash, a.origin, a.offset) < (b.hash, b.origin, b.offset) }
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
            if hash & mask == UInt64(shard) { entries.append(Entry(hash: hash, origin: records.load(at: offset + 12, as: UInt64.self), offset: offset)) }
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
                // Equal hashes: split by exact identifier, keeping row order within each person.
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

    /// Adds one person: `records` holds all their records (``ContributionRecord``s of one
    /// identifier), in input and line order. For an extract sorted by person, read as a
    /// stream: no record is stored, sorted or hashed.
    public mutating func addPerson(records: UnsafeRawBufferPointer) {
        personOffsets.removeAll(keepingCapacity: true)
        var offset = 0
        while offset < records.count {
            personOffsets.append(offset)
            offset += Int(records.load(at: offset, as: UInt32.self))
        }
        guard !personOffsets.isEmpty else { return }
        let offsets = personOffsets
        addPerson(offsets, records)
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
        // Copies of a grouper (one per worker) must not share what they combine people in.
        if !isKnownUniquelyReferenced(&scratch) { scratch = scratch.fresh() }
        let s = scratch
        people += 1
        generation += 1
        let generation = self.generation
        var touched = 0
        var components = 0
        var keyInRecords: UInt32?
        var keysDiffer = false
        let dimensionCount = self.dimensionCount
        for o in offsets {
            record += 1
            let record = self.record
            let rowOrigin = RowOrigin(packed: records.load(at: o + 12, as: UInt64.self))
            let idLength = Int(records.load(at: o + 20, as: UInt16.self))
            let count = Int(records.load(at: o + 22, as: UInt16.self))
            var p = o + ContributionRecord.headerSize + idLength
            for _ in 0..<count {
                let tag = records.load(at: p, as: UInt16.self)
                let t = Int(tag & ~RowContributions.valued)
                let c = Int(records.load(at: p + 2, as: UInt32.self))
                p += ContributionRecord.contributionSize
                if tag == RowContributions.recordKey {
                    let k = UInt32(c)
                    if let seen = keyInRecords, seen != k { keysDiffer = true }
                    keyInRecords = min(keyInRecords ?? k, k)
                    continue
                }
                var v: Int64 = 1
                if tag & RowContributions.valued != 0 {
                    v = records.load(at: p, as: Int64.self)
                    p += ContributionRecord.valueSize
                }
                if s.stamp[t] != generation {
                    s.stamp[t] = generation
                    s.sum[t] = v
                    s.touched[touched] = t
                    touched += 1
                } else {
                    let (total, overflow) = s.sum[t].addingReportingOverflow(v)
                    if overflow { accumulators[t].markOverflow() }
                    s.sum[t] = total
                }
                let component = componentOf[t]
                if s.touchedComponent[component] != generation {
                    s.touchedComponent[component] = generation
                    s.conflicted[component] = false
                    s.components[components] = component
                    components += 1
                }
                // The row's category in each of the table's dimensions.
                for k in firstDimension[t]..<firstDimension[t + 1] {
                    let d = dimensionOf[k]
                    if s.rowStamp[d] != record {
                        s.rowStamp[d] = record
                        s.rowLeaf[d] = Int32((c / innerStride[k]) % leafCount[k])
                    }
                    let l = s.rowLeaf[d]
                    let slot = component * dimensionCount + d
                    if decides[k] {
                        if s.leafStamp[slot] != generation || !s.decided[slot] {
                            s.leafStamp[slot] = generation
                            s.leaf[slot] = l
                            s.decided[slot] = true
                            s.leafOrigin[slot] = rowOrigin
                        } else if s.leaf[slot] != l {
                            switch policy {
                            case .error:
                                if !s.conflicted[component] {
                                    s.conflicted[component] = true
                                    if conflictSample.count < Self.conflictSampleLimit {
                                        conflictSample.append(CellConflict(table: component, first: s.leafOrigin[slot], second: rowOrigin))
                                    }
                                }
                            case .first: break
                            case .last: s.leaf[slot] = l
                            }
                        }
                    } else if s.leafStamp[slot] != generation {
                        s.leafStamp[slot] = generation
                        s.leaf[slot] = l
                        s.decided[slot] = false
                    }
                }
            }
        }
        for i in 0..<components where s.conflicted[s.components[i]] { conflictCounts[s.components[i]] += 1 }
        // The person's record key, from their identifier (the same in every record).
        var key: UInt32 = keyInRecords ?? 0
        if keysDiffer { differingRecordKeys += 1 }
        if let recordKey, let first = offsets.first {
            let length = Int(records.load(at: first + 20, as: UInt16.self))
            let start = first + ContributionRecord.headerSize
            key = recordKey(UnsafeRawBufferPointer(rebasing: records[start..<(start + length)]))
        }
        for i in 0..<touched {
            let t = s.touched[i]
            let component = componentOf[t]
            guard !s.conflicted[component] else { continue }
            var cell = 0
            for k in firstDimension[t]..<firstDimension[t + 1] {
                let d = dimensionOf[k]
                let slot = component * dimensionCount + d
                let l = s.decided[slot] || hiddenLeaf[d] < 0 ? s.leaf[slot] : hiddenLeaf[d]
                cell += Int(l) * innerStride[k]
            }
            var value = s.sum[t]
            if let range = clamps[t], !range.contains(value) {
                value = min(max(value, range.lowerBound), range.upperBound)
                clamped[t] += 1
            }
            accumulators[t].add(cell: cell, value: value)
            if recordKey != nil || keysInRecords { cellKeys[t][cell] &+= key }
        }
    }

    /// A table's cell keys, every margin included: the sum of its people's record keys
    /// modulo 2^32 is the sum of its cells' (people in different cells are different).
    public static func cellKeys(inner: [UInt32], shape: TableShape) -> [UInt32] {
        var full = [UInt32](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { full[cell] = inner[i] }
        shape.rollUp { full[$0] &+= full[$1] }
        return full
    }

    /// Adds another grouper's results (over different people) into this one.
    public mutating func merge(_ other: ContributionGrouper) {
        for t in accumulators.indices { accumulators[t].merge(other.accumulators[t]) }
        for k in conflictCounts.indices { conflictCounts[k] += other.conflictCounts[k] }
        for t in clamped.indices { clamped[t] += other.clamped[t] }
        differingRecordKeys += other.differingRecordKeys
        for t in cellKeys.indices { for c in cellKeys[t].indices { cellKeys[t][c] &+= other.cellKeys[t][c] } }
        for conflict in other.conflictSample where conflictSample.count < Self.conflictSampleLimit {
            conflictSample.append(conflict)
        }
        people += other.people
    }
}

/// The per-person working state of a ``ContributionGrouper`` in raw storage, allocated
/// once: combining a person's records takes no reference and checks no array's uniqueness.
private final class PersonScratch: @unchecked Sendable {
    let tables: Int
    let componentCount: Int
    let dimensions: Int
    /// Per table: the person it last took a contribution of, and the sum of theirs.
    let stamp: UnsafeMutablePointer<Int>
    let sum: UnsafeMutablePointer<Int64>
    /// The tables and components the person is in (as many as they touched).
    let touched: UnsafeMutablePointer<Int>
    let components: UnsafeMutablePointer<Int>
    /// Per component: the person it was last set for, and whether their rows conflict.
    let touchedComponent: UnsafeMutablePointer<Int>
    let conflicted: UnsafeMutablePointer<Bool>
    /// Per component and release dimension: the person's leaf so far, whether a deciding
    /// row gave it, which row, and the person it was set for.
    let leaf: UnsafeMutablePointer<Int32>
    let decided: UnsafeMutablePointer<Bool>
    let leafOrigin: UnsafeMutablePointer<RowOrigin>
    let leafStamp: UnsafeMutablePointer<Int>
    /// Per release dimension, the leaf of the record at hand (set once per record: every
    /// table classifies a row's value the same way), and the record it was set for.
    let rowLeaf: UnsafeMutablePointer<Int32>
    let rowStamp: UnsafeMutablePointer<Int>

    init(tables: Int, components: Int, dimensions: Int) {
        self.tables = tables
        componentCount = components
        self.dimensions = dimensions
        func make<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
            p.initialize(repeating: value, count: max(count, 1))
            return p
        }
        let slots = components * dimensions
        stamp = make(tables, -1)
        sum = make(tables, 0)
        touched = make(tables, 0)
        self.components = make(components, 0)
        touchedComponent = make(components, -1)
        conflicted = make(components, false)
        leaf = make(slots, -1)
        decided = make(slots, false)
        leafOrigin = make(slots, RowOrigin(input: 0, line: 0))
        leafStamp = make(slots, -1)
        rowLeaf = make(dimensions, -1)
        rowStamp = make(dimensions, -1)
    }

    /// Another of the same size (nothing in it is valid beyond one person).
    func fresh() -> PersonScratch {
        PersonScratch(tables: tables, components: componentCount, dimensions: dimensions)
    }

    deinit {
        stamp.deallocate()
        sum.deallocate()
        touched.deallocate()
        components.deallocate()
        touchedComponent.deallocate()
        conflicted.deallocate()
        leaf.deallocate()
        decided.deallocate()
        leafOrigin.deallocate()
        leafStamp.deallocate()
        rowLeaf.deallocate()
        rowStamp.deallocate()
    }
}
