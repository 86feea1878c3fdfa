/// A percentage as a dashboard shows it, computed from the published numerator and
/// denominator only, never from withheld true values.
public enum PublishedPercentage: Sendable, Hashable {
    /// The percentage, scaled by 10^decimals and rounded half up.
    case value(Int64, decimals: Int)
    /// Withheld because its numerator or denominator is withheld.
    case withheld
    /// The denominator is zero: there is nothing to take a percentage of.
    case notApplicable

    /// The status written in outputs.
    public var status: String {
        switch self {
        case .value: return "published"
        case .withheld: return "withheld"
        case .notApplicable: return "not_applicable"
        }
    }

    /// The text written in outputs (empty unless published).
    public var text: String {
        if case .value(let v, let decimals) = self { return ScaledDecimal.format(v, places: decimals) }
        return ""
    }
}

/// A numerator larger than its denominator: an error in the spec (the numerator cohort is
/// not within the denominator cohort) or in the data. Reported, never printed.
public struct PercentageOverflow: Error, Sendable, Equatable {}

/// Percentages of published figures.
public enum Percentage {
    /// The percentage `100 · numerator / denominator` with `decimals` places, rounded half up.
    ///
    /// - Parameters:
    ///   - numerator: the published numerator, or `nil` when it is withheld.
    ///   - denominator: the published denominator, or `nil` when it is withheld.
    /// - Throws: ``PercentageOverflow`` when the numerator exceeds the denominator (a
    ///   percentage over 100 is never printed).
    public static func of(numerator: Int64?, denominator: Int64?, decimals: Int) throws(PercentageOverflow) -> PublishedPercentage {
        precondition((0...6).contains(decimals))
        if let numerator, let denominator, numerator > denominator { throw PercentageOverflow() }
        guard let numerator, let denominator else { return .withheld }
        guard denominator > 0 else { return .notApplicable }
        precondition(numerator >= 0)
        let scale = Int128(ScaledDecimal.unit(decimals))
        // round(100 · scale · n / d) half up = floor((200 · scale · n + d) / (2d))
        let n = Int128(numerator)
        let d = Int128(denominator)
        let value = (200 * scale * n + d) / (2 * d)
        return .value(Int64(value), decimals: decimals)
    }
}
