/// A fast, well-mixed 64-bit hash of a byte string, for interning codes and grouping
/// people. Not cryptographic: equality is always confirmed byte for byte.
@inlinable
public func byteHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let m: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ (UInt64(bytes.count) &* m)
    var i = 0
    let n = bytes.count
    while i + 8 <= n {
        let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ w) &* m
        h ^= h >> 29
        i += 8
    }
    if i < n {
        var w: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            w |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ w) &* m
        h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
    return h ^ (h >> 32)
}

/// A growable byte buffer with unaligned little-endian stores and loads, for the
/// compact binary records that aggregation passes between stages.
public struct ByteBuffer: ~Copyable, @unchecked Sendable {
    // Public so that record writers in other modules inline; only this type mutates them.
    public var base: UnsafeMutableRawPointer
    public var count = 0
    public var capacity: Int

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    @inlinable
    public mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    @usableFromInline
    mutating func grow(to minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends a value's bytes; the caller has reserved room.
    @inlinable
    public mutating func appendUnchecked<T: FixedWidthInteger>(_ value: T) {
        (base + count).storeBytes(of: value.littleEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inlinable
    public mutating func appendUnchecked(_ bytes: UnsafeRawBufferPointer) {
        if let src = bytes.baseAddress, bytes.count > 0 { (base + count).copyMemory(from: src, byteCount: bytes.count) }
        count += bytes.count
    }

    /// Appends raw bytes, growing as needed.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        appendUnchecked(bytes)
    }

    /// Overwrites a value at an offset already written.
    @inlinable
    public mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        (base + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Forgets the content, keeping the memory.
    public mutating func removeAll() { count = 0 }

    /// Drops the content and shrinks to `capacity`.
    public mutating func reset(capacity newCapacity: Int) {
        base.deallocate()
        capacity = max(newCapacity, 64)
        base = .allocate(byteCount: capacity, alignment: 16)
        count = 0
    }

    /// The content.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian integer at a byte offset.
    @inlinable
    public func load<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
