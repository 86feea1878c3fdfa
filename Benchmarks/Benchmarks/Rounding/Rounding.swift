// Controlled rounding to base 5: time and peak memory, for a 100,000-cell two-way count
// table (316 × 316 inner cells with their margins), a 96,000-cell table of a three-level
// area hierarchy by 30 categories (a network: minimum-cost flow), the same with a tenth of
// its cells withheld (free), and a 97,336-cell three-way table (45 × 45 × 45 inner cells: the
// branch-and-bound search with restarts).
import Benchmark
import BenchmarkTables
import DiscreetCore

/// Inner counts from 0 to 40, a quarter of them 0.
func values(_ shape: TableShape, seed: UInt64) -> [Int64] {
    var state = seed
    var result = [Int64](repeating: 0, count: shape.cellCount)
    for cell in shape.innerToFull() {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let r = Int64(state >> 33) % 160
        result[cell] = r < 40 ? 0 : r % 41
    }
    shape.rollUp { result[$0] += result[$1] }
    return result
}

/// A table to round: its shape and its values, margins included.
struct RoundingInput: Sendable {
    var shape: TableShape
    var values: [Int64]
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(120), maxIterations: 5)
    Benchmark("Controlled rounding 100k cells (2 dimensions)", configuration: configuration) { (benchmark: Benchmark, input: RoundingInput) in
        for _ in benchmark.scaledIterations {
            guard let rounded = ControlledRounding.round(input.values, shape: input.shape, base: 5) else { fatalError("no rounding") }
            blackHole(rounded)
        }
    } setup: {
        let shape = TableShape(dimensions: [dimension("r", leaves: 316), dimension("c", leaves: 316)])!
        return RoundingInput(shape: shape, values: values(shape, seed: 5))
    }

    Benchmark("Controlled rounding 96k cells (area hierarchy x 30)", configuration: configuration) { (benchmark: Benchmark, input: RoundingInput) in
        for _ in benchmark.scaledIterations {
            guard let rounded = ControlledRounding.round(input.values, shape: input.shape, base: 5) else { fatalError("no rounding") }
            blackHole(rounded)
        }
    } setup: {
        let shape = TableShape(dimensions: [areas(), dimension("c", leaves: 30)])!
        return RoundingInput(shape: shape, values: values(shape, seed: 7))
    }

    Benchmark("Controlled rounding 96k cells, a tenth withheld", configuration: configuration) { (benchmark: Benchmark, input: RoundingInput) in
        let free = (0..<input.shape.cellCount).map { $0 % 10 == 3 }
        for _ in benchmark.scaledIterations {
            guard let rounded = ControlledRounding.round(input.values, shape: input.shape, base: 5, free: free) else { fatalError("no rounding") }
            blackHole(rounded)
        }
    } setup: {
        let shape = TableShape(dimensions: [areas(), dimension("c", leaves: 30)])!
        return RoundingInput(shape: shape, values: values(shape, seed: 7))
    }

    Benchmark("Controlled rounding 97k cells (3 dimensions, search)", configuration: configuration) { (benchmark: Benchmark, input: RoundingInput) in
        let scope = Array(0..<input.shape.cellCount)
        let relations = input.shape.relations()
        for _ in benchmark.scaledIterations {
            let outcome = ControlledRoundingSearch.round(values: input.values, scope: scope, relations: relations, base: 5)
            guard case .rounded = outcome else { fatalError("no rounding found: \(outcome == .gaveUp ? "gave up" : "impossible")") }
            blackHole(outcome)
        }
    } setup: {
        let shape = TableShape(dimensions: [dimension("a", leaves: 45), dimension("b", leaves: 45), dimension("c", leaves: 45)])!
        return RoundingInput(shape: shape, values: values(shape, seed: 11))
    }
}
