// Ingest and aggregation of generated extracts in the transitions template: the rows are
// read, classified into every cohort table of the bundled spec and grouped by person.
// Reports rows per second and peak resident memory, which must not grow with the rows.
import Benchmark
import DiscreetCore
import DiscreetIO
import Foundation

/// The repository root, four levels above this file.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let rowsPerSecond = BenchmarkMetric.custom("Rows per second (K)", polarity: .prefersLarger, useScalingFactor: false)

/// A generated extract of `rows` rows (made once, then reused).
func extract(rows: Int, plan: ReleasePlan) throws -> String {
    let path = NSTemporaryDirectory() + "discreet-benchmark-\(rows).csv"
    if !FileManager.default.fileExists(atPath: path) {
        let generator = try ExtractGenerator(spec: plan.spec, people: rows * 10 / 17, seed: 7)
        try generator.writeCSV(to: path + ".partial", partners: ExtractGenerator.Partner.allCases, limit: rows)
        try FileManager.default.moveItem(atPath: path + ".partial", toPath: path)
    }
    return path
}

let benchmarks: @Sendable () -> Void = {
    let plan: ReleasePlan
    do {
        plan = try ReleasePipeline.plan(specPath: repository.appendingPathComponent("fixtures/transitions/spec.yaml").path)
    } catch {
        fatalError("cannot read the fixture spec: \(error)")
    }
    for rows in [1_000_000, 10_000_000] {
        Benchmark(
            "Ingest and aggregate \(rows / 1_000_000)M rows",
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, rowsPerSecond],
                timeUnits: .milliseconds,
                maxDuration: .seconds(120),
                maxIterations: rows > 1_000_000 ? 2 : 5
            )
        ) { benchmark, path in
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                let result = try Ingest(plan: plan, options: IngestOptions(onError: .stop)).run(inputs: [InputSpec(path: path)])
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                benchmark.measurement(rowsPerSecond, Int(Double(rows) / seconds / 1000))
                blackHole(result)
            }
        } setup: {
            try extract(rows: rows, plan: plan)
        }
    }
}
