// Exact noise: time to add discrete Laplace (scale 2: ε = 1/2 on counts) and discrete
// Gaussian (σ² = 4: ρ = 1/8) noise to 1,000,000 and 10,000,000 counts on one core, every
// word from the operating system's cryptographic generator. OpenDP's noise-only path,
// measured on this project's machines, adds about 100,000 per second (2,952 cells in 0.03 s).
import Benchmark
import DiscreetCore
import DiscreetIO

/// Counts from 0 to 40 (their values do not change the draws' cost).
func counts(_ n: Int) -> [Int64] {
    var state: UInt64 = 9
    return (0..<n).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int64(state >> 33) % 41
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 5)
    for (cells, name) in [(1_000_000, "1M"), (10_000_000, "10M")] {
        Benchmark("Discrete Laplace noise \(name) cells (scale 2)", configuration: configuration) { (benchmark: Benchmark, input: [Int64]) in
            let scale = Rational(2)
            for _ in benchmark.scaledIterations {
                var sampler = ExactSampler(RandomWords.operatingSystem())
                blackHole(input.map { $0 + sampler.discreteLaplace(scale: scale) })
            }
        } setup: {
            counts(cells)
        }
        Benchmark("Discrete Gaussian noise \(name) cells (variance 4)", configuration: configuration) { (benchmark: Benchmark, input: [Int64]) in
            let variance = Rational(4)
            for _ in benchmark.scaledIterations {
                var sampler = ExactSampler(RandomWords.operatingSystem())
                blackHole(input.map { $0 + sampler.discreteGaussian(variance: variance) })
            }
        } setup: {
            counts(cells)
        }
    }
}
