/// Exact samplers for differential privacy: Bernoulli trials, geometric, discrete Laplace
/// and discrete Gaussian variables drawn with integer arithmetic only, after Canonne, Kamath
/// and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms
/// 1 to 3.
///
/// No floating point touches a draw: a floating-point Laplace sampler leaks the true value
/// through the low bits of what it returns (Mironov 2012). Every probability here is an
/// exact rational, every comparison is between integers, and the only randomness is the
/// generator's words, each used through ``Natural/uniformBelow(using:)``, which is exactly
/// uniform. Numbers stay machine words while they fit and move to GMP beyond, so that a
/// parameter with a large denominator is exact too.
///
/// The words decide what the noise protects: releases draw from the operating system's
/// cryptographic generator; seeded words (``RandomWords/init(seed:)``) only for tests and
/// for reproducing a run, and a release made with them says so.
public struct ExactSampler {
    /// Where the randomness comes from.
    public let source: RandomWords

    public init(_ source: RandomWords) { self.source = source }

    // MARK: - Bernoulli trials

    /// True with probability `p` (0 ≤ p ≤ 1).
    public mutating func bernoulli(_ p: Rational) -> Bool {
        precondition(p.signum >= 0 && !(Rational.one < p), "a probability lies between 0 and 1")
        let (n, d) = p.naturalParts
        return bernoulli(n, d)
    }

    /// True with probability n / d (n ≤ d, d > 0; need not be reduced).
    @inline(__always)
    mutating func bernoulli(_ n: Natural, _ d: Natural) -> Bool { d.uniformBelow(using: source) < n }

    /// True with probability exp(-γ) (γ ≥ 0).
    public mutating func bernoulliExp(_ gamma: Rational) -> Bool {
        precondition(gamma.signum >= 0, "exp(-γ) is a probability only for γ ≥ 0")
        let (n, d) = gamma.naturalParts
        return bernoulliExp(n, d)
    }

    /// True with probability exp(-n/d). For n/d ≤ 1, von Neumann's method: count k while
    /// Bernoulli(γ/k) holds, and accept where the count is odd (Algorithm 1); above 1, a trial
    /// of exp(-1) for each whole unit of γ, then one of the fraction left.
    mutating func bernoulliExp(_ n: Natural, _ d: Natural) -> Bool {
        if !(d < n) {
            var k: UInt64 = 1
            while bernoulli(n, d * Natural(k)) { k += 1 }
            return k & 1 == 1
        }
        let whole = n / d
        var i = Natural.zero
        // Each trial fails with probability 1 - 1/e: a huge γ costs few on average.
        while i < whole {
            guard bernoulliExp(.one, .one) else { return false }
            i = i + .one
        }
        return bernoulliExp(n - whole * d, d)
    }

    /// True with probability exp(-n/d), as ``bernoulliExp(_:_:)-(Natural,Natural)`` draws it
    /// (the same words, the same answer) in 128-bit machine integers: the discrete Gaussian's
    /// test at the scale of sums (σ² from about 3·10⁹ to 10¹⁹) passes 64 bits, and GMP for
    /// every trial took most of a draw's time.
    mutating func bernoulliExp(wide n: UInt128, _ d: UInt128) -> Bool {
        if n <= d {
            var k: UInt128 = 1
            while true {
                let (dk, overflow) = d.multipliedReportingOverflow(by: k)
                // Past 128 bits (a chance below 1/k! of getting here), the general path goes on.
                if overflow {
                    while bernoulli(Natural(wide: n), Natural(wide: d) * Natural(wide: k)) { k += 1 }
                    return k & 1 == 1
                }
                guard uniformBelow(dk) < n else { return k & 1 == 1 }
                k += 1
            }
        }
        let whole = n / d
        var i: UInt128 = 0
        while i < whole {
            guard bernoulliExp(.one, .one) else { return false }
            i += 1
        }
        return bernoulliExp(wide: n - whole * d, d)
    }

    /// A number drawn uniformly below `bound` (not zero), from the same words as
    /// ``Natural/uniformBelow(using:)`` draws it.
    @inline(__always)
    func uniformBelow(_ bound: UInt128) -> UInt128 {
        if bound <= UInt128(UInt64.max) { return UInt128(source.next(below: UInt64(bound))) }
        let mask = UInt64.max >> UInt64(bound.leadingZeroBitCount)
        while true {
            let low = source.next()
            let value = UInt128(source.next() & mask) << 64 | UInt128(low)
            if value < bound { return value }
        }
    }

    // MARK: - Integer distributions

    /// The number of successes before the first failure of trials that each succeed with
    /// probability exp(-n/d): P(k) = (1 - q) q^k, q = exp(-n/d).
    mutating func geometric(_ n: Natural, _ d: Natural) -> Natural {
        var k = Natural.zero
        while bernoulliExp(n, d) { k = k + .one }
        return k
    }

    /// An integer y with probability proportional to exp(-|y| / scale) (scale > 0): the
    /// discrete Laplace, or two-sided geometric, distribution. Added to a count of
    /// sensitivity Δ with scale Δ/ε it is ε-differentially private.
    public mutating func discreteLaplace(scale: Rational) -> Int64 {
        precondition(scale.signum > 0, "a discrete Laplace scale is positive")
        let (t, s) = scale.naturalParts
        return discreteLaplace(t, s)
    }

    /// The discrete Laplace with scale t/s (Algorithm 2): a geometric X with parameter
    /// exp(-1/t), drawn as U + t·V (U uniform below t, kept with probability exp(-U/t); V
    /// geometric with parameter exp(-1)), scaled down to floor(X/s), given a sign; a zero
    /// drawn with the negative sign is drawn again, or zero would count twice.
    /// `rejectingNegativeZero` is false only in the tests' negative control.
    mutating func discreteLaplace(_ t: Natural, _ s: Natural, rejectingNegativeZero: Bool = true) -> Int64 {
        while true {
            let u = t.uniformBelow(using: source)
            guard bernoulliExp(u, t) else { continue }
            let v = geometric(.one, .one)
            let y = (u + t * v) / s
            let negative = source.next() & 1 == 1
            if negative && y.isZero && rejectingNegativeZero { continue }
            // A draw beyond 2^63 has probability about exp(-2^63 / scale): never, for any
            // scale below 2^40.
            guard let magnitude = y.exactWord, magnitude <= UInt64(Int64.max) else {
                preconditionFailure("a discrete Laplace draw beyond 64 bits")
            }
            return negative ? -Int64(magnitude) : Int64(magnitude)
        }
    }

    /// An integer y with probability proportional to exp(-y² / (2σ²)) (σ² > 0): the
    /// discrete Gaussian. Added to a count of sensitivity Δ it is ρ-zCDP with ρ = Δ²/(2σ²).
    ///
    /// Algorithm 3: a discrete Laplace Y with scale t = floor(σ) + 1, kept with probability
    /// exp(-(|Y| - σ²/t)² / (2σ²)). With σ² = a/b that exponent is the rational
    /// (|Y|·b·t - a)² / (2·a·b·t²).
    public mutating func discreteGaussian(variance: Rational) -> Int64 {
        precondition(variance.signum > 0, "a discrete Gaussian's variance parameter is positive")
        let (a, b) = variance.naturalParts
        // floor(sqrt(a/b)) = floor(sqrt(floor(a/b))).
        let t = (a / b).squareRoot() + .one
        let bt = b * t
        let denominator = Natural(2) * a * bt * t
        // The test in machine integers where its numbers fit in 128 bits.
        let wide = bt.wide.flatMap { bt in a.wide.flatMap { a in denominator.wide.map { (bt: bt, a: a, denominator: $0) } } }
        while true {
            let y = discreteLaplace(t, .one)
            if let wide, denominator.exactWord == nil {
                let (m, overflow) = UInt128(y.magnitude).multipliedReportingOverflow(by: wide.bt)
                let difference = m < wide.a ? wide.a - m : m - wide.a
                let (square, overflowSquare) = difference.multipliedReportingOverflow(by: difference)
                if !overflow && !overflowSquare {
                    if bernoulliExp(wide: square, wide.denominator) { return y }
                    continue
                }
            }
            let m = Natural(y.magnitude) * bt
            let difference = m < a ? a - m : m - a
            if bernoulliExp(difference * difference, denominator) { return y }
        }
    }
}
