import ArgumentParser
import DiscreetCore
import DiscreetIO
import Foundation

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview a release with noise: what it spends, and how accurate each table will be.",
        discussion: """
            Reads the spec only: no extract is read, no noise is drawn, no budget is
            spent. For each table and each indicator's numerator and denominator it
            prints the error bound of the finest cells and of the largest total at the
            spec's confidence, and, where the ledger exists, what the dataset has spent
            and what this release would leave.
            """)

    @Argument(help: "The release spec (YAML).")
    var spec: String

    @Option(help: ArgumentHelp("The privacy-budget ledger to read, instead of the spec's 'ledger'.", valueName: "file"))
    var ledger: String?

    func run() throws {
        var plan: ReleasePlan
        do {
            plan = try ReleasePipeline.plan(specPath: spec)
        } catch {
            throw fail(error)
        }
        if let ledger { plan = ReleasePipeline.withLedger(plan, at: ledger) }
        let preview: NoisePreview?
        do {
            preview = try NoisePreview(plan: plan)
        } catch {
            throw fail(.budget(error))
        }
        guard let preview else {
            report("error: the spec has no 'protection: noise': there is no noise to plan (discreet validate checks a spec)")
            throw Exit.badSpec
        }
        let noise = preview.spec
        let s = noise.accounting.symbol
        let what = noise.strategy == .finest ? "finest tables" : "published figures, level by level, reconciled"
        print("noise: \(preview.mechanism.name), \(s) = \(noise.amount) over \(plural(preview.shares, "cohort"))' \(what) (\(s) = \(NoiseRun.shareText(preview.cohortShares)) each)")
        print("error bounds of the raw noise with \(noise.confidence)% confidence (finest cells to largest total)"
            + (noise.postProcessing == .nonNegative ? "; post-processing adds its own move, stated per figure in the release" : ""))
        let width = (preview.tables.map(\.name) + preview.indicators.map(\.name)).map(\.count).max() ?? 0
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        for t in preview.tables {
            let (finest, largest) = (ScaledDecimal.format(t.finest, places: t.places), ScaledDecimal.format(t.largest, places: t.places))
            print("  table     \(pad(t.name))  \(plural(t.cells, "cell")), ±\(finest) to ±\(largest)")
        }
        for i in preview.indicators {
            print("  indicator \(pad(i.name))  numerator ±\(i.numerator.finest) to ±\(i.numerator.largest), denominator ±\(i.denominator.finest) to ±\(i.denominator.largest)")
        }
        if let budget = preview.budget {
            let left = budget.remaining - noise.amount
            print("ledger \(noise.ledger): dataset \(noise.dataset) has spent \(s) = \(budget.spent) of \(budget.total); "
                + (left >= .zero ? "this release would leave \(left)" : "this release would exceed its budget by \(Rational.zero - left) and would be refused"))
        } else {
            print("ledger \(noise.ledger): no release of dataset \(noise.dataset) yet; its first release registers its budget, \(s) = \(noise.total)")
        }
    }
}
