import CCrypto

/// SHA-256 (FIPS 180-4), streaming. Used for the spec and input checksums in manifests
/// (an extract of hundreds of megabytes is hashed while it is parsed), record keys and
/// the ledger's identifiers.
///
/// libcrypto's block function, which uses the CPU's SHA extensions where it has them (about
/// seven times the speed of portable code); its context is a value, so a copy hashes on
/// independently.
public struct SHA256: @unchecked Sendable {
    private var context = SHA256_CTX()

    public init() {
        SHA256_Init(&context)
    }

    /// Adds bytes to the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return }
        SHA256_Update(&context, p, bytes.count)
    }

    /// Adds bytes to the digest.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The digest's 32 bytes.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress, &context) }
        return digest
    }

    /// The digest's first 32 bits, big-endian.
    private mutating func finalizePrefix32() -> UInt32 {
        finalize().prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// HMAC-SHA256 (RFC 2104) under one key, its padded key blocks hashed once: each message
    /// then costs two hashes of its own.
    public struct HMAC: Sendable {
        private let inner: SHA256
        private let outer: SHA256

        public init(key: [UInt8]) {
            var block = key.count > 64 ? { var h = SHA256(); h.update(key); return h.finalize() }() : key
            block += [UInt8](repeating: 0, count: 64 - block.count)
            var inner = SHA256()
            inner.update(block.map { $0 ^ 0x36 })
            var outer = SHA256()
            outer.update(block.map { $0 ^ 0x5c })
            self.inner = inner
            self.outer = outer
        }

        /// The first 32 bits of the MAC of `message`, big-endian.
        public func prefix32(_ message: UnsafeRawBufferPointer) -> UInt32 {
            var i = inner
            i.update(message)
            var o = outer
            o.update(i.finalize())
            return o.finalizePrefix32()
        }

        /// The whole MAC of `message`.
        public func mac(_ message: UnsafeRawBufferPointer) -> [UInt8] {
            var i = inner
            i.update(message)
            var o = outer
            o.update(i.finalize())
            return o.finalize()
        }
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under `key`.
    public static func hmac(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        HMAC(key: key).mac(message)
    }

    /// The digest as 64 lower-case hexadecimal digits.
    public mutating func finalizeHex() -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in finalize() {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }

    /// The hex digest of a whole byte string.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256()
        h.update(bytes)
        return h.finalizeHex()
    }
}
