/// Interns the category codes of one column: each distinct byte string gets a small
/// integer, assigned in order of first appearance. Codes named in the spec are interned
/// first, so a code met in the data but not in the spec gets a number beyond them.
public struct CategoryDictionary: Sendable {
    /// The most distinct codes a column may hold: a category column is low-cardinality by nature.
    public static let defaultLimit = 1 << 20

    private var table: [Int32]
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var arena: [UInt8] = []
    public let limit: Int

    /// The number of distinct codes interned so far.
    public var count: Int { hashes.count }

    public init(limit: Int = CategoryDictionary.defaultLimit) {
        self.limit = limit
        table = [Int32](repeating: -1, count: 64)
    }

    /// The number of a code, interning it when new; `nil` once the column holds more than `limit` codes.
    @inlinable
    public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let h = byteHash(bytes)
        if let found = find(bytes, hash: h) { return found }
        return insert(bytes, hash: h)
    }

    /// The number of a code, interning it when new.
    public mutating func intern(_ code: String) -> Int64 {
        var code = code
        return code.withUTF8 { intern(UnsafeRawBufferPointer($0)) } ?? -1
    }

    /// The number of a code already interned.
    public func find(_ code: String) -> Int64? {
        var code = code
        return code.withUTF8 { b in
            let raw = UnsafeRawBufferPointer(b)
            return find(raw, hash: byteHash(raw))
        }
    }

    @usableFromInline
    func find(_ bytes: UnsafeRawBufferPointer, hash h: UInt64) -> Int64? {
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = Int(table[i])
            if id < 0 { return nil }
            if hashes[id] == h && equal(id, bytes) { return Int64(id) }
            i = (i + 1) & mask
        }
    }

    private func equal(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = starts[id]
        let end = id + 1 < starts.count ? starts[id + 1] : arena.count
        guard end - start == bytes.count else { return false }
        return arena.withUnsafeBytes { a in
            bytes.count == 0 || memcmpBytes(a.baseAddress! + start, bytes.baseAddress!, bytes.count)
        }
    }

    @usableFromInline
    mutating func insert(_ bytes: UnsafeRawBufferPointer, hash h: UInt64) -> Int64? {
        guard count < limit else { return nil }
        let id = count
        hashes.append(h)
        starts.append(arena.count)
        arena.append(contentsOf: bytes)
        if count * 2 > table.count { rehash() } else { place(id) }
        return Int64(id)
    }

    private mutating func place(_ id: Int) {
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: hashes[id]) & mask
        while table[i] >= 0 { i = (i + 1) & mask }
        table[i] = Int32(id)
    }

    private mutating func rehash() {
        table = [Int32](repeating: -1, count: table.count * 2)
        for id in 0..<count { place(id) }
    }
}

@inlinable
public func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
