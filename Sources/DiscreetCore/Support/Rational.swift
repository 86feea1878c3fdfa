import CGMP

/// An exact rational number. Small values live in two 64-bit integers; any operation that
/// would overflow moves to GMP's arbitrary-precision `mpq`, so results are always exact.
public struct Rational: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    // Invariant when `big` is nil: den > 0 and gcd(|num|, den) == 1.
    @usableFromInline var num: Int64
    @usableFromInline var den: Int64
    @usableFromInline var big: BigRational?

    public static let zero = Rational(0)
    public static let one = Rational(1)

    public init(_ n: Int64) {
        num = n
        den = 1
        big = nil
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    public init(_ n: Int) { self.init(Int64(n)) }

    /// n / d, reduced; d must not be zero.
    public init(_ n: Int64, _ d: Int64) {
        precondition(d != 0, "division by zero")
        if n == Int64.min || d == Int64.min {
            self = Rational(big: BigRational(n, d))
            return
        }
        var n = n
        var d = d
        if d < 0 {
            n = -n
            d = -d
        }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        num = n / Int64(g)
        den = d / Int64(g)
        big = nil
    }

    init(big: BigRational) {
        // Come back to the small form when the value fits.
        if let small = big.small {
            num = small.0
            den = small.1
            self.big = nil
        } else {
            num = 0
            den = 1
            self.big = big
        }
    }

    @usableFromInline
    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a
        var b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }

    /// Whether the value is held by GMP.
    public var isBig: Bool { big != nil }

    var asBig: BigRational { big ?? BigRational(num, den) }

    public var isZero: Bool { big == nil ? num == 0 : big!.sign == 0 }

    /// -1, 0 or 1.
    public var signum: Int { big == nil ? (num > 0 ? 1 : (num < 0 ? -1 : 0)) : big!.sign }

    public var isInteger: Bool { big == nil ? den == 1 : big!.isInteger }

    public static func + (a: Rational, b: Rational) -> Rational {
        if a.big == nil && b.big == nil {
            if a.den == b.den {
                let (s, o) = a.num.addingReportingOverflow(b.num)
                if !o { return Rational(s, a.den) }
            } else {
                let (x, o1) = a.num.multipliedReportingOverflow(by: b.den)
                let (y, o2) = b.num.multipliedReportingOverflow(by: a.den)
                let (s, o3) = x.addingReportingOverflow(y)
                let (d, o4) = a.den.multipliedReportingOverflow(by: b.den)
                if !(o1 || o2 || o3 || o4) { return Rational(s, d) }
            }
        }
        return Rational(big: BigRational.add(a.asBig, b.asBig))
    }

    public static prefix func - (a: Rational) -> Rational {
        if a.big == nil && a.num != Int64.min { return Rational(-a.num, a.den) }
        return Rational(big: BigRational.negate(a.asBig))
    }

    public static func - (a: Rational, b: Rational) -> Rational { a + (-b) }

    public static func * (a: Rational, b: Rational) -> Rational {
        if a.big == nil && b.big == nil {
            if a.num == 0 || b.num == 0 { return .zero }
            // Cross-reduce first to keep the numbers small.
            let g1 = Int64(gcd(a.num.magnitude, b.den.magnitude))
            let g2 = Int64(gcd(b.num.magnitude, a.den.magnitude))
            let (n, o1) = (a.num / g1).multipliedReportingOverflow(by: b.num / g2)
            let (d, o2) = (a.den / g2).multipliedReportingOverflow(by: b.den / g1)
            if !(o1 || o2) { return Rational(n, d) }
        }
        return Rational(big: BigRational.multiply(a.asBig, b.asBig))
    }

    public static func / (a: Rational, b: Rational) -> Rational {
        precondition(!b.isZero, "division by zero")
        if b.big == nil && b.num != Int64.min { return a * Rational(b.den, b.num) }
        return Rational(big: BigRational.divide(a.asBig, b.asBig))
    }

    public static func += (a: inout Rational, b: Rational) { a = a + b }
    public static func -= (a: inout Rational, b: Rational) { a = a - b }
    public static func *= (a: inout Rational, b: Rational) { a = a * b }

    public static func < (a: Rational, b: Rational) -> Bool {
        if a.big == nil && b.big == nil {
            return Int128(a.num) * Int128(b.den) < Int128(b.num) * Int128(a.den)
        }
        return BigRational.compare(a.asBig, b.asBig) < 0
    }

    public static func == (a: Rational, b: Rational) -> Bool {
        if a.big == nil && b.big == nil { return a.num == b.num && a.den == b.den }
        return BigRational.compare(a.asBig, b.asBig) == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    /// The largest integer not above the value, when it fits in 64 bits.
    public var floor: Int64? {
        if big == nil {
            let q = num / den
            return (num % den != 0 && num < 0) ? q - 1 : q
        }
        return big!.floor
    }

    /// The value in floating point, for display and for reported figures (accuracy, (ε, δ)
    /// readings), never for a draw.
    public var approximation: Double {
        if big == nil { return Double(num) / Double(den) }
        return dq_get_d(big!.q)
    }

    /// The smallest integer not below the value, when it fits in 64 bits.
    public var ceiling: Int64? { (-self).floor.map { -$0 } }

    public var description: String {
        if big == nil { return den == 1 ? String(num) : "\(num)/\(den)" }
        return big!.description
    }

    /// The value of `text`: a whole number (`3`), a fraction (`1/2`, `-7/3`) or a decimal
    /// (`0.25`), read exactly; nil for anything else, a zero denominator included. What
    /// ``description`` writes reads back as the same value.
    public init?(_ text: String) {
        var rest = Substring(text.trimmingSpaces)
        let negative = rest.first == "-"
        if negative || rest.first == "+" { rest = rest.dropFirst() }
        func whole(_ digits: Substring) -> Rational? {
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            var value = Rational.zero
            for chunk in stride(from: 0, to: digits.count, by: 18) {
                let part = digits.dropFirst(chunk).prefix(18)
                var scale: Int64 = 1
                for _ in part { scale *= 10 }
                value = value * Rational(scale) + Rational(Int64(part)!)
            }
            return value
        }
        let value: Rational
        if let slash = rest.firstIndex(of: "/") {
            guard let n = whole(rest[..<slash]), let d = whole(rest[rest.index(after: slash)...]), !d.isZero else { return nil }
            value = n / d
        } else if let point = rest.firstIndex(of: ".") {
            let fraction = rest[rest.index(after: point)...]
            guard let n = whole(rest[..<point] + fraction), !fraction.isEmpty, !rest[..<point].isEmpty else { return nil }
            var scale = Rational.one
            for _ in fraction { scale *= Rational(10) }
            value = n / scale
        } else {
            guard let n = whole(rest) else { return nil }
            value = n
        }
        self = negative ? -value : value
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let s = drop { $0 == " " }
        return s.dropLast(s.reversed().prefix { $0 == " " }.count)
    }
}

/// A GMP rational. Immutable once built: operations make new values. The mpq lives at a
/// fixed address of its own, so that the same value can be passed twice to one GMP call.
@usableFromInline
final class BigRational: @unchecked Sendable {
    let q: UnsafeMutablePointer<__mpq_struct>

    init() {
        q = .allocate(capacity: 1)
        dq_init(q)
    }

    /// n / d. GMP's `long` is 64 bits on the platforms discreet supports.
    convenience init(_ n: Int64, _ d: Int64) {
        self.init()
        precondition(d != 0)
        dq_set_si(q, Int(n), UInt(d.magnitude))
        if d < 0 { dq_neg(q, q) }
    }

    deinit {
        dq_clear(q)
        q.deallocate()
    }

    var sign: Int { Int(dq_sgn(q)) }

    var isInteger: Bool { dq_is_integer(q) != 0 }

    /// The value as a reduced Int64 pair, when both fit (and the numerator is not Int64.min).
    var small: (Int64, Int64)? {
        guard dq_fits_long(q) != 0 else { return nil }
        let n = Int64(dq_num_long(q))
        guard n != Int64.min else { return nil }
        return (n, Int64(dq_den_long(q)))
    }

    var floor: Int64? {
        var out = 0
        return dq_floor_long(q, &out) != 0 ? Int64(out) : nil
    }

    var description: String {
        guard let chars = dq_get_str(q) else { return "?" }
        defer { dq_free_str(chars) }
        return String(cString: chars)
    }

    static func add(_ a: BigRational, _ b: BigRational) -> BigRational {
        let r = BigRational()
        dq_add(r.q, a.q, b.q)
        return r
    }

    static func negate(_ a: BigRational) -> BigRational {
        let r = BigRational()
        dq_neg(r.q, a.q)
        return r
    }

    static func multiply(_ a: BigRational, _ b: BigRational) -> BigRational {
        let r = BigRational()
        dq_mul(r.q, a.q, b.q)
        return r
    }

    static func divide(_ a: BigRational, _ b: BigRational) -> BigRational {
        let r = BigRational()
        dq_div(r.q, a.q, b.q)
        return r
    }

    static func compare(_ a: BigRational, _ b: BigRational) -> Int {
        Int(dq_cmp(a.q, b.q))
    }
}
