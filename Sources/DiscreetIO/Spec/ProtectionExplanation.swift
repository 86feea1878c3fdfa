import DiscreetCore
import Foundation

/// The protection settings a spec resolves to, every default and preset setting spelled
/// out, as the YAML of a `protection` section (what `discreet validate --explain` prints).
/// Pasted into a spec in place of the preset, it protects the same way.
public enum ProtectionExplanation {
    public static func render(_ protection: ProtectionSpec) -> String {
        var lines: [String] = []
        if let preset = protection.preset {
            lines.append("# preset '\(preset.rawValue)', with the spec's own settings laid over it")
        }
        lines.append("protection:")
        let p = protection.primary
        lines.append("  primary:")
        if let f = p.frequency {
            lines.append("    frequency: {threshold: \(f.threshold), comparator: \(quoted(f.comparator.rawValue))}"
                + "    # sensitive when 0 < people \(f.comparator.rawValue) \(f.threshold)")
        }
        lines.append("    zeros: \(p.zeros.rawValue)")
        if !p.dominance.isEmpty {
            lines.append("    dominance:")
            for d in p.dominance { lines.append("      - {n: \(d.n), k: \(d.k), comparator: \(quoted(d.comparator.rawValue))}") }
        }
        if let r = p.pPercent { lines.append("    p_percent: {p: \(r.p), comparator: \(quoted(r.comparator.rawValue))}") }
        if let r = p.pq { lines.append("    pq: {p: \(r.p), q: \(r.q), comparator: \(quoted(r.comparator.rawValue))}") }
        let s = protection.secondary
        lines.append("  secondary:")
        lines.append("    method: \(s.method.rawValue)")
        switch s.frequency {
        case .reachThreshold: lines.append("    frequency_protection: threshold")
        case .band: lines.append("    frequency_protection: band")
        case .fixed(let upper, let lower): lines.append("    frequency_protection: {upper: \(upper), lower: \(lower)}")
        }
        lines.append("    singletons: \(s.singletons ? "protect" : "ignore")")
        lines.append("    cost: \(s.cost.rawValue)")
        lines.append("    effort: \(s.effort)")
        if !s.weights.isEmpty {
            lines.append("    weights:")
            for (dimension, codes) in s.weights.sorted(by: { $0.key < $1.key }) {
                let items = codes.sorted { $0.key < $1.key }.map { "\(quoted($0.key)): \($0.value)" }
                lines.append("      \(dimension): {\(items.joined(separator: ", "))}")
            }
        }
        if let r = protection.rounding {
            var items = ["method: \(r.method.rawValue)", "base: \(r.base)"]
            if r.method != .controlled { items.append("margins: \(r.margins.rawValue)") }
            if let levels = r.levels { items.append("levels: {dimension: \(levels.dimension), depth: \(levels.depth)}") }
            if let sums = r.sums { items.append("sums: \(sums)") }
            lines.append("  rounding: {\(items.joined(separator: ", "))}"
                + "    # a published R means a true value from R - \(r.below) to R + \(r.above)")
        }
        let d = protection.display
        var symbols = ["withheld: \(quoted(d.withheld))"]
        if let small = d.small { symbols.append("small: \(quoted(small))") }
        symbols.append("not_applicable: \(quoted(d.notApplicable))")
        if let zero = d.roundsToZero { symbols.append("rounds_to_zero: \(quoted(zero))") }
        lines.append("  display: {\(symbols.joined(separator: ", "))}")
        var percentages = ["decimals: \(protection.percentDecimals)"]
        if let below = protection.percentWholeBelow { percentages.append("whole_below: \(below)") }
        lines.append("  percentages: {\(percentages.joined(separator: ", "))}    # from the published figures")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted string.
    public static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
