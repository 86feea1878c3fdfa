// Ingest and aggregation of generated extracts in the transitions template: the rows are
// read, classified into every cohort table of the bundled spec and grouped by person.
// Reports rows and input megabytes per second and peak resident memory, which must not grow
// with the rows (an extract sorted by person, as generated, is aggregated as it is read).
import Benchmark
import DiscreetCore
import DiscreetIO
import Foundation

/// The repository root, four levels above this file.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let rowsPerSecond = BenchmarkMetric.custom("Rows per second (K)", polarity: .prefersLarger, useScalingFactor: false)
let megabytesPerSecond = BenchmarkMetric.custom("Input MB per second", polarity: .prefersLarger, useScalingFactor: false)

/// A generated extract of `rows` rows (made once, then reused).
func extract(rows: Int, plan: ReleasePlan) throws -> String {
    let path = NSTemporaryDirectory() + "discreet-benchmark-\(rows).csv"
    if !FileManager.default.fileExists(atPath: path) {
        // What an interrupted run left half written.
        try? FileManager.default.removeItem(atPath: path + ".partial")
        let generator = try ExtractGenerator(spec: plan.spec, people: rows * 10 / 17, seed: 7)
        try generator.writeCSV(to: path + ".partial", partners: ExtractGenerator.Partner.allCases, limit: rows)
        try FileManager.default.moveItem(atPath: path + ".partial", toPath: path)
    }
    return path
}

/// Tolerances for `swift package benchmark thresholds check` against the figures saved in
/// Benchmarks/Thresholds (and for comparing two baselines): a run slower by more than a
/// quarter, or larger by more than a tenth, is a regression.
var tolerances: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: .init(relative: [.p90: 25.0]),
    .peakMemoryResident: .init(relative: [.p90: 10.0]),
] }

let benchmarks: @Sendable () -> Void = {
    let plan: ReleasePlan
    do {
        plan = try ReleasePipeline.plan(specPath: repository.appendingPathComponent("fixtures/transitions/spec.yaml").path)
    } catch {
        fatalError("cannot read the fixture spec: \(error)")
    }
    // Every core (the extract cut into one part per core), and one worker at 10M rows (the
    // checksum still has a thread of its own): the ratio is what the extra parts buy.
    for (rows, cores) in [(1_000_000, 0), (10_000_000, 0), (10_000_000, 1), (100_000_000, 0)] {
        Benchmark(
            "Ingest and aggregate \(rows / 1_000_000)M rows" + (cores == 1 ? " with one worker" : ""),
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, rowsPerSecond, megabytesPerSecond],
                timeUnits: .milliseconds,
                maxDuration: .seconds(rows >= 100_000_000 ? 600 : 120),
                maxIterations: rows >= 100_000_000 ? 1 : rows > 1_000_000 ? 3 : 5,
                thresholds: tolerances
            )
        ) { benchmark, path in
            var options = IngestOptions(onError: .stop)
            if cores > 0 { options.workers = cores }
            let bytes = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                let result = try Ingest(plan: plan, options: options).run(inputs: [InputSpec(path: path)])
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                benchmark.measurement(rowsPerSecond, Int(Double(rows) / seconds / 1000))
                benchmark.measurement(megabytesPerSecond, Int(bytes / seconds / 1e6))
                blackHole(result)
            }
        } setup: {
            try extract(rows: rows, plan: plan)
        }
    }
}
