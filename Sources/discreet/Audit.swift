import ArgumentParser
import DiscreetCore
import DiscreetIO

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit a written release: what can an attacker learn about its withheld cells?",
        discussion: """
            Reads RELEASE/release.json, checks every file against the manifest's
            checksums, rebuilds how its cohorts relate (tables of one cohort, a
            numerator within its denominator, parts that share nobody), and computes,
            in exact rational arithmetic, the interval of values each withheld cell and
            each group counted by subtraction could take given every published figure,
            every relation and non-negativity. Every other number a file states must
            follow from the published figures and the settings. It fails when a withheld
            cell is known exactly, a group is pinned to a count the rules withhold,
            published figures do not add up, a file has changed, or a file states a
            number the published figures do not account for (the manifest of an earlier
            version stating the people read, say).

            With --spec (and the extracts, from the spec or --input), it also aggregates
            the data again and checks each sensitive cell's interval against its
            protection levels, without printing any true value.
            """)

    @Argument(help: "The release directory.")
    var release: String

    @Option(help: "The spec the release was made from, to check protection levels against the data.")
    var spec: String?

    @OptionGroup var read: ReadOptions

    @Flag(help: "Print every withheld cell's interval.")
    var intervals = false

    @Option(help: ArgumentHelp(
        "A CSV of bounds the attacker knows besides the release: columns table, lower, upper, and a column per dimension (codes; empty for the total).",
        valueName: "file"))
    var bounds: String?

    func run() throws {
        var truth: PublishedAudit.Truth?
        if let spec {
            let plan: ReleasePlan
            do {
                plan = try ReleasePipeline.plan(specPath: spec)
            } catch {
                throw fail(error)
            }
            do {
                truth = PublishedAudit.Truth(plan: plan, ingest: try Ingest(plan: plan, options: read.ingestOptions(for: plan)).run(inputs: read.inputs(for: plan)))
            } catch {
                throw fail(.input(error))
            }
        }
        let audit: PublishedAudit
        do {
            audit = try PublishedAudit.run(directory: release, truth: truth, boundsFile: bounds)
        } catch {
            report("error: \(error)")
            throw Exit.badInput
        }
        if let title = audit.release.title { print(title) }
        print("release \(audit.release.id.prefix(16))")
        if let key = audit.release.document.cellKey {
            let figures = audit.release.document.tables.reduce(0) { $0 + $1.cells.count }
            print("a release perturbed by the cell key method (perturbation table: \(key.ptable), at most ±\(key.largestPerturbation)); \(plural(figures, "table figure")) and every indicator figure checked")
            try reportFindings(audit)
            print("audit passed: every figure is perturbed with its bound, and none is negative")
            return
        }
        if let noise = audit.release.document.noise {
            let symbol = noise.accounting == "epsilon" ? "ε" : "ρ"
            let figures = audit.release.document.tables.reduce(0) { $0 + $1.cells.count }
            print("a release with differential privacy: \(noise.mechanism), \(symbol) = \(noise.spent) from dataset \(noise.dataset); \(plural(figures, "table figure")) and every indicator figure checked")
            if truth != nil { print("note: a release with noise has no protection levels to check against the data; its figures were checked as published") }
            try reportFindings(audit)
            print("audit passed: every figure is noisy with its error bound, and each cohort's figures add up")
            return
        }
        for (cohort, reports) in zip(audit.release.cohorts, audit.reports) {
            for ((name, places, _), report) in zip(cohort.quantities, reports) {
                let widths = report.intervals.values.map { i in i.upper.map { ($0 - i.lower) } }
                let narrowest = widths.compactMap { $0 }.min()
                var line = "\(cohort.id) (\(cohort.sources.joined(separator: ", "))), \(name): \(plural(cohort.shape.cellCount, "cell")), "
                    + "\(grouped(report.intervals.count)) withheld, \(grouped(report.exposed.count)) known exactly"
                if let narrowest { line += "; narrowest interval \(scaled(narrowest, places)) wide" }
                print(line)
                guard intervals else { continue }
                for cell in report.intervals.keys.sorted() {
                    let i = report.intervals[cell]!
                    let codes = cohort.shape.codes(of: cell)
                    print("  (\(codes.joined(separator: ", "))): [\(scaled(i.lower, places)), \(i.upper.map { scaled($0, places) } ?? "unbounded")]")
                }
            }
        }
        if !audit.groups.isEmpty {
            let exact = audit.groups.filter { $0.interval?.isExact ?? false }.count
            print("\(plural(audit.groups.count, "group")) of people counted by subtracting published figures (a denominator minus its numerator, a cohort minus one within it): \(grouped(exact)) known exactly")
        }
        try reportFindings(audit)
        var passed = "audit passed: no withheld figure can be recovered exactly"
        if truth != nil { passed += "; every sensitive cell and group keeps its protection levels (\(grouped(audit.sensitiveChecked)) checked)" }
        print(passed)
    }

    /// Prints the audit's findings (the first 100) and fails when there is any.
    func reportFindings(_ audit: PublishedAudit) throws {
        for finding in audit.findings.prefix(100) { report("finding: \(finding)") }
        if audit.findings.count > 100 { report("finding: \(audit.findings.count - 100) more") }
        guard audit.findings.isEmpty else {
            report("audit failed: \(plural(audit.findings.count, "finding"))")
            throw Exit.refused
        }
    }

    /// A rational in units of 10^-places, as a decimal; two more places (rounded down)
    /// where it is not a whole number of units.
    func scaled(_ r: Rational, _ places: Int) -> String {
        let extra = r.floor == r.ceiling ? 0 : 2
        guard let units = (r * Rational(extra == 0 ? 1 : 100)).floor else { return r.description }
        return ScaledDecimal.format(units, places: places + extra)
    }
}
