/// A published rulebook as a one-line setting: `protection: {preset: nhs}`. A preset
/// expands into ordinary settings (``settings``, the same YAML a spec would hold); any
/// setting the spec gives beside it overrides the preset's, key by key.
public enum ProtectionPreset: String, Sendable, Hashable, CaseIterable {
    /// NHS hospital statistics: 0 stays 0; 1 to 7 withheld as `*`; every other figure to the
    /// nearest 5, totals from unrounded values then rounded; percentages from the rounded
    /// figures, one decimal place only where the rounded denominator is at least 4,000.
    case nhs
    /// Department for Education: `c` withheld (1 to 5, and complementary cells), `z` not
    /// applicable, `k` rounds to 0 but is not 0; national and regional figures to the
    /// nearest 10 (name the geography dimension under `rounding: levels`); whole-number
    /// percentages.
    case dfe
    /// Ofqual: every figure to the nearest 5; 1 to 4 shown as "fewer than 5", and nobody can
    /// narrow that down.
    case ofqual
    /// ONS Secure Research Service output checking: threshold 10; for magnitude tables the
    /// largest contributor at most half the total and the p% rule at 10% (as ACRO).
    case onsSRS = "ons-srs"

    /// The settings the preset stands for, as the YAML of a `protection` section.
    public var settings: String {
        switch self {
        case .nhs:
            return """
                primary:
                  frequency: {threshold: 8, comparator: "<"}
                  zeros: publish
                secondary:
                  frequency_protection: threshold
                rounding: {method: conventional, base: 5, margins: rounded}
                display: {withheld: "*", not_applicable: "-"}
                percentages: {decimals: 1, whole_below: 4000}
                """
        case .dfe:
            return """
                primary:
                  frequency: {threshold: 6, comparator: "<"}
                  zeros: publish
                secondary:
                  frequency_protection: threshold
                rounding: {method: conventional, base: 10, margins: rounded, levels: {depth: 1}}
                display: {withheld: c, not_applicable: z, rounds_to_zero: k}
                percentages: {decimals: 0}
                """
        case .ofqual:
            return """
                primary:
                  frequency: {threshold: 5, comparator: "<"}
                  zeros: publish
                secondary:
                  frequency_protection: band
                rounding: {method: conventional, base: 5, margins: rounded}
                display: {withheld: "[c]", small: "fewer than {threshold}", not_applicable: "[z]"}
                percentages: {decimals: 1}
                """
        case .onsSRS:
            return """
                primary:
                  frequency: {threshold: 10, comparator: "<"}
                  zeros: publish
                  dominance: {n: 1, k: 50, comparator: ">="}
                  p_percent: {p: 10, comparator: "<"}
                secondary:
                  frequency_protection: threshold
                display: {withheld: "[c]", not_applicable: "[z]"}
                percentages: {decimals: 1}
                """
        }
    }
}
