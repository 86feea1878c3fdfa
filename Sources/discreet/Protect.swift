import ArgumentParser
import DiscreetCore
import DiscreetIO
import Foundation

/// How the commands that read extracts read them: bad rows, memory, spill files, threads.
struct IngestArguments: ParsableArguments {
    @Option(name: .customLong("on-error"), help: "What to do with a bad row: 'stop' (nothing is released) or 'quarantine' (leave it out and count it). Default: the spec's on_error.")
    var onError: String?

    @Option(name: .customLong("memory-budget"), help: "MiB of row contributions kept in memory before spilling to temporary files.")
    var memoryBudget: Int = 32

    @Option(name: .customLong("temp-dir"), help: "Where spill files go (default: $TMPDIR or /tmp).")
    var temporaryDirectory: String?

    @Option(help: "Threads for grouping people (default: the number of cores).")
    var threads: Int?

    @Option(help: "Extracts read at once, each on its own thread (default: the number of cores). Each reader adds a quarter of a MiB to --memory-budget; the release is the same whatever the number.")
    var jobs: Int?

    func validate() throws {
        if let onError, ErrorPolicy(rawValue: onError) == nil {
            throw ValidationError("--on-error must be 'stop' or 'quarantine'")
        }
        if memoryBudget < 1 { throw ValidationError("--memory-budget must be at least 1 (MiB)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func ingestOptions(for plan: ReleasePlan, defaultPolicy: ErrorPolicy? = nil) -> IngestOptions {
        var options = IngestOptions(onError: onError.flatMap(ErrorPolicy.init(rawValue:)) ?? defaultPolicy ?? plan.spec.onError)
        options.memoryBudget = memoryBudget << 20
        if let temporaryDirectory { options.temporaryDirectory = temporaryDirectory }
        if let threads { options.workers = threads }
        options.readers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        return options
    }
}

/// Options shared by the commands that read extracts: which extracts, and how.
struct ReadOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp(
        "An extract to read instead of the spec's inputs (repeatable): a CSV file, or a SQLite database as PATH#TABLE.",
        valueName: "file"))
    var inputs: [String] = []

    @OptionGroup var ingest: IngestArguments

    func inputs(for plan: ReleasePlan) -> [InputSpec] {
        inputs.isEmpty ? plan.spec.inputs : inputs.map(InputSpec.init(argument:))
    }

    func ingestOptions(for plan: ReleasePlan, defaultPolicy: ErrorPolicy? = nil) -> IngestOptions {
        ingest.ingestOptions(for: plan, defaultPolicy: defaultPolicy)
    }
}

struct Protect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Protect the spec's tables and write a release.",
        discussion: """
            Reads the extracts, aggregates them into the spec's tables with every margin,
            applies the protection policy, audits the result, and writes the release
            directory atomically: tables/*.csv, indicators.csv, release.json, manifest.json.
            A release the audit rejects is not written.
            """)

    @Option(help: "The release spec (YAML).")
    var spec: String

    @OptionGroup var read: ReadOptions

    @Option(help: "The release directory to write.")
    var out: String

    @Flag(help: "Replace an existing release at --out.")
    var overwrite = false

    @Option(help: ArgumentHelp(
        "Also write the private run record here (people and rows read, rows quarantined, the share of each true total withheld): figures no file of the release states. Not inside --out.",
        valueName: "file"))
    var record: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(name: .customLong("reproducible-seed"), help: ArgumentHelp(
        "For tests and reproductions only: draw random rounding and noise from a seeded, predictable generator instead of the operating system's. The manifest says so.",
        valueName: "seed"))
    var reproducibleSeed: UInt64?

    @Option(help: ArgumentHelp("For a release with noise: the privacy-budget ledger to record it in, instead of the spec's 'ledger'.", valueName: "file"))
    var ledger: String?

    func run() throws {
        var plan: ReleasePlan
        do {
            plan = try ReleasePipeline.plan(specPath: spec)
        } catch {
            throw fail(error)
        }
        if let ledger {
            guard plan.spec.protection.noise != nil else {
                report("error: --ledger is for a release with noise; the spec has no 'protection: noise'")
                throw Exit.badSpec
            }
            plan = ReleasePipeline.withLedger(plan, at: ledger)
        }
        if let record {
            do {
                try RunRecord.check(record, release: out)
            } catch {
                report("error: \(error)")
                throw Exit.failure
            }
        }
        let release: ProtectedRelease
        let created = Date()
        do {
            release = try ReleasePipeline.protect(
                plan: plan, inputs: read.inputs(for: plan), options: read.ingestOptions(for: plan),
                destination: ReleaseDirectory(path: out, overwrite: overwrite), created: created,
                randomness: reproducibleSeed.map { .reproducible(seed: $0) } ?? .operatingSystem)
        } catch {
            throw fail(error)
        }
        if let record {
            do {
                try RunRecord(release, created: created).write(to: record, release: out)
            } catch {
                report("error: the release was written to \(out), but not the run record: \(error)")
                throw Exit.failure
            }
        }
        guard !quiet else { return }
        if let title = plan.spec.title { print(title) }
        for line in summary(release) { print(line) }
        print("audit passed; release written to \(out)")
        if let record { print("private run record written to \(record) (not part of the release: keep it with the extracts)") }
    }
}
