import Foundation
import Testing
@testable import DiscreetCore

/// The exact samplers against exact distributions (shared/validation V7): the reference
/// probabilities are computed here from their formulas in floating point, independently of
/// the samplers' integer arithmetic, and checked first against V7's published values.
///
/// Statistical tests draw with fixed seeds (``RandomWords/init(seed:)``), so each either always
/// passes or always fails; the thresholds are set so that a correct sampler would fail with
/// probability about 1e-6 for a seed chosen at random (chi-square: the 1 - 1e-6 quantile;
/// proportions: 5 standard errors). The negative controls (a scale 5% off, a discrete
/// Laplace that keeps "negative zero") must fail the same tests.
@Suite struct ExactSamplerTests {
    /// Draws per statistical test: enough that a 5% error in scale gives a chi-square four
    /// or more times its threshold (computed for every case here before choosing).
    static let draws = 200_000

    // MARK: - Reference distributions (floating point, test side only)

    /// P(y) of the discrete Laplace with scale t: (1 - a)/(1 + a) · a^|y|, a = exp(-1/t).
    static func laplace(_ t: Double) -> (Int64) -> Double {
        let a = exp(-1 / t)
        return { y in (1 - a) / (1 + a) * pow(a, Double(y.magnitude)) }
    }

    /// P(y) of the discrete Gaussian with variance parameter σ², normalised over every y that
    /// matters in double precision.
    static func gaussian(_ variance: Double) -> (Int64) -> Double {
        let reach = Int64(40 * variance.squareRoot() + 40)
        let total = (-reach...reach).reduce(0.0) { $0 + exp(-Double($1 * $1) / (2 * variance)) }
        return { y in exp(-Double(y) * Double(y) / (2 * variance)) / total }
    }

    static func moment(_ p: (Int64) -> Double, _ power: Double, reach: Int64 = 2_000) -> Double {
        (-reach...reach).reduce(0.0) { $0 + p($1) * pow(Double($1), power) }
    }

    @Test func theReferenceDistributionsAgreeWithTheValidationValues() {
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }
        let l1 = Self.laplace(1), l2 = Self.laplace(2), lHalf = Self.laplace(0.5)
        #expect(close(l1(0), 0.46211715726001))
        #expect(close(l1(1), 0.170003401568548))
        #expect(close(Self.moment(l1, 2), 1.84134718841558))
        #expect(close(l2(0), 0.244918662403709))
        #expect(close(Self.moment(l2, 2), 7.83539617806553))
        #expect(close(lHalf(0), 0.761594155955765))
        #expect(close(Self.moment(lHalf, 2), 0.362030830483155))
        let gHalf = Self.gaussian(0.25), g1 = Self.gaussian(1)
        #expect(close(Self.moment(gHalf, 2), 0.215012675088138))
        #expect(close(gHalf(0), 0.786570707041948))
        #expect(close(Self.moment(g1, 2), 0.999999788767728))
        #expect(close(g1(0), 0.398942278266862))
        #expect(close(g1(1), 0.241970723224461))
        #expect(close(Self.gaussian(4)(0), 0.199471140200716))
        #expect(close(Self.gaussian(9)(0), 0.132980760133811))
        #expect(close(Self.gaussian(100)(0), 0.0398942280401433))
    }

    // MARK: - Chi-square

    /// Pearson's statistic of `samples` against `p`: one bin per value from -(K-1) to K-1,
    /// and the two tails from ±K outward, K the largest value expected at least 5 times (so
    /// every bin expects at least 5); with the number of degrees of freedom.
    static func chiSquare(_ samples: [Int64], _ p: (Int64) -> Double) -> (statistic: Double, freedom: Int) {
        let n = Double(samples.count)
        var k: Int64 = 0
        while n * p(k + 1) >= 5 { k += 1 }
        precondition(k >= 1, "too few draws for this distribution")
        var observed: [Int64: Int] = [:]
        for y in samples { observed[max(-k, min(k, y)), default: 0] += 1 }
        let inner = (-(k - 1)...(k - 1)).reduce(0.0) { $0 + p($1) }
        var statistic = 0.0
        for bin in -k...k {
            let expected = n * (abs(bin) == k ? (1 - inner) / 2 : p(bin))
            let o = Double(observed[bin] ?? 0)
            statistic += (o - expected) * (o - expected) / expected
        }
        return (statistic, Int(2 * k))
    }

    /// The chi-square quantile that a correct sampler exceeds with probability 1e-6 (Wilson
    /// and Hilferty's approximation; z = 4.753 is the normal's 1 - 1e-6 quantile).
    static func threshold(_ freedom: Int) -> Double {
        let f = Double(freedom)
        let c = 2 / (9 * f)
        return f * pow(1 - c + 4.753 * c.squareRoot(), 3)
    }

    static func draw(seed: UInt64, _ sample: (inout ExactSampler) -> Int64) -> [Int64] {
        var sampler = ExactSampler(RandomWords(seed: seed))
        return (0..<draws).map { _ in sample(&sampler) }
    }

    /// Whether the samples pass the chi-square test against `p` (and the statistic, to say).
    static func passes(_ samples: [Int64], _ p: (Int64) -> Double) -> (Bool, String) {
        let (statistic, freedom) = chiSquare(samples, p)
        let limit = threshold(freedom)
        return (statistic < limit, "chi-square \(statistic) on \(freedom) degrees of freedom, limit \(limit)")
    }

    /// `draw` passes the chi-square test against `p`, and the same test fails for `wrong` (a
    /// parameter 5% off), from the same seed.
    static func fits(
        _ p: (Int64) -> Double, seed: UInt64, _ draw: (inout ExactSampler) -> Int64, control wrong: (inout ExactSampler) -> Int64
    ) {
        let (ok, said) = passes(Self.draw(seed: seed, draw), p)
        #expect(ok, "\(said)")
        let (wrongOK, wrongSaid) = passes(Self.draw(seed: seed, wrong), p)
        #expect(!wrongOK, "a parameter 5% off passed: \(wrongSaid)")
    }

    @Test(arguments: [(Rational(1), 1.0), (Rational(2), 2.0), (Rational(7, 2), 3.5)])
    func theDiscreteLaplaceHasItsDistribution(scale: Rational, t: Double) {
        // The control: a scale 5% too large.
        Self.fits(Self.laplace(t), seed: 11, { $0.discreteLaplace(scale: scale) }, control: { $0.discreteLaplace(scale: scale * Rational(21, 20)) })
    }

    @Test func aDiscreteLaplaceThatKeepsNegativeZeroFails() {
        var sampler = ExactSampler(RandomWords(seed: 12))
        let samples = (0..<Self.draws).map { _ in sampler.discreteLaplace(.one, .one, rejectingNegativeZero: false) }
        let (ok, said) = Self.passes(samples, Self.laplace(1))
        #expect(!ok, "negative zero kept, yet passed: \(said)")
        // Zero then comes up with probability 1 - exp(-1), about 0.63, not 0.46.
        let zeros = Double(samples.filter { $0 == 0 }.count) / Double(samples.count)
        #expect(zeros > 0.55)
    }

    @Test(arguments: [(Rational(1, 4), 0.25), (Rational(1), 1.0), (Rational(7, 3), 7.0 / 3), (Rational(4), 4.0)])
    func theDiscreteGaussianHasItsDistribution(variance: Rational, v: Double) {
        // The control: σ 5% too large (σ² times 441/400).
        Self.fits(
            Self.gaussian(v), seed: 13, { $0.discreteGaussian(variance: variance) },
            control: { $0.discreteGaussian(variance: variance * Rational(441, 400)) })
    }

    /// The sample variance within five standard errors of V7's exact variance (the standard
    /// error from the exact fourth moment), and the mean within five of zero.
    @Test(arguments: [("laplace", 1.0, 1.84134718841558), ("laplace", 2.0, 7.83539617806553), ("gaussian", 1.0, 0.999999788767728)])
    func theVarianceIsTheExactOne(kind: String, parameter: Double, variance: Double) {
        let samples = Self.draw(seed: 14) {
            kind == "laplace" ? $0.discreteLaplace(scale: Rational(Int64(parameter))) : $0.discreteGaussian(variance: Rational(Int64(parameter)))
        }
        let p = kind == "laplace" ? Self.laplace(parameter) : Self.gaussian(parameter)
        let n = Double(samples.count)
        let mean = samples.reduce(0.0) { $0 + Double($1) } / n
        let second = samples.reduce(0.0) { $0 + Double($1) * Double($1) } / n
        let fourth = Self.moment(p, 4)
        #expect(abs(mean) < 5 * (variance / n).squareRoot())
        #expect(abs(second - variance) < 5 * ((fourth - variance * variance) / n).squareRoot(), "sample variance \(second)")
    }

    // MARK: - Bernoulli trials

    /// Whether `hits` of `n` trials is within 5 standard errors of probability `p`.
    static func near(_ hits: Int, _ n: Int, _ p: Double) -> Bool {
        abs(Double(hits) - Double(n) * p) <= 5 * (Double(n) * p * (1 - p)).squareRoot() + 1e-9
    }

    @Test func aBernoulliTrialHasItsProbability() {
        var sampler = ExactSampler(RandomWords(seed: 15))
        // A probability whose parts need GMP: (2^70 + 1) / (2^71 + 3), a little over 1/2.
        let big = (Rational(1 << 35) * Rational(1 << 35) + .one) / (Rational(1 << 36) * Rational(1 << 35) + Rational(3))
        #expect(big.naturalParts.denominator.isBig)
        for (p, value) in [(Rational(1, 3), 1.0 / 3), (Rational(7, 10), 0.7), (big, 0.5), (Rational.zero, 0), (Rational.one, 1)] {
            let hits = (0..<Self.draws).filter { _ in sampler.bernoulli(p) }.count
            #expect(Self.near(hits, Self.draws, value), "p = \(p): \(hits) of \(Self.draws)")
        }
        // The control: 1/3 is told apart from 1/3 + 1%.
        let hits = (0..<Self.draws).filter { _ in sampler.bernoulli(Rational(1, 3)) }.count
        #expect(!Self.near(hits, Self.draws, 1.0 / 3 + 0.01))
    }

    @Test func aTrialOfExpMinusGammaHasItsProbability() {
        var sampler = ExactSampler(RandomWords(seed: 16))
        for (gamma, value) in [(Rational(1, 2), 0.5), (Rational(1), 1.0), (Rational(5, 2), 2.5), (Rational(7), 7.0)] {
            let hits = (0..<Self.draws).filter { _ in sampler.bernoulliExp(gamma) }.count
            #expect(Self.near(hits, Self.draws, exp(-value)), "γ = \(gamma): \(hits) of \(Self.draws)")
        }
        #expect((0..<1_000).allSatisfy { _ in sampler.bernoulliExp(.zero) })
    }

    /// exp(-(a+b)) = exp(-a)·exp(-b) where a and b have denominators beyond 64 bits (so every
    /// step runs in GMP): the trial of the sum succeeds as often as two independent trials
    /// both do, and as often as exp(-(a+b)) says.
    @Test func expOfASumIsTheProductOfExpsForLargeDenominators() {
        let tiny = Rational(1) / (Rational(1 << 40) * Rational(1 << 40) + Rational(7))
        let a = Rational(1, 3) + tiny
        let b = Rational(5, 4) + tiny * Rational(3)
        #expect(a.naturalParts.denominator.isBig && (a + b).naturalParts.denominator.isBig)
        var sampler = ExactSampler(RandomWords(seed: 17))
        let n = Self.draws
        let sum = (0..<n).filter { _ in sampler.bernoulliExp(a + b) }.count
        let both = (0..<n).filter { _ in sampler.bernoulliExp(a) && sampler.bernoulliExp(b) }.count
        let exact = exp(-(1.0 / 3 + 5.0 / 4))
        #expect(Self.near(sum, n, exact), "exp(-(a+b)): \(sum) of \(n)")
        #expect(Self.near(both, n, exact), "exp(-a)·exp(-b): \(both) of \(n)")
        // Two proportions: their difference within five standard errors of zero.
        let p = Double(sum + both) / Double(2 * n)
        #expect(abs(Double(sum - both)) <= 5 * (2 * Double(n) * p * (1 - p)).squareRoot())
        // The control: exp(-a) alone is told apart.
        let alone = (0..<n).filter { _ in sampler.bernoulliExp(a) }.count
        #expect(!Self.near(alone, n, exact))
    }

    /// A variance whose parts need GMP draws from the same distribution as the nearby simple
    /// one (1 + 2^-80 cannot be told from 1 in 200,000 draws).
    @Test func aDiscreteGaussianWithALargeDenominatorIsExactToo() {
        let variance = Rational.one + Rational(1) / (Rational(1 << 40) * Rational(1 << 40))
        #expect(variance.naturalParts.denominator.isBig)
        let samples = Self.draw(seed: 18) { $0.discreteGaussian(variance: variance) }
        let (ok, said) = Self.passes(samples, Self.gaussian(1))
        #expect(ok, "\(said)")
    }

    /// At the scale of sums (a care cost clamped to 40,000.00 in pence, ρ = 1/42: σ² ≈
    /// 3.4·10^14) the discrete Gaussian's test runs in 128-bit integers: it draws exactly
    /// what the general path (Natural, GMP beyond a word) draws from the same words.
    @Test(arguments: [Rational(336_000_000_000_000), Rational(30_000_000_001, 7), Rational(9_000_000_000_000_000_000)])
    func theDiscreteGaussianOfASumDrawsWhatTheGeneralPathDraws(variance: Rational) {
        var sampler = ExactSampler(RandomWords(seed: 23))
        let fast = (0..<2_000).map { _ in sampler.discreteGaussian(variance: variance) }
        var reference = ExactSampler(RandomWords(seed: 23))
        let (a, b) = variance.naturalParts
        let t = (a / b).squareRoot() + .one
        let bt = b * t
        let denominator = Natural(2) * a * bt * t
        #expect(denominator.exactWord == nil && denominator.wide != nil, "the test passes a word and fits in 128 bits")
        let general = (0..<2_000).map { _ in
            while true {
                let y = reference.discreteLaplace(t, .one)
                let m = Natural(y.magnitude) * bt
                let difference = m < a ? a - m : m - a
                if reference.bernoulliExp(difference * difference, denominator) { return y }
            }
        }
        #expect(fast == general)
        // And the draws are spread as σ says: the sample variance within 10% of σ².
        let mean = Double(fast.reduce(0, +)) / Double(fast.count)
        let spread = fast.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(fast.count - 1)
        #expect(abs(spread / variance.approximation - 1) < 0.1, "sample variance \(spread)")
    }

    /// A trial of exp(-n/d) in 128-bit integers draws what the general path draws, and
    /// succeeds as often as it should.
    @Test func aTrialOfExpMinusGammaIn128BitsIsTheGeneralOne() {
        let d = UInt128(1) << 100 | 12_345
        for n in [d / 2, d - 1, d, d + d / 3, 3 * d + 17] {
            var wide = ExactSampler(RandomWords(seed: 24))
            var general = ExactSampler(RandomWords(seed: 24))
            let a = (0..<Self.draws).map { _ in wide.bernoulliExp(wide: n, d) }
            let b = (0..<Self.draws).map { _ in general.bernoulliExp(Natural(wide: n), Natural(wide: d)) }
            #expect(a == b)
            let gamma = Double(n) / Double(d)
            #expect(Self.near(a.filter { $0 }.count, Self.draws, exp(-gamma)), "γ = \(gamma)")
        }
        #expect(Natural(wide: UInt128(1) << 100).description == "1267650600228229401496703205376")
        #expect(Natural(wide: 5) == Natural(5) && Natural(wide: 5).exactWord == 5)
    }

    @Test func theSameSeedGivesTheSameNoise() {
        let first = Self.draw(seed: 19) { $0.discreteLaplace(scale: Rational(7, 2)) }.prefix(1_000)
        let again = Self.draw(seed: 19) { $0.discreteLaplace(scale: Rational(7, 2)) }.prefix(1_000)
        let other = Self.draw(seed: 20) { $0.discreteLaplace(scale: Rational(7, 2)) }.prefix(1_000)
        #expect(first == again)
        #expect(first != other)
    }

    // MARK: - Natural numbers

    @Test func naturalNumbersStayExactBeyondAWord() {
        let max = Natural(UInt64.max)
        let past = max + .one
        #expect(past.isBig && past.description == "18446744073709551616")
        #expect(!(past - .one).isBig && (past - .one) == max)
        let square = max * max
        #expect(square.description == "340282366920938463426481119284349108225")
        #expect(square / max == max && !(square / max).isBig)
        #expect(square.squareRoot() == max)
        #expect((square + .one).squareRoot() == max)
        #expect((square - .one).squareRoot() == max - .one)
        #expect(max.squareRoot() == Natural(4_294_967_295))
        #expect(Natural(99).squareRoot() == Natural(9) && Natural(100).squareRoot() == Natural(10))
        #expect(Natural(0).squareRoot() == .zero)
        #expect(max < past && !(past < max))
        let rational = (Rational(1 << 40) * Rational(1 << 40) + .one) / Rational(3)
        #expect(rational.naturalParts.numerator.description == "1208925819614629174706177")
        #expect(rational.naturalParts.denominator == Natural(3))
        #expect(Rational(-5, 7).naturalParts.numerator == Natural(5))
    }

    @Test func aNumberBelowABigBoundIsUniform() {
        // Below 3·2^64: every draw below the bound, and each third of the range about as often.
        let bound = Natural(3) * (Natural(UInt64.max) + .one)
        let third = Natural(UInt64.max) + .one
        let words = RandomWords(seed: 21)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 {
            let x = bound.uniformBelow(using: words)
            #expect(x < bound)
            counts[x < third ? 0 : x < third + third ? 1 : 2] += 1
        }
        #expect(counts.allSatisfy { Self.near($0, 30_000, 1.0 / 3) }, "\(counts)")
    }
}

/// The privacy arithmetic against shared/validation V7 and hand-computed cases.
@Suite struct PrivacyArithmeticTests {
    @Test func aBudgetBuysTheNoiseTheDefinitionsSay() {
        #expect(PrivacyArithmetic.laplaceScale(sensitivity: .one, epsilon: Rational(1, 2)) == Rational(2))
        #expect(PrivacyArithmetic.laplaceScale(sensitivity: Rational(3), epsilon: Rational(2, 5)) == Rational(15, 2))
        // σ = 4 for Δ = 1 at ρ = 1/32 (V7).
        #expect(PrivacyArithmetic.gaussianVariance(sensitivity: .one, rho: Rational(1, 32)) == Rational(16))
        #expect(PrivacyArithmetic.gaussianVariance(sensitivity: Rational(2), rho: Rational(1, 2)) == Rational(4))
    }

    @Test func theLaplaceErrorBoundIsV7s() {
        #expect(abs(PrivacyArithmetic.laplaceErrorBound(scale: 180, alpha: 0.05) - 539.731115) < 1e-6)
        #expect(abs(PrivacyArithmetic.laplaceErrorBound(scale: 180, alpha: 0.01) - 829.429939) < 1e-6)
        // The bound holds: P(|X| > b) ≤ α, from the exact tail 2a^k/(1 + a) at k = floor(b) + 1.
        for (scale, alpha) in [(1.0, 0.05), (2.0, 0.05), (3.5, 0.01), (180.0, 0.05)] {
            let b = PrivacyArithmetic.laplaceErrorBound(scale: scale, alpha: alpha)
            let a = exp(-1 / scale)
            let k = b.rounded(.down) + 1
            #expect(2 * pow(a, k) / (1 + a) <= alpha + 1e-12, "scale \(scale)")
        }
    }

    @Test func theGaussianErrorBoundIsTheLeastThatHolds() {
        // σ² = 1: P(|X| ≤ 1) = 0.3989 + 2·0.2420 = 0.883 < 0.95; P(|X| ≤ 2) = 0.991 (V7's values).
        #expect(PrivacyArithmetic.gaussianErrorBound(variance: 1, alpha: 0.05) == 2)
        #expect(PrivacyArithmetic.gaussianErrorBound(variance: 1, alpha: 0.2) == 1)
        let p = ExactSamplerTests.gaussian(16)
        for alpha in [0.05, 0.01, 0.001] {
            let k = Int64(PrivacyArithmetic.gaussianErrorBound(variance: 16, alpha: alpha))
            let within = { (k: Int64) in (-k...k).reduce(0.0) { $0 + p($1) } }
            #expect(1 - within(k) <= alpha && 1 - within(k - 1) > alpha, "α = \(alpha)")
        }
    }

    /// Beyond σ² = 10^6 the bound comes from the normal tail (valid for the discrete
    /// Gaussian): it meets the summed one at the switch, and is the normal quantile (1.96σ
    /// at α = 5%, 2.576σ at 1%) for a huge variance, where summing would take 10^9 terms.
    @Test func theGaussianErrorBoundOfAHugeVarianceIsTheNormalTail() {
        for alpha in [0.05, 0.01] {
            let summed = PrivacyArithmetic.gaussianErrorBound(variance: 1e6, alpha: alpha)
            let tail = PrivacyArithmetic.gaussianErrorBound(variance: 1e6 + 1, alpha: alpha)
            #expect(abs(summed - tail) <= 1, "α = \(alpha): \(summed) summed, \(tail) from the tail")
        }
        let sigma = 1.6e7
        #expect(abs(Double(PrivacyArithmetic.gaussianErrorBound(variance: sigma * sigma, alpha: 0.05)) / sigma - 1.959964) < 1e-5)
        #expect(abs(Double(PrivacyArithmetic.gaussianErrorBound(variance: sigma * sigma, alpha: 0.01)) / sigma - 2.575829) < 1e-5)
    }

    /// The bounds for a margin summing n noisy cells hold on draws (at most α of 20,000 sums
    /// exceed them), are not absurdly loose (below twice the sums' own 1 - α quantile), and
    /// the single-cell bound used for such a margin is exceeded far more often than α (the
    /// control: a bound that ignored the count would fail).
    @Test(arguments: ["laplace", "gaussian"])
    func aMarginsErrorBoundHoldsForTheSumOfItsCells(kind: String) {
        let n = 16, alpha = 0.05, sums = 20_000
        var sampler = ExactSampler(RandomWords(seed: 31))
        let totals: [Int64] = (0..<sums).map { _ in
            (0..<n).reduce(Int64(0)) { s, _ in s + (kind == "laplace" ? sampler.discreteLaplace(scale: Rational(2)) : sampler.discreteGaussian(variance: Rational(4))) }
        }
        let bound = kind == "laplace"
            ? PrivacyArithmetic.laplaceSumErrorBound(scale: 2, count: n, alpha: alpha)
            : PrivacyArithmetic.gaussianSumErrorBound(variance: 4, count: n, alpha: alpha)
        let single = kind == "laplace"
            ? PrivacyArithmetic.laplaceSumErrorBound(scale: 2, count: 1, alpha: alpha)
            : PrivacyArithmetic.gaussianSumErrorBound(variance: 4, count: 1, alpha: alpha)
        func exceeding(_ b: Double) -> Double { Double(totals.filter { Double($0.magnitude) > b }.count) / Double(sums) }
        #expect(exceeding(bound) <= alpha, "bound \(bound) exceeded by \(exceeding(bound))")
        let quantile = Double(totals.map(\.magnitude).sorted()[Int(Double(sums) * (1 - alpha))])
        #expect(bound < 2 * quantile, "bound \(bound), quantile \(quantile)")
        #expect(exceeding(single) > 3 * alpha, "the single-cell bound \(single) exceeded by \(exceeding(single))")
        // One cell: the single-draw bounds themselves.
        #expect(single == (kind == "laplace" ? PrivacyArithmetic.laplaceErrorBound(scale: 2, alpha: alpha) : Double(PrivacyArithmetic.gaussianErrorBound(variance: 4, alpha: alpha))))
    }

    @Test func zCDPReadsAsTheEpsilonOfV7() {
        #expect(abs(PrivacyArithmetic.epsilon(rho: 1.0 / 32, delta: 1e-3) - 0.6880024554878086) < 1e-9)
        // A larger δ, or a smaller ρ, costs less ε; and the conversion is tighter than Bun
        // and Steinke's ρ + 2√(ρ ln(1/δ)) while above ρ itself.
        let v7 = PrivacyArithmetic.epsilon(rho: 1.0 / 32, delta: 1e-3)
        #expect(PrivacyArithmetic.epsilon(rho: 1.0 / 32, delta: 1e-2) < v7)
        #expect(PrivacyArithmetic.epsilon(rho: 1.0 / 64, delta: 1e-3) < v7)
        let bunSteinke: Double = 1.0 / 32 + 2 * (log(1000.0) / 32).squareRoot()
        #expect(v7 < bunSteinke && v7 > 1.0 / 32)
    }
}

/// Noise drawn on several threads: the same on one thread as on four, from the same seed.
@Suite struct NoiseDrawsTests {
    @Test func theNoiseDependsOnTheWordsAloneNotOnTheThreads() {
        let count = 3 * NoiseDraws.chunk + 12_345
        let scale = Rational(7, 2)
        func noise(threads: Int, seed: UInt64) -> [Int64] {
            NoiseDraws.draw(count: count, threads: threads, words: { RandomWords(seed: seed, stream: $0) }) { $0.discreteLaplace(scale: scale) }
        }
        let one = noise(threads: 1, seed: 5)
        #expect(one.count == count)
        #expect(noise(threads: 4, seed: 5) == one)
        #expect(noise(threads: 2, seed: 5) == one)
        #expect(noise(threads: 2, seed: 6) != one)
        // Chunks draw different noise (each its own stream), and the whole is discrete Laplace.
        #expect(one[0..<1_000] != one[NoiseDraws.chunk..<(NoiseDraws.chunk + 1_000)])
        let (ok, said) = ExactSamplerTests.passes(Array(one.prefix(ExactSamplerTests.draws)), ExactSamplerTests.laplace(3.5))
        #expect(ok, "\(said)")
    }

    @Test func nothingToDrawIsNothing() {
        #expect(NoiseDraws.draw(count: 0, threads: 2, words: { RandomWords(seed: 1, stream: $0) }) { $0.discreteLaplace(scale: .one) }.isEmpty)
        #expect(NoiseDraws.draw(count: 3, threads: 2, words: { RandomWords(seed: 1, stream: $0) }) { $0.discreteLaplace(scale: .one) }.count == 3)
    }
}
