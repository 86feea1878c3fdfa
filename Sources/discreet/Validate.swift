import ArgumentParser
import DiscreetCore
import DiscreetIO

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a spec, and the extracts against it, printing every problem.",
        discussion: """
            Checks the spec (unknown keys and columns, types, hierarchies, bands, filters,
            rules), then reads every extract and reports every bad row by file, line and
            column, without the values. Writes nothing. With --explain, prints the
            protection settings the spec resolves to (a preset expanded into ordinary
            settings, with the spec's own settings over it), then how its cohorts relate:
            which lies within which, which share nobody, and where the filters leave a
            cohort empty.
            """)

    @Argument(help: "The release spec (YAML).")
    var spec: String

    @OptionGroup var read: ReadOptions

    @Flag(name: .customLong("no-data"), help: "Check the spec only; do not read the extracts.")
    var noData = false

    @Flag(help: "Print the protection settings the spec resolves to (a preset expanded, every default spelled out), and how its cohorts relate, as YAML.")
    var explain = false

    func run() throws {
        let plan: ReleasePlan
        do {
            plan = try ReleasePipeline.plan(specPath: spec)
        } catch {
            throw fail(error)
        }
        let used = plan.usedColumns
        for (i, column) in plan.spec.columns.enumerated() where !used.contains(i) {
            print("note: column '\(column.name)' is declared but no table, filter or dimension uses it (it is still checked on every row)")
        }
        print("the spec is valid: \(plural(plan.spec.tables.count, "table")), \(plural(plan.spec.indicators.count, "indicator")), \(plural(plan.spec.dimensions.count, "dimension"))")
        if explain {
            print(ProtectionExplanation.render(plan.spec.protection), terminator: "")
            print(CohortExplanation.render(plan), terminator: "")
        }
        guard !noData else { return }
        let release: ProtectedRelease
        do {
            // Collect every bad row rather than stopping at the first.
            release = try ReleasePipeline.compute(
                plan: plan, inputs: read.inputs(for: plan), options: read.ingestOptions(for: plan, defaultPolicy: .quarantine))
        } catch {
            throw fail(error)
        }
        let badRows = release.ingest.quarantine.reduce(0) { $0 + $1.count }
        for entry in release.ingest.quarantine {
            print("bad rows: \(plural(entry.count, "row")): \(entry.message) (at \(entry.first.joined(separator: ", "))\(entry.count > entry.first.count ? ", ..." : ""))")
        }
        for conflict in release.ingest.conflicts {
            print("conflicts: \(conflict.table): \(plural(conflict.people, "person", "people")) whose rows fall in different cells (rows \(conflict.first.joined(separator: "; ")))")
        }
        for line in summary(release) { print(line) }
        if !release.findings.isEmpty {
            print("the audit would refuse this release: \(plural(release.findings.count, "problem")) (run protect to see them)")
        }
        if badRows > 0 || !release.ingest.conflicts.isEmpty { throw Exit.badInput }
        print("the extracts are valid")
    }
}
