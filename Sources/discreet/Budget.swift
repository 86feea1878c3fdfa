import ArgumentParser
import DiscreetCore
import DiscreetIO
import Foundation

struct Budget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, or set, the privacy budgets a ledger holds and what each dataset has spent.",
        discussion: """
            A privacy-budget ledger (SQLite) records every differentially private release
            of a dataset: who asked, which tables, the mechanism, the ε (pure DP) or ρ
            (zCDP) it spent, the spec's and the inputs' checksums. Spends add up, exactly;
            a release that would take a dataset past its budget is refused before any
            noise is drawn. A release recorded whose files never appeared (a run stopped
            between the two) still counts as spent, and is shown as not published.

            With --set, sets a dataset's budget (making the ledger if there is none): the
            one way to change a budget, so that raising one is a decision on the record,
            never a side effect of a spec.
            """)

    @Argument(help: "The ledger file.")
    var ledger: String

    @Option(help: ArgumentHelp("Set this dataset's budget (with --epsilon or --rho).", valueName: "dataset"))
    var set: String?

    @Option(help: ArgumentHelp("The budget as pure ε-DP: a whole number, fraction or decimal (1/2, 0.5).", valueName: "ε"))
    var epsilon: String?

    @Option(help: ArgumentHelp("The budget as ρ-zCDP: a whole number, fraction or decimal.", valueName: "ρ"))
    var rho: String?

    @Option(help: ArgumentHelp("The δ at which zCDP spends are also shown as (ε, δ)-DP.", valueName: "δ"))
    var delta: Double = 1e-6

    @Flag(help: "List every release of each dataset.")
    var releases = false

    func validate() throws {
        guard delta > 0 && delta < 1 else { throw ValidationError("--delta must lie strictly between 0 and 1") }
        if set == nil {
            guard epsilon == nil && rho == nil else { throw ValidationError("--epsilon and --rho set a budget: name its dataset with --set") }
        } else {
            guard (epsilon == nil) != (rho == nil) else { throw ValidationError("--set needs exactly one of --epsilon and --rho") }
            guard let amount = Rational(epsilon ?? rho!), amount.signum >= 0 else {
                throw ValidationError("--\(epsilon == nil ? "rho" : "epsilon") must be a number that is not negative (3, 1/2, 0.25)")
            }
        }
    }

    func run() throws {
        let book: PrivacyLedger
        do {
            // Listing never makes a ledger: a mistyped path says so instead.
            guard set != nil || FileManager.default.fileExists(atPath: ledger) else {
                report("error: \(ledger): no ledger there")
                throw Exit.badInput
            }
            book = try PrivacyLedger(path: ledger)
            if let dataset = set {
                let accounting: PrivacyAccounting = epsilon == nil ? .zCDP : .pure
                try book.setTotal(dataset: dataset, accounting: accounting, total: Rational(epsilon ?? rho!)!)
            }
            let budgets = try book.budgets()
            if budgets.isEmpty { print("\(ledger): no dataset has a budget yet") }
            for state in budgets {
                print(line(state))
                guard releases else { continue }
                for entry in try book.entries(dataset: state.dataset) {
                    let s = entry.spend
                    var text = "  \(s.releaseID)  \(entry.recorded)  \(s.requester)  \(s.mechanism)  \(s.accounting.symbol) = \(s.amount)"
                    if entry.charged != s.amount { text += " (counted as \(state.accounting.symbol) = \(entry.charged))" }
                    text += entry.published ? "  published" : "  recorded, never published"
                    if !s.tables.isEmpty { text += "  tables: \(s.tables.joined(separator: ", "))" }
                    print(text)
                }
            }
        } catch let error as LedgerError {
            report("error: \(error)")
            throw Exit.badInput
        }
    }

    /// One dataset: its budget, what is spent and left, and for zCDP the (ε, δ) reading.
    func line(_ s: BudgetState) -> String {
        let symbol = s.accounting.symbol
        func figure(_ r: Rational) -> String {
            r.isInteger ? r.description : "\(r) (\(String(format: "%.4g", r.approximation)))"
        }
        var text = "\(s.dataset): budget \(symbol) = \(figure(s.total)); spent \(figure(s.spent)) in \(plural(s.releases, "release"))"
        if s.unpublished > 0 { text += " (\(s.unpublished) never published)" }
        text += "; left \(s.remaining.signum < 0 ? "none (over by \(figure(-s.remaining)))" : figure(s.remaining))"
        if s.accounting == .zCDP, s.spent.signum > 0 {
            let e = PrivacyArithmetic.epsilon(rho: s.spent.approximation, delta: delta)
            text += "; the spend is (ε = \(String(format: "%.4g", e)), δ = \(delta))-DP"
        }
        return text
    }
}
