/// What secondary suppression minimises when it chooses complementary cells.
public enum SuppressionCost: String, Sendable, Hashable, CaseIterable {
    /// Least information lost (the default): a cell costs the number of published cells it
    /// adds up, itself included (an inner cell 1, a margin more than all of its children
    /// together), plus one per percent of its table's total that it holds. So totals and
    /// top-level groups are withheld only where the cells below them cannot do instead,
    /// and small cells before large ones.
    case figures
    /// Fewest cells first, then the smallest values.
    case cells
    /// The smallest total value withheld.
    case value
}

/// How secondary suppression searches for certificates.
public enum SuppressionMethod: String, Sendable, Hashable, CaseIterable {
    /// Products of one move per dimension, then cycles in the plane of each pair of
    /// dimensions (the default: fewer cells withheld).
    case cycles
    /// Products of one move per dimension only, like a hypercube method (faster on very
    /// large tables, withholds more).
    case products
}

/// The secondary-suppression settings of a release.
public struct SecondaryPolicy: Sendable, Hashable {
    public var method: SuppressionMethod
    public var frequency: FrequencyProtection
    /// Whether a cell's only contributor is assumed to know its value (and so may not be
    /// relied on to protect another cell).
    public var singletons: Bool
    public var cost: SuppressionCost
    /// Cost multipliers by dimension name and category code: a cell costs its cost times
    /// the weight of each of its categories (1 where none is given), so that a weight of 10
    /// on a total makes withholding it as costly as withholding ten other cells.
    public var weights: [String: [String: Int]]
    /// How much work the linear programmes that propose witnesses of any shape may do, in
    /// millions of simplex iterations times constraints (0: none, the route search alone).
    /// A count of work, not a clock, so that the pattern is the same on every machine.
    public var effort: Int

    /// The default ``effort``.
    public static let defaultEffort = 1_000

    public init(
        method: SuppressionMethod = .cycles, frequency: FrequencyProtection = .reachThreshold, singletons: Bool = true, cost: SuppressionCost = .figures,
        weights: [String: [String: Int]] = [:], effort: Int = SecondaryPolicy.defaultEffort
    ) {
        self.weights = weights
        self.effort = effort
        self.method = method
        self.frequency = frequency
        self.singletons = singletons
        self.cost = cost
    }
}
