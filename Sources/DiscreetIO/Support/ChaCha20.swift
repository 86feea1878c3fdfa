/// The ChaCha20 stream cipher (RFC 8439), to keep the records that spill to temporary files
/// unreadable to anyone but the run that wrote them: each run draws a key from the
/// operating system's cryptographic generator and keeps it in memory only, and each block
/// of a spill file has its own nonce. (Encryption, not a keyed hash of the identifiers,
/// keeps counting exact: people are still compared byte for byte once read back.)
struct ChaCha20: Sendable {
    /// The key as eight little-endian words.
    let key: [UInt32]

    init(key bytes: [UInt8]) {
        precondition(bytes.count == 32, "a ChaCha20 key has 32 bytes")
        key = (0..<8).map { i in
            UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
        }
    }

    /// A key from the operating system's cryptographic generator.
    static func randomKey() -> ChaCha20 {
        var system = SystemRandomNumberGenerator()
        return ChaCha20(key: (0..<32).map { _ in UInt8.random(in: 0...255, using: &system) })
    }

    /// XORs the keystream for `nonce`, from block `counter` on, into `bytes`: encrypts, or
    /// decrypts what it encrypted.
    func apply(_ bytes: UnsafeMutableRawBufferPointer, nonce: (UInt32, UInt32, UInt32), counter: UInt32 = 0) {
        let k = key
        var block = counter
        var offset = 0
        let n = bytes.count
        var stream = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while offset < n {
            let s0: UInt32 = 0x6170_7865, s1: UInt32 = 0x3320_646e, s2: UInt32 = 0x7962_2d32, s3: UInt32 = 0x6b20_6574
            var x0 = s0, x1 = s1, x2 = s2, x3 = s3
            var x4 = k[0], x5 = k[1], x6 = k[2], x7 = k[3], x8 = k[4], x9 = k[5], x10 = k[6], x11 = k[7]
            var x12 = block, x13 = nonce.0, x14 = nonce.1, x15 = nonce.2
            @inline(__always) func quarter(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
                a &+= b; d ^= a; d = d << 16 | d >> 16
                c &+= d; b ^= c; b = b << 12 | b >> 20
                a &+= b; d ^= a; d = d << 8 | d >> 24
                c &+= d; b ^= c; b = b << 7 | b >> 25
            }
            for _ in 0..<10 {
                quarter(&x0, &x4, &x8, &x12)
                quarter(&x1, &x5, &x9, &x13)
                quarter(&x2, &x6, &x10, &x14)
                quarter(&x3, &x7, &x11, &x15)
                quarter(&x0, &x5, &x10, &x15)
                quarter(&x1, &x6, &x11, &x12)
                quarter(&x2, &x7, &x8, &x13)
                quarter(&x3, &x4, &x9, &x14)
            }
            @inline(__always) func pair(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) | UInt64(b) << 32 }
            stream = (
                pair(x0 &+ s0, x1 &+ s1), pair(x2 &+ s2, x3 &+ s3), pair(x4 &+ k[0], x5 &+ k[1]), pair(x6 &+ k[2], x7 &+ k[3]),
                pair(x8 &+ k[4], x9 &+ k[5]), pair(x10 &+ k[6], x11 &+ k[7]), pair(x12 &+ block, x13 &+ nonce.0), pair(x14 &+ nonce.1, x15 &+ nonce.2)
            )
            let take = min(64, n - offset)
            withUnsafeBytes(of: &stream) { keystream in
                // Little-endian words, as the RFC serializes the block (every target discreet
                // runs on is little-endian).
                if take == 64 {
                    for w in 0..<8 {
                        let at = offset + 8 * w
                        let v = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self) ^ keystream.load(fromByteOffset: 8 * w, as: UInt64.self)
                        bytes.storeBytes(of: v, toByteOffset: at, as: UInt64.self)
                    }
                } else {
                    for i in 0..<take { bytes[offset + i] ^= keystream[i] }
                }
            }
            offset += take
            block &+= 1
        }
    }
}
