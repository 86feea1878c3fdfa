import ArgumentParser

@main
struct Discreet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discreet",
        abstract: "Statistical disclosure control for published tables of counts and percentages.",
        discussion: """
            discreet turns record-level extracts into protected tables that are safe to publish:
            it aggregates, applies the primary rules, audits, and writes a release.

            Exit codes: 0 done; 1 unexpected failure (a release could not be written);
            2 the spec has problems; 3 an input (or a release to audit) has problems; 4 the
            release was refused by the audit, or an audited release failed; 5 a batch
            released some partners but not all; 64 the command line is wrong.
            """,
        version: DiscreetVersionText.current,
        subcommands: [Protect.self, Batch.self, Check.self, Validate.self, Audit.self, Generate.self, Budget.self, Plan.self]
    )
}
