import ArgumentParser
import DiscreetCore
import DiscreetIO
import Foundation

struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Protect the combined dashboard and every partner's own release together.",
        discussion: """
            Reads every partner's extracts (the spec's inputs, grouped by their 'partner'),
            and protects the combined dashboard over all partners and each partner's own
            tables and indicators as one system, so that no subtraction between releases
            (the combined figure minus a partner's) reveals a withheld cell or a small group.
            Each release is audited and written atomically to its own directory
            under --out: combined/ and one per partner, named from the partner.
            A partner whose extracts cannot be used stops only itself: the others
            are released and the exit code is 5; the combined dashboard then waits
            unless the spec's 'batch: combined_when_partners_missing' is 'release'.
            --out keeps a ledger (batch-ledger.sqlite) of what each release was made
            from: run again with the same spec and extracts, the batch does nothing;
            after some extracts change, the other partners' releases are kept as they
            are, and the rest protected around them (with --overwrite). A release made
            again withholds again, where that costs little, the cells its previous
            release withheld, and reports each group whose change since (this month
            minus last month) is small ('batch: small_changes: refuse' refuses them).
            """)

    @Option(help: "The release spec (YAML); its inputs name the partners.")
    var spec: String

    @OptionGroup var ingest: IngestArguments

    @Option(help: "The directory to write the releases in (one directory per release).")
    var out: String

    @Flag(help: "Replace existing releases under --out.")
    var overwrite = false

    @Flag(help: "Print nothing but errors (no progress, no summary).")
    var quiet = false

    @Option(help: ArgumentHelp(
        "How to show progress on standard error: 'auto' (a live display per partner on a terminal, lines otherwise), 'lines', or 'json' (one JSON object per line, for schedulers).",
        valueName: "style"))
    var progress: ProgressStyle = .auto

    @Option(name: .customLong("reproducible-seed"), help: ArgumentHelp(
        "For tests and reproductions only: draw random rounding from a seeded, predictable generator instead of the operating system's. The manifests say so.",
        valueName: "seed"))
    var reproducibleSeed: UInt64?

    func run() throws {
        let batch: BatchPlan
        do {
            batch = try BatchPlan(spec: try SpecReader.load(path: spec))
        } catch {
            throw fail(.spec(error))
        }
        let options = ingest.ingestOptions(for: batch.plan)
        let display = quiet ? nil : BatchProgressDisplay(style: progress, partners: batch.releases.map(\.key))
        var onProgress: (@Sendable (BatchProgress) -> Void)? = nil
        if let display { onProgress = { display.handle($0) } }
        let outcome: BatchOutcome
        do {
            switch try BatchPipeline.run(
                batch: batch, options: options, out: out, overwrite: overwrite,
                randomness: reproducibleSeed.map { .reproducible(seed: $0) } ?? .operatingSystem, progress: onProgress)
            {
            case .upToDate(let current):
                // Nothing changed since the releases in --out were made: nothing was done.
                if !quiet {
                    if let title = batch.spec.title { print(title) }
                    let when = current.map(\.recorded).max() ?? ""
                    print("nothing changed since \(when): the spec and every extract are as they were; \(plural(current.count, "release")) in \(out) are up to date")
                }
                return
            case .ran(let ran): outcome = ran
            }
        } catch {
            display?.finish()
            throw fail(error)
        }
        display?.finish()
        // A partner whose extracts could not be used: its errors, whatever --quiet says.
        for failure in outcome.failures {
            report("error: \(failure.partner): \(failure.error.message)")
            report("\(failure.partner): not released")
        }
        if outcome.combinedWithheld {
            report("the combined dashboard is not released without \(outcome.failures.map(\.partner).joined(separator: ", ")) "
                + "(set 'batch: {combined_when_partners_missing: release}' in the spec to release it without them)")
        }
        if !quiet {
            printSummary(outcome)
        }
        if outcome.isPartial { throw Exit.partial }
    }

    func printSummary(_ outcome: BatchOutcome) {
        let batch = outcome.batch
        let release = outcome.release
        if let title = batch.spec.title { print(title) }
        print("read \(plural(release.ingest.inputs.count, "input")) from \(plural(batch.partners.count, "partner")): "
            + "\(grouped(release.ingest.inputs.reduce(0) { $0 + $1.rows })) rows, \(grouped(release.ingest.people)) people")
        print("protected together: \(plural(batch.releases.count, "release")), \(grouped(batch.plan.layout.cellCount)) cells of the joint hidden table")
        for output in outcome.outputs {
            print("  \(output.key)\(output.partner.map { " (\($0))" } ?? " (all partners)"): \(grouped(output.rows)) rows"
                + (output.quarantined > 0 ? " (\(grouped(output.quarantined)) quarantined)" : "")
                + "; " + (output.tables == 0 ? "" : "\(plural(output.tables, "table")), withheld \(grouped(output.withheld)) of \(grouped(output.cells)) cells; ")
                + (output.indicators == 0 ? "" : "\(plural(output.indicators, "indicator")), withheld \(grouped(output.percentagesWithheld)) of \(grouped(output.percentages)) percentages; ")
                + (output.kept ? "unchanged, kept in \(output.path)" : "written to \(output.path)"))
            if let previous = output.previous {
                let changes = previous.changes.count
                print("    since its release of \(previous.recorded): withheld again \(grouped(previous.withheldAgain)) of the \(grouped(previous.withheldBefore)) figures it withheld; "
                    + (changes == 0 ? "no change isolates a small group" : "\(plural(changes, "change")) since isolate a small group (listed in \(BatchReport.fileName))"))
            }
        }
        for failure in outcome.failures { print("  \(failure.key) (\(failure.partner)): not released: its extracts could not be used") }
        if outcome.combinedWithheld { print("  combined (all partners): not released: partners are missing") }
        let written = outcome.outputs.filter { !$0.kept }.count
        let kept = outcome.outputs.count - written
        let counts = "\(plural(written, "release")) written to \(out)" + (kept > 0 ? ", \(kept) kept" : "")
        print("audit passed; " + counts + (outcome.isPartial ? "; the batch is partial" : ""))
    }
}
