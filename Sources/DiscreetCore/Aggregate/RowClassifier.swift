/// Maps a row's slot value to a leaf of a dimension.
public struct DimensionMapper: Sendable {
    public enum Kind: Sendable {
        /// Category codes: `leafOf[code]` is the leaf, `-1` for a code the dimension lacks,
        /// `-2` for the code of a group or the total.
        case category(leafOf: [Int32])
        /// Numeric bands with inclusive bounds, one leaf per band, in leaf order.
        case bands(lower: [Int64], upper: [Int64])
    }

    public var kind: Kind
    /// The slot (and declared column) holding the value.
    public var slot: Int
    public var column: Int
    public var dimension: String
    /// The leaf a value that maps to none goes to (a hidden "not recorded" leaf, where the
    /// table's cohort is counted by the dimension only to link it to others), or -1 when
    /// such a value makes the row bad.
    public var fallback: Int32

    public init(kind: Kind, slot: Int, column: Int, dimension: String, fallback: Int32 = -1) {
        self.kind = kind
        self.slot = slot
        self.column = column
        self.dimension = dimension
        self.fallback = fallback
    }

    /// The leaf of a value, or the reason there is none.
    @inlinable
    public func leaf(_ value: Int64) -> Result<Int, RowIssue> {
        if value == RowSlot.missing {
            return .failure(RowIssue(.missingDimensionValue, column: column, subject: dimension))
        }
        switch kind {
        case .category(let leafOf):
            let leaf = value < Int64(leafOf.count) ? Int(leafOf[Int(value)]) : -1
            if leaf >= 0 { return .success(leaf) }
            return .failure(RowIssue(leaf == -2 ? .groupCategory : .unknownCategory, column: column, subject: dimension))
        case .bands(let lower, let upper):
            for i in lower.indices where value >= lower[i] && value <= upper[i] { return .success(i) }
            return .failure(RowIssue(.outsideBands, column: column, subject: dimension))
        }
    }
}

/// How one table takes its contributions from a row.
public struct TableClassification: Sendable {
    public var name: String
    /// The cohort filter (index into the classifier's filters) a row must pass.
    public var filter: Int
    public var dimensions: [DimensionMapper]
    public var shape: TableShape
    /// For magnitude tables: the slot and column of the summed value.
    public var sumSlot: Int?
    public var sumColumn: Int?

    public init(name: String, filter: Int, dimensions: [DimensionMapper], shape: TableShape, sumSlot: Int? = nil, sumColumn: Int? = nil) {
        self.name = name
        self.filter = filter
        self.dimensions = dimensions
        self.shape = shape
        self.sumSlot = sumSlot
        self.sumColumn = sumColumn
    }
}

/// One row's contributions: for each table whose cohort the row is in, its inner cell
/// and (magnitude tables only) its value.
public struct RowContributions: Sendable {
    /// Table numbers; ``valued`` is set on those followed by a value.
    public var tables: [UInt16] = []
    public var cells: [UInt32] = []
    /// Values of the valued contributions, in order.
    public var values: [Int64] = []
    /// Why the row was rejected, when ``RowClassifier/classify(_:into:)`` returns `false`.
    public var issue: RowIssue?
    /// Scratch: each filter node's result on the row.
    var passed: [UInt8] = []
    public var count: Int { tables.count }
    /// The flag on a table number whose contribution carries a value.
    public static let valued: UInt16 = 0x8000
    /// The table number of no table: the entry carries the row's record key for the cell
    /// key method (where keys come from a column of the extract) in place of a cell.
    public static let recordKey: UInt16 = 0x7FFF

    public init() {}

    public mutating func removeAll() {
        tables.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}

/// Decides, for one typed row, which tables it contributes to and in which inner cell.
/// A row that cannot be classified in a table whose cohort it belongs to is rejected as a
/// whole, so that every table sees the same rows.
///
/// Every row of every extract passes through ``classify(_:into:)``: its filters are one
/// ``FilterNetwork`` (each shared test evaluated once per row), its mappers and bands are
/// laid out flat in memory once, so the per-row loop copies nothing and takes no references.
public struct RowClassifier: Sendable {
    public let filters: [FilterProgram]
    public let tables: [TableClassification]
    private let network: FilterNetwork
    private let flat: Flat

    /// The most tables a release can have (table numbers are 15-bit in records).
    public static let maximumTables = Int(RowContributions.valued)

    public init(filters: [FilterProgram], tables: [TableClassification]) {
        precondition(tables.count <= Self.maximumTables)
        self.filters = filters
        self.tables = tables
        network = FilterNetwork(programs: filters)
        flat = Flat(tables: tables, roots: network.roots)
    }

    /// Classifies a row: `true` with its contributions (possibly none) in `out`, or `false`
    /// with the reason in `out.issue`.
    @inline(__always)
    public func classify(_ slots: UnsafePointer<Int64>, into out: inout RowContributions) -> Bool {
        out.removeAll()
        let f = flat
        if out.passed.count != network.nodeCount { out.passed = [UInt8](repeating: 0, count: network.nodeCount) }
        out.passed.withUnsafeMutableBufferPointer { network.evaluate(slots, into: $0.baseAddress!) }
        for t in 0..<f.tableCount {
            guard out.passed[f.tableFilter[t]] == 1 else { continue }
            var cell = 0
            for d in f.dimStart[t]..<f.dimStart[t + 1] {
                let value = slots[f.dimSlot[d]]
                var leaf = -1
                if value != RowSlot.missing {
                    let lo = f.dimLeafStart[d]
                    let n = f.dimLeafCount[d]
                    if f.dimBanded[d] {
                        for b in lo..<(lo + n) where value >= f.bandLower[b] && value <= f.bandUpper[b] {
                            leaf = b - lo
                            break
                        }
                    } else if value < Int64(n) {
                        leaf = Int(f.leafOf[lo + Int(value)])
                    }
                }
                if leaf < 0 { leaf = Int(f.dimFallback[d]) }
                guard leaf >= 0 else {
                    out.issue = unclassified(table: t, dimension: d - f.dimStart[t], value: value)
                    return false
                }
                cell += leaf * f.dimStride[d]
            }
            let sumSlot = f.tableSumSlot[t]
            if sumSlot >= 0 {
                let value = slots[sumSlot]
                if value == RowSlot.missing || value < 0 {
                    out.issue = RowIssue(value == RowSlot.missing ? .missingSumValue : .negativeSumValue, column: tables[t].sumColumn, subject: tables[t].name)
                    return false
                }
                out.tables.append(UInt16(t) | RowContributions.valued)
                out.values.append(value)
            } else {
                out.tables.append(UInt16(t))
            }
            out.cells.append(UInt32(cell))
        }
        return true
    }

    /// Why a value has no leaf in a table's dimension (the slow path: naming the problem).
    @inline(never)
    private func unclassified(table t: Int, dimension d: Int, value: Int64) -> RowIssue {
        let mapper = tables[t].dimensions[d]
        if case .failure(let issue) = mapper.leaf(value) { return issue }
        return RowIssue(.unknownCategory, column: mapper.column, subject: mapper.dimension)
    }

    /// The classifier's tables and mappers in raw storage, allocated once.
    private final class Flat: @unchecked Sendable {
        let tableCount: Int
        let tableFilter: UnsafeMutableBufferPointer<Int>
        let tableSumSlot: UnsafeMutableBufferPointer<Int>
        let dimStart: UnsafeMutableBufferPointer<Int>
        let dimSlot: UnsafeMutableBufferPointer<Int>
        let dimStride: UnsafeMutableBufferPointer<Int>
        let dimBanded: UnsafeMutableBufferPointer<Bool>
        let dimLeafStart: UnsafeMutableBufferPointer<Int>
        let dimLeafCount: UnsafeMutableBufferPointer<Int>
        let dimFallback: UnsafeMutableBufferPointer<Int32>
        let leafOf: UnsafeMutableBufferPointer<Int32>
        let bandLower: UnsafeMutableBufferPointer<Int64>
        let bandUpper: UnsafeMutableBufferPointer<Int64>

        static func buffer<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
            _ = b.initialize(from: values)
            return b
        }

        init(tables: [TableClassification], roots: [Int]) {
            tableCount = tables.count
            var dimStart: [Int] = []
            var dimSlot: [Int] = [], dimStride: [Int] = [], dimBanded: [Bool] = [], dimLeafStart: [Int] = [], dimLeafCount: [Int] = []
            var dimFallback: [Int32] = []
            var leafOf: [Int32] = [], bandLower: [Int64] = [], bandUpper: [Int64] = []
            for table in tables {
                dimStart.append(dimSlot.count)
                for (d, mapper) in table.dimensions.enumerated() {
                    dimSlot.append(mapper.slot)
                    dimFallback.append(mapper.fallback)
                    dimStride.append(table.shape.innerStrides[d])
                    switch mapper.kind {
                    case .category(let leaves):
                        dimBanded.append(false)
                        dimLeafStart.append(leafOf.count)
                        dimLeafCount.append(leaves.count)
                        leafOf += leaves
                    case .bands(let lower, let upper):
                        dimBanded.append(true)
                        dimLeafStart.append(bandLower.count)
                        dimLeafCount.append(lower.count)
                        bandLower += lower
                        bandUpper += upper
                    }
                }
            }
            dimStart.append(dimSlot.count)
            // Each table's filter as the node of the network holding its answer.
            tableFilter = Self.buffer(tables.map { roots[$0.filter] })
            tableSumSlot = Self.buffer(tables.map { $0.sumSlot ?? -1 })
            self.dimStart = Self.buffer(dimStart)
            self.dimSlot = Self.buffer(dimSlot)
            self.dimStride = Self.buffer(dimStride)
            self.dimBanded = Self.buffer(dimBanded)
            self.dimLeafStart = Self.buffer(dimLeafStart)
            self.dimLeafCount = Self.buffer(dimLeafCount)
            self.dimFallback = Self.buffer(dimFallback)
            self.leafOf = Self.buffer(leafOf)
            self.bandLower = Self.buffer(bandLower)
            self.bandUpper = Self.buffer(bandUpper)
        }

        deinit {
            for b in [tableFilter, tableSumSlot, dimStart, dimSlot, dimStride, dimLeafStart, dimLeafCount] { b.deallocate() }
            dimBanded.deallocate()
            dimFallback.deallocate()
            leafOf.deallocate()
            bandLower.deallocate()
            bandUpper.deallocate()
        }

    }
}

/// Where a row came from: the input's number and the line (or row) within it.
public struct RowOrigin: Sendable, Hashable, Comparable {
    public var input: Int
    public var line: Int

    public init(input: Int, line: Int) {
        self.input = input
        self.line = line
    }

    public var packed: UInt64 { UInt64(input) << 48 | UInt64(line) }
    public init(packed: UInt64) {
        input = Int(packed >> 48)
        line = Int(packed & 0xFFFF_FFFF_FFFF)
    }

    public static func < (a: RowOrigin, b: RowOrigin) -> Bool { (a.input, a.line) < (b.input, b.line) }
}

/// The binary record of one row's contributions, keyed by its privacy unit:
///
/// ```
/// u32 record length · u64 hash of the identifier · u64 origin · u16 identifier length ·
/// u16 contribution count · identifier bytes ·
/// per contribution: u16 table (top bit: a value follows), u32 cell, [i64 value]
/// ```
/// Records of one person are combined later, so that each person counts once per table.
public enum ContributionRecord {
    public static let headerSize = 4 + 8 + 8 + 2 + 2
    public static let contributionSize = 2 + 4
    public static let valueSize = 8
    /// The longest identifier accepted, in bytes.
    public static let maximumIdentifierLength = 1024

    /// Appends a record to a buffer.
    @inlinable
    public static func append(
        to buffer: inout ByteBuffer, identifier: UnsafeRawBufferPointer, origin: RowOrigin, contributions: RowContributions
    ) {
        let length = headerSize + identifier.count + contributions.count * contributionSize + contributions.values.count * valueSize
        buffer.reserve(length)
        buffer.appendUnchecked(UInt32(length))
        buffer.appendUnchecked(byteHash(identifier))
        buffer.appendUnchecked(origin.packed)
        buffer.appendUnchecked(UInt16(identifier.count))
        buffer.appendUnchecked(UInt16(contributions.count))
        buffer.appendUnchecked(identifier)
        var v = 0
        for i in 0..<contributions.count {
            let table = contributions.tables[i]
            buffer.appendUnchecked(table)
            buffer.appendUnchecked(contributions.cells[i])
            if table & RowContributions.valued != 0 {
                buffer.appendUnchecked(contributions.values[v])
                v += 1
            }
        }
    }
}
