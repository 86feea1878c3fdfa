import CGMP

/// A non-negative integer for the exact samplers: a machine word while the value fits, GMP's
/// `mpz` beyond, so every step stays exact however large a rational's parts grow (a
/// discrete Gaussian's acceptance test squares them). Arithmetic on words checks for
/// overflow and moves to GMP where it would occur.
struct Natural: Sendable, Comparable, CustomStringConvertible {
    /// The value, where `big` is nil.
    private(set) var word: UInt64
    /// The value, where it does not fit in a word (never one that fits).
    private var big: BigNatural?

    init(_ value: UInt64) {
        word = value
        big = nil
    }

    init(big: BigNatural) {
        if let w = big.word {
            word = w
            self.big = nil
        } else {
            word = 0
            self.big = big
        }
    }

    static let zero = Natural(0)
    static let one = Natural(1)

    var isZero: Bool { big == nil && word == 0 }
    /// The value as a machine word; nil where it does not fit in one.
    var exactWord: UInt64? { big == nil ? word : nil }
    /// Whether the value lives in GMP (it does not fit in a word).
    var isBig: Bool { big != nil }
    private var asBig: BigNatural { big ?? BigNatural(word) }

    static func + (a: Natural, b: Natural) -> Natural {
        if a.big == nil && b.big == nil {
            let (sum, overflow) = a.word.addingReportingOverflow(b.word)
            if !overflow { return Natural(sum) }
        }
        return Natural(big: BigNatural.combine(a.asBig, b.asBig, dz_add))
    }

    /// The difference; `a` must be at least `b`.
    static func - (a: Natural, b: Natural) -> Natural {
        precondition(!(a < b), "a natural number cannot go below zero")
        if a.big == nil { return Natural(a.word - b.word) }
        return Natural(big: BigNatural.combine(a.asBig, b.asBig, dz_sub))
    }

    static func * (a: Natural, b: Natural) -> Natural {
        if a.big == nil && b.big == nil {
            let (product, overflow) = a.word.multipliedReportingOverflow(by: b.word)
            if !overflow { return Natural(product) }
        }
        return Natural(big: BigNatural.combine(a.asBig, b.asBig, dz_mul))
    }

    /// The floor of `a / b`; `b` must not be zero.
    static func / (a: Natural, b: Natural) -> Natural {
        precondition(!b.isZero, "division by zero")
        if a.big == nil && b.big == nil { return Natural(a.word / b.word) }
        return Natural(big: BigNatural.combine(a.asBig, b.asBig, dz_fdiv_q))
    }

    static func < (a: Natural, b: Natural) -> Bool {
        if a.big == nil && b.big == nil { return a.word < b.word }
        return BigNatural.compare(a.asBig, b.asBig) < 0
    }

    static func == (a: Natural, b: Natural) -> Bool {
        if a.big == nil && b.big == nil { return a.word == b.word }
        return BigNatural.compare(a.asBig, b.asBig) == 0
    }

    /// The floor of the square root.
    func squareRoot() -> Natural {
        guard big == nil else {
            let root = BigNatural()
            dz_sqrt(root.z, big!.z)
            return Natural(big: root)
        }
        // A first guess in floating point, then corrected exactly (a double's 53 bits can be
        // off by one or two for words above 2^52).
        let word = self.word
        func fits(_ r: UInt64) -> Bool {
            let (square, overflow) = r.multipliedReportingOverflow(by: r)
            return !overflow && square <= word
        }
        var r = UInt64(Double(word).squareRoot())
        while !fits(r) { r -= 1 }
        while fits(r + 1) { r += 1 }
        return Natural(r)
    }

    /// A number drawn uniformly from 0 ..< self (self must not be zero), from the
    /// generator's words: exactly uniform (words beyond the range are drawn again).
    @inline(__always)
    func uniformBelow(using generator: RandomWords) -> Natural {
        precondition(!isZero, "no number lies below zero")
        guard let big else { return Natural(generator.next(below: word)) }
        let bits = dz_bits(big.z)
        let count = (bits + 63) / 64
        let top = bits % 64
        var words = [UInt](repeating: 0, count: count)
        let result = BigNatural()
        repeat {
            for i in 0..<count { words[i] = UInt(generator.next()) }
            if top != 0 { words[count - 1] &= (1 << UInt(top)) - 1 }
            dz_import_words(result.z, count, words)
        } while BigNatural.compare(result, big) >= 0
        return Natural(big: result)
    }

    /// The value where it fits in 128 bits.
    var wide: UInt128? {
        guard let big else { return UInt128(word) }
        guard dz_bits(big.z) <= 128 else { return nil }
        return UInt128(dz_limb(big.z, 1)) << 64 | UInt128(dz_limb(big.z, 0))
    }

    init(wide value: UInt128) {
        if value <= UInt128(UInt64.max) {
            self.init(UInt64(value))
        } else {
            let z = BigNatural()
            dz_import_words(z.z, 2, [UInt(truncatingIfNeeded: value), UInt(truncatingIfNeeded: value >> 64)])
            self.init(big: z)
        }
    }

    var description: String { big?.description ?? String(word) }
}

/// GMP's `mpz`, owned.
final class BigNatural: @unchecked Sendable {
    let z: UnsafeMutablePointer<__mpz_struct>

    init() {
        z = .allocate(capacity: 1)
        dz_init(z)
    }

    convenience init(_ value: UInt64) {
        self.init()
        dz_set_u64(z, UInt(value))
    }

    deinit {
        dz_clear(z)
        z.deallocate()
    }

    /// The value where it fits in a word.
    var word: UInt64? { dz_fits_u64(z) != 0 ? UInt64(dz_get_u64(z)) : nil }

    /// Negative, zero or positive as `a` is below, equal to or above `b`. (Both objects are
    /// arguments, so they outlive the call: a temporary's `z` alone could be freed first.)
    static func compare(_ a: BigNatural, _ b: BigNatural) -> Int32 { dz_cmp(a.z, b.z) }

    static func combine(
        _ a: BigNatural, _ b: BigNatural, _ operation: (mpz_ptr?, mpz_srcptr?, mpz_srcptr?) -> Void
    ) -> BigNatural {
        let result = BigNatural()
        operation(result.z, a.z, b.z)
        return result
    }

    var description: String {
        guard let text = dz_get_str(z) else { return "?" }
        defer { dq_free_str(text) }
        return String(cString: text)
    }
}

extension Rational {
    /// The numerator's magnitude and the denominator, as natural numbers (exact, however
    /// large).
    var naturalParts: (numerator: Natural, denominator: Natural) {
        guard let big else { return (Natural(num.magnitude), Natural(den.magnitude)) }
        let n = BigNatural()
        let d = BigNatural()
        dq_get_num(n.z, big.q)
        dq_get_den(d.z, big.q)
        dz_abs(n.z, n.z)
        return (Natural(big: n), Natural(big: d))
    }
}
