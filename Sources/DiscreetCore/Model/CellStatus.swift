/// The primary rules a cell failed.
public struct PrimaryRuleSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Fewer contributors than the minimum frequency.
    public static let frequency = PrimaryRuleSet(rawValue: 1 << 0)
    /// A true zero, withheld because zeros are not publishable.
    public static let zero = PrimaryRuleSet(rawValue: 1 << 1)
    /// The largest contributions exceed the (n,k) dominance share.
    public static let dominance = PrimaryRuleSet(rawValue: 1 << 2)
    /// The second-largest contributor could estimate the largest within p%.
    public static let pPercent = PrimaryRuleSet(rawValue: 1 << 3)
    /// The (p,q) prior-posterior rule.
    public static let pq = PrimaryRuleSet(rawValue: 1 << 4)

    /// Every rule, in report order, with its name in outputs.
    public static let named: [(rule: PrimaryRuleSet, name: String)] = [
        (.frequency, "frequency"), (.zero, "zero"), (.dominance, "dominance"), (.pPercent, "p-percent"), (.pq, "pq"),
    ]

    /// The names of the rules in this set, in report order.
    public var names: [String] { Self.named.filter { contains($0.rule) }.map(\.name) }
}

/// What happens to a cell in a release.
public enum CellDisposition: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The value is published.
    case published
    /// Withheld because it failed a primary rule.
    case primary
    /// Withheld to protect another cell (complementary suppression).
    case secondary

    /// Whether the value is withheld.
    public var isWithheld: Bool { self != .published }

    /// The status written in outputs.
    public var description: String {
        switch self {
        case .published: return "published"
        case .primary: return "primary"
        case .secondary: return "secondary"
        }
    }
}

/// The protection status of one cell: its disposition and every primary rule it failed.
public struct CellStatus: Sendable, Hashable {
    public var disposition: CellDisposition
    public var failed: PrimaryRuleSet

    public init(disposition: CellDisposition = .published, failed: PrimaryRuleSet = []) {
        self.disposition = disposition
        self.failed = failed
    }

    public static let published = CellStatus()
}
