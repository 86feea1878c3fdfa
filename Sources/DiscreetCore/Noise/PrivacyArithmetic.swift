#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The arithmetic of differential privacy, in one place and tested alone: how much noise a
/// budget buys, what that noise costs in accuracy, and how zero-concentrated DP (zCDP)
/// reads as (ε, δ)-DP. Noise parameters and budgets are exact rationals (what the samplers
/// draw from); accuracy and the (ε, δ) reading are floating point, since they are reported,
/// never drawn from.
public enum PrivacyArithmetic {
    /// The discrete Laplace scale that makes a query of sensitivity `sensitivity` ε-DP:
    /// Δ/ε.
    public static func laplaceScale(sensitivity: Rational, epsilon: Rational) -> Rational {
        precondition(sensitivity.signum > 0 && epsilon.signum > 0, "sensitivity and ε are positive")
        return sensitivity / epsilon
    }

    /// The discrete Gaussian variance parameter that makes a query of sensitivity
    /// `sensitivity` ρ-zCDP: σ² = Δ²/(2ρ).
    public static func gaussianVariance(sensitivity: Rational, rho: Rational) -> Rational {
        precondition(sensitivity.signum > 0 && rho.signum > 0, "sensitivity and ρ are positive")
        return sensitivity * sensitivity / (Rational(2) * rho)
    }

    /// A bound that discrete Laplace noise of scale `scale` exceeds in magnitude with
    /// probability at most `alpha`: s·ln(2 / (α(e^{1/s} + 1))) + 1 (from P(|X| ≥ k) =
    /// 2a^k/(1 + a), a = e^{-1/s}).
    public static func laplaceErrorBound(scale: Double, alpha: Double) -> Double {
        precondition(scale > 0 && alpha > 0 && alpha < 1, "a positive scale and 0 < α < 1")
        return scale * log(2 / (alpha * (exp(1 / scale) + 1))) + 1
    }

    /// The least whole k such that discrete Gaussian noise with variance parameter `variance`
    /// exceeds k in magnitude with probability at most `alpha` (summed from the
    /// distribution's exact probabilities, outward from zero).
    ///
    /// Beyond a variance of 10^6 the sum would take millions of terms; there the bound is the
    /// least k with erfc(k / (σ√2)) ≤ α, which holds for the discrete Gaussian too: its tail
    /// beyond k is at most the integral of exp(-x²/(2σ²)) from k, and its normalising sum is
    /// at least σ√(2π) (Poisson summation: every correction term is positive).
    public static func gaussianErrorBound(variance: Double, alpha: Double) -> Int {
        precondition(variance > 0 && alpha > 0 && alpha < 1, "a positive variance and 0 < α < 1")
        if variance > 1e6 {
            let scale = (2 * variance).squareRoot()
            var low = 0.0, high = 40 * variance.squareRoot()
            for _ in 0..<200 {
                let middle = (low + high) / 2
                if erfc(middle / scale) > alpha { low = middle } else { high = middle }
            }
            return Int(high.rounded(.up))
        }
        // The normalising sum over every value that matters in double precision.
        let reach = Int(40 * variance.squareRoot() + 40)
        func weight(_ y: Int) -> Double { exp(-Double(y) * Double(y) / (2 * variance)) }
        let total = (1...reach).reduce(1.0) { $0 + 2 * weight($1) }
        var within = 1 / total
        var k = 0
        while 1 - within > alpha && k < reach {
            k += 1
            within += 2 * weight(k) / total
        }
        return k
    }

    /// A bound that the sum of `count` independent discrete Laplace draws of scale `scale`
    /// (a margin derived from `count` noisy inner cells) exceeds in magnitude with
    /// probability at most `alpha`. One draw: ``laplaceErrorBound(scale:alpha:)``. More:
    /// Chernoff's bound, P(|S| ≥ k) ≤ 2·min over 0 < λ < 1/s of M(λ)^n·e^{-λk}, with the
    /// moment generating function M(λ) = (1 - a)² / ((1 - a·e^λ)(1 - a·e^{-λ})), a = e^{-1/s};
    /// the least k it proves, found by bisection (a conservative bound: the true tail is
    /// smaller).
    public static func laplaceSumErrorBound(scale: Double, count: Int, alpha: Double) -> Double {
        precondition(count >= 1, "a sum of at least one draw")
        if count == 1 { return laplaceErrorBound(scale: scale, alpha: alpha) }
        let a = exp(-1 / scale)
        let n = Double(count)
        /// log of the least tail bound over λ for a threshold k (golden-section over λ).
        func logTail(_ k: Double) -> Double {
            func f(_ l: Double) -> Double { n * (2 * log1p(-a) - log1p(-a * exp(l)) - log1p(-a * exp(-l))) - l * k + log(2.0) }
            return min(least(of: f, from: 0, to: (1 / scale) * (1 - 1e-12), steps: 100), log(2.0))
        }
        // The tail bound falls as k grows: bisect for the least k with bound ≤ α.
        let target = log(alpha)
        var low = 0.0, high = scale * (n + 1) * 10 + 10
        while logTail(high) > target { high *= 2 }
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if logTail(middle) > target { low = middle } else { high = middle }
        }
        return high
    }

    /// A bound that the sum of `count` independent discrete Gaussian draws with variance
    /// parameter `variance` exceeds in magnitude with probability at most `alpha`. One draw:
    /// ``gaussianErrorBound(variance:alpha:)`` (exact). More: the discrete Gaussian is
    /// subgaussian with the same parameter (Canonne, Kamath and Steinke 2020), so the sum is
    /// subgaussian with `count`·σ², and P(|S| ≥ k) ≤ 2·exp(-k²/(2nσ²)): k = √(2nσ²·ln(2/α)).
    public static func gaussianSumErrorBound(variance: Double, count: Int, alpha: Double) -> Double {
        precondition(count >= 1, "a sum of at least one draw")
        if count == 1 { return Double(gaussianErrorBound(variance: variance, alpha: alpha)) }
        return (2 * Double(count) * variance * log(2 / alpha)).squareRoot()
    }

    /// The least value of `f`, unimodal on [low, high], by golden-section search: `steps`
    /// narrowings of the interval, the smaller of the last two values.
    static func least(of f: (Double) -> Double, from low: Double, to high: Double, steps: Int) -> Double {
        var low = low, high = high
        let ratio = (5.0.squareRoot() - 1) / 2
        var x1 = high - ratio * (high - low), x2 = low + ratio * (high - low)
        var f1 = f(x1), f2 = f(x2)
        for _ in 0..<steps {
            if f1 < f2 {
                high = x2
                x2 = x1
                f2 = f1
                x1 = high - ratio * (high - low)
                f1 = f(x1)
            } else {
                low = x1
                x1 = x2
                f1 = f2
                x2 = low + ratio * (high - low)
                f2 = f(x2)
            }
        }
        return min(f1, f2)
    }

    /// The ε for which ρ-zCDP implies (ε, δ)-DP (Canonne, Kamath and Steinke 2020,
    /// Proposition 12): the least over α > 1 of αρ + (α·ln(1 - 1/α) - ln(α - 1) - ln δ) /
    /// (α - 1), found by golden-section search over ln(α - 1).
    public static func epsilon(rho: Double, delta: Double) -> Double {
        precondition(rho > 0 && delta > 0 && delta < 1, "ρ > 0 and 0 < δ < 1")
        func bound(_ t: Double) -> Double {
            let a = 1 + exp(t)
            return a * rho + (a * log1p(-1 / a) - t - log(delta)) / (a - 1)
        }
        // The function of t is unimodal on this range: it falls while αρ is small against the
        // log(1/δ)/(α - 1) term, then rises.
        return least(of: bound, from: -20, to: 30, steps: 200)
    }
}
