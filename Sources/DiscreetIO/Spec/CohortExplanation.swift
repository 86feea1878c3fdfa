import DiscreetCore

/// How a spec's cohorts relate, as the attacker discreet protects against knows it (what
/// `discreet validate --explain` prints after the protection settings): which cohort lies
/// within which, which share nobody, and where the filters leave a cohort, or the rest of a
/// family, empty. As YAML comments and entries for a person to read.
public enum CohortExplanation {
    public static func render(_ plan: ReleasePlan) -> String {
        let layout = plan.layout
        let dims = plan.spec.dimensions
        func id(_ c: Int) -> String { "cohort-\(c + 1)" }
        func categories(_ facts: [StructuralZeros.Leaves]) -> String {
            facts.map { f in "\(dims[f.dimension].name): [\(f.leaves.sorted().map { dims[f.dimension].dimension.codes[$0] }.joined(separator: ", "))]" }
                .joined(separator: ", ")
        }
        var lines = ["# how the cohorts relate: what anyone reading this spec knows, and discreet protects against"]
        lines.append("cohorts:")
        for (c, cohort) in plan.cohorts.enumerated() {
            lines.append("  \(id(c)):")
            lines.append("    filter: \(cohort.text.isEmpty ? "(every row)" : ProtectionExplanation.quoted(cohort.text))")
            lines.append("    tables: [\(cohort.tables.map { plan.tables[$0].name }.joined(separator: ", "))]")
            let within = layout.relations.within.filter { $0.first == c }.map { id($0.second) }
            if !within.isEmpty {
                let stated = plan.stated.contains { $0.first == c } ? "    # an indicator states it; the filters alone do not" : ""
                lines.append("    within: [\(within.joined(separator: ", "))]" + stated)
            }
            if let facts = layout.zeros.cohorts[c] { lines.append("    empty: {\(categories(facts))}") }
        }
        let splits = layout.families.filter { $0.parts.count > 1 }
        if !splits.isEmpty {
            lines.append("# cohorts split into parts that share nobody; the rest of the cohort is in none of them")
            lines.append("splits:")
            for f in splits { lines.append("  - {cohort: \(id(f.parent)), parts: [\(f.parts.map(id).joined(separator: ", "))]}") }
        }
        let empties = layout.families.filter { layout.zeros.complements[[$0.parent] + $0.parts.sorted()] != nil }
        if !empties.isEmpty {
            lines.append("# where everyone in a cohort is in its parts")
            lines.append("rest_empty:")
            for f in empties {
                lines.append("  - {cohort: \(id(f.parent)), parts: [\(f.parts.map(id).joined(separator: ", "))], \(categories(layout.zeros.complements[[f.parent] + f.parts.sorted()]!))}")
            }
        }
        for note in plan.notes { lines.append("# \(note)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
