// Controlled rounding of a 100,000-cell two-way count table (316 × 316 inner cells with
// their margins) to base 5: time and peak memory.
import Benchmark
import DiscreetCore

/// A flat dimension of `leaves` categories under a total.
func dimension(_ name: String, leaves: Int) -> TableDimension {
    try! TableDimension.build(name: name, total: "T", entries: (0..<leaves).map { HierarchyEntry(code: "\(name)\($0)") })
}

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
}
