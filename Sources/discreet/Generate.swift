import ArgumentParser
import DiscreetIO

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic extract in the transitions template, for trials and benchmarks.",
        discussion: """
            The same seed gives the same people and rows. Ward codes come from the spec's
            dimension over 'ward'. The data is made up: it describes nobody.
            """)

    @Option(help: "A spec declaring the transitions template (fixtures/transitions/spec.yaml).")
    var spec: String

    @Option(help: "The extract to write (.csv, or .sqlite/.db for SQLite).")
    var out: String

    @Option(help: "Stop after this many rows.")
    var rows: Int?

    @Option(help: "People in the population (default: rows / 1.7, or 4000).")
    var people: Int?

    @Option(help: "The seed.")
    var seed: UInt64 = 1

    @Option(help: "Whose rows to write: all, council, children, nhs, ccg or voluntary.")
    var partner: String = "all"

    @Option(help: "The table name, for SQLite output.")
    var table: String = "extract"

    func validate() throws {
        if partner != "all" && ExtractGenerator.Partner(rawValue: partner) == nil {
            throw ValidationError("--partner must be all, council, children, nhs, ccg or voluntary")
        }
        if let rows, rows < 1 { throw ValidationError("--rows must be positive") }
        if let people, people < 1 { throw ValidationError("--people must be positive") }
    }

    func run() throws {
        let plan: ReleasePlan
        do {
            plan = try ReleasePipeline.plan(specPath: spec)
        } catch {
            throw fail(error)
        }
        let population = people ?? rows.map { max(1, $0 * 10 / 17) } ?? 4000
        let partners = partner == "all" ? ExtractGenerator.Partner.allCases : [ExtractGenerator.Partner(rawValue: partner)!]
        do {
            let generator = try ExtractGenerator(spec: plan.spec, people: population, seed: seed)
            let written = InputSpec.format(ofPath: out) == .sqlite
                ? try generator.writeSQLite(to: out, table: table, partners: partners, limit: rows)
                : try generator.writeCSV(to: out, partners: partners, limit: rows)
            print("wrote \(plural(written, "row")) about \(plural(population, "person", "people")) to \(out)")
        } catch {
            report("error: \(error)")
            throw Exit.failure
        }
    }
}
