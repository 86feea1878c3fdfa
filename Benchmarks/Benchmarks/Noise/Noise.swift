// Exact noise: time to add discrete Laplace (scale 2: ε = 1/2 on counts) and discrete
// Gaussian (σ² = 4: ρ = 1/8) noise to 1,000,000 counts on one core, and to 10,000,000 on
// both (NoiseDraws: chunks of 65,536, each from its own words), every word from the
// operating system's cryptographic generator. OpenDP's noise-only path, measured on this
// project's machines, adds about 100,000 per second (2,952 cells in 0.03 s). And the
// post-processing of a noisy 102,663-cell hierarchical table into non-negative whole
// numbers that add up (ConsistentCounts). And the cell key method's record keys: HMAC-SHA256
// of 1,000,000 identifiers under one secret.
import Benchmark
import BenchmarkTables
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
    let mechanisms: [(String, @Sendable (inout ExactSampler) -> Int64)] = [
        ("Discrete Laplace noise", { $0.discreteLaplace(scale: Rational(2)) }),
        ("Discrete Gaussian noise", { $0.discreteGaussian(variance: Rational(4)) }),
    ]
    for (name, draw) in mechanisms {
        Benchmark("\(name) 1M cells (one core)", configuration: configuration) { (benchmark: Benchmark, input: [Int64]) in
            for _ in benchmark.scaledIterations {
                var sampler = ExactSampler(RandomWords.operatingSystem())
                blackHole(input.map { $0 + draw(&sampler) })
            }
        } setup: {
            counts(1_000_000)
        }
        Benchmark("\(name) 10M cells (two cores)", configuration: configuration) { (benchmark: Benchmark, input: [Int64]) in
            for _ in benchmark.scaledIterations {
                let noise = NoiseDraws.draw(count: input.count, threads: 2, words: { _ in RandomWords.operatingSystem() }, draw)
                blackHole(zip(input, noise).map { $0 + $1 })
            }
        } setup: {
            counts(10_000_000)
        }
    }
    // Sums: a person's care cost clamped to 0..40,000.00 is Δ = 4,000,000 pence, and with
    // ρ = 1/42 (or ε = 1/42) the noise has variance Δ²/(2ρ) ≈ 3.4·10^14 (scale Δ/ε ≈
    // 1.7·10^8): the samplers' squares and products pass 64 bits, so GMP does the work.
    let sums: [(String, @Sendable (inout ExactSampler) -> Int64)] = [
        ("Discrete Laplace noise, sum scale", { $0.discreteLaplace(scale: Rational(168_000_000)) }),
        ("Discrete Gaussian noise, sum scale", { $0.discreteGaussian(variance: Rational(336_000_000_000_000)) }),
    ]
    for (name, draw) in sums {
        Benchmark("\(name) 100k cells (one core)", configuration: configuration) { (benchmark: Benchmark, input: [Int64]) in
            for _ in benchmark.scaledIterations {
                var sampler = ExactSampler(RandomWords.operatingSystem())
                blackHole(input.map { $0 + draw(&sampler) })
            }
        } setup: {
            counts(100_000)
        }
    }
    postProcessing()
    Benchmark("Cell key record keys 1M people (one core)", configuration: configuration) { (benchmark: Benchmark, input: [[UInt8]]) in
        let recordKey = CellKeySecret.recordKey(secret: [UInt8](repeating: 7, count: 32))
        for _ in benchmark.scaledIterations {
            var sum: UInt32 = 0
            for id in input { sum &+= id.withUnsafeBytes { recordKey($0) } }
            blackHole(sum)
        }
    } setup: {
        (0..<1_000_000).map { Array("NB\(String(1_000_000_000 + $0).dropFirst())".utf8) }
    }
}

/// A noisy table to post-process: counts 0 to 4 with discrete Laplace noise at ε = 1/2
/// (about a third of the inner cells negative).
struct NoisyInput: Sendable {
    var shape: TableShape
    var noisy: [Int64]
}

let postProcessing: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 5)
    Benchmark("Consistent non-negative post-processing 103k cells (area hierarchy x 32)", configuration: configuration) {
        (benchmark: Benchmark, input: NoisyInput) in
        for _ in benchmark.scaledIterations {
            blackHole(ConsistentCounts.nonNegative(input.noisy, shape: input.shape))
        }
    } setup: {
        // 3,000 wards in districts and regions by 32 categories: 102,663 cells with margins.
        let shape = TableShape(dimensions: [areas(), dimension("c", leaves: 32)])!
        precondition(shape.cellCount == 102_663)
        var truth = [Int64](repeating: 0, count: shape.cellCount)
        for (i, cell) in shape.innerToFull().enumerated() { truth[cell] = Int64(i % 5) }
        shape.rollUp { truth[$0] += truth[$1] }
        let noisy = NoisyCounts.measure(truth, shape: shape, noise: .laplace(epsilon: Rational(1, 2)), threads: 2) { RandomWords(seed: 1, stream: $0) }
        return NoisyInput(shape: shape, noisy: noisy)
    }
}
