// A batch's reading: five partners' extracts of 2M rows each, in the transitions template,
// read and classified into every cohort of the joint plan (the combined dashboard's and
// each partner's) and grouped by person, with `--jobs 1` (one extract after another) and
// `--jobs 2` (two at once, one per core). What comes out is the same either way (see
// IngestTests); this measures the wall time and the peak memory each takes.
import Benchmark
import DiscreetCore
import DiscreetIO
import Foundation

/// The repository root, four levels above this file.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let rowsPerSecond = BenchmarkMetric.custom("Rows per second (K)", polarity: .prefersLarger, useScalingFactor: false)

let rowsPerPartner = 2_000_000

/// The bundled spec with its five inputs replaced by generated extracts of `rowsPerPartner`
/// rows each (made once, then reused), in a directory of its own.
func batchSpec() throws -> String {
    let directory = NSTemporaryDirectory() + "discreet-benchmark-batch-\(rowsPerPartner)"
    let specPath = directory + "/spec.yaml"
    if FileManager.default.fileExists(atPath: specPath) { return specPath }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let fixture = repository.appendingPathComponent("fixtures/transitions")
    try? FileManager.default.removeItem(atPath: directory + "/wards.csv")
    try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("wards.csv").path, toPath: directory + "/wards.csv")
    let spec = try String(contentsOf: fixture.appendingPathComponent("spec.yaml"), encoding: .utf8)
    let plan = try ReleasePipeline.plan(specPath: fixture.appendingPathComponent("spec.yaml").path)
    // Enough people that the partner with the fewest rows per person still has 2M rows.
    let generator = try ExtractGenerator(spec: plan.spec, people: rowsPerPartner * 4, seed: 11)
    var inputs = "inputs:\n"
    for partner in ExtractGenerator.Partner.allCases {
        let path = directory + "/\(partner.rawValue).csv"
        let rows = try generator.writeCSV(to: path, partners: [partner], limit: rowsPerPartner)
        precondition(rows == rowsPerPartner, "\(partner.rawValue): only \(rows) rows")
        inputs += "  - path: \(partner.rawValue).csv\n    partner: \(partner.rawValue)\n"
    }
    let start = spec.range(of: "inputs:\n")!.lowerBound
    let end = spec.range(of: "\n\n", range: start..<spec.endIndex)!.lowerBound
    try (String(spec[..<start]) + inputs + String(spec[end...])).write(toFile: specPath + ".partial", atomically: true, encoding: .utf8)
    try FileManager.default.moveItem(atPath: specPath + ".partial", toPath: specPath)
    return specPath
}

let benchmarks: @Sendable () -> Void = {
    for jobs in [1, 2] {
        Benchmark(
            "Batch: read 5 partners x 2M rows, --jobs \(jobs)",
            configuration: .init(
                metrics: [.wallClock, .peakMemoryResident, rowsPerSecond],
                timeUnits: .milliseconds,
                maxDuration: .seconds(300),
                maxIterations: 3
            )
        ) { benchmark, specPath in
            let batch = try BatchPlan(spec: try SpecReader.load(path: specPath))
            var options = IngestOptions(onError: .stop)
            options.readers = jobs
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                let result = try Ingest(plan: batch.plan, options: options).run(inputs: batch.plan.spec.inputs)
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                benchmark.measurement(rowsPerSecond, Int(Double(5 * rowsPerPartner) / seconds / 1000))
                blackHole(result)
            }
        } setup: {
            try batchSpec()
        }
    }
}
