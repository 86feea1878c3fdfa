/// A noise mechanism for counts where each person is in one cell of the table noised (a
/// query of sensitivity 1 once contributions are bounded): pure ε-DP with the discrete
/// Laplace, or ρ-zCDP with the discrete Gaussian. The budget is the mechanism's parameter,
/// exactly; the noise's scale follows from it by ``PrivacyArithmetic``.
public enum CountNoise: Sendable, Hashable {
    case laplace(epsilon: Rational)
    case gaussian(rho: Rational)

    /// The discrete Laplace scale (1/ε) or the discrete Gaussian variance (1/(2ρ)).
    public var parameter: Rational {
        switch self {
        case .laplace(let epsilon): PrivacyArithmetic.laplaceScale(sensitivity: .one, epsilon: epsilon)
        case .gaussian(let rho): PrivacyArithmetic.gaussianVariance(sensitivity: .one, rho: rho)
        }
    }

    /// The mechanism as a release names it.
    public var name: String {
        switch self {
        case .laplace: "discrete Laplace"
        case .gaussian: "discrete Gaussian"
        }
    }

    /// The mechanism with its budget divided by `k`: for a query of L1 sensitivity k (ε/k), or
    /// of L2 sensitivity √k (ρ/k).
    public func dividingBudget(by k: Int) -> CountNoise {
        switch self {
        case .laplace(let epsilon): .laplace(epsilon: epsilon / Rational(k))
        case .gaussian(let rho): .gaussian(rho: rho / Rational(k))
        }
    }

    /// One draw of the noise.
    public func sampler() -> @Sendable (inout ExactSampler) -> Int64 {
        let p = parameter
        switch self {
        case .laplace: return { $0.discreteLaplace(scale: p) }
        case .gaussian: return { $0.discreteGaussian(variance: p) }
        }
    }

    /// A bound that the noise of a figure summing `cells` noisy cells exceeds in magnitude
    /// with probability at most `alpha`.
    public func errorBound(cells: Int, alpha: Double) -> Double {
        switch self {
        case .laplace: PrivacyArithmetic.laplaceSumErrorBound(scale: parameter.approximation, count: cells, alpha: alpha)
        case .gaussian: PrivacyArithmetic.gaussianSumErrorBound(variance: parameter.approximation, count: cells, alpha: alpha)
        }
    }
}

/// Noisy counts for one table: one draw for each inner cell, and every margin the sum of
/// its noisy inner cells, so that every published figure agrees with every other (a margin
/// equals the sum of its children in every dimension) and the noise is drawn once for the
/// whole table. The margins' noise is the sum of their cells' draws: their error bounds grow
/// with the number of inner cells they sum (``innerCells(_:)``).
public enum NoisyCounts {
    /// `counts` (every cell of `shape`, margins included) with noise: inner cells drawn on
    /// up to `threads` threads (chunk k of the draws from `words(k)`; see ``NoiseDraws``),
    /// margins summed from them.
    public static func measure(
        _ counts: [Int64], shape: TableShape, noise: CountNoise, threads: Int, words: @Sendable (Int) -> RandomWords
    ) -> [Int64] {
        precondition(counts.count == shape.cellCount, "one count per cell of the table")
        let draws = NoiseDraws.draw(count: shape.innerCellCount, threads: threads, words: words, noise.sampler())
        var result = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { result[cell] = counts[cell] + draws[i] }
        shape.rollUp { result[$0] += result[$1] }
        return result
    }

    /// Per cell of `shape`, how many inner cells it sums (1 for an inner cell).
    public static func innerCells(_ shape: TableShape) -> [Int] {
        var result = [Int](repeating: 0, count: shape.cellCount)
        for cell in shape.innerToFull() { result[cell] = 1 }
        shape.rollUp { result[$0] += result[$1] }
        return result
    }
}
