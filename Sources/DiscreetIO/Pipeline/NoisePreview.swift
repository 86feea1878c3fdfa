import DiscreetCore
import Foundation

/// What a release with noise will cost and how accurate its figures will be, from the spec
/// alone: no data is read and no budget is spent. The bounds are those of the raw noise;
/// post-processing adds the move it makes, which depends on the noise and is stated per
/// figure in the release.
public struct NoisePreview: Sendable {
    /// One published table, or an indicator's numerator or denominator.
    public struct Figures: Sendable {
        public var name: String
        public var cells: Int
        /// The smallest and largest error bound of its figures (the finest cells', and the
        /// grand total's).
        public var finest: Int64
        public var largest: Int64
        /// Decimal places of the figures (a sum's column's; 0 for counts).
        public var places: Int
    }

    public var spec: NoiseSpec
    /// The mechanism of a table of counts (a sum's is scaled by its sensitivity).
    public var mechanism: CountNoise
    /// The tables noised: one per cohort.
    public var shares: Int
    /// Per cohort, its part of the spend.
    public var cohortShares: [Rational]
    public var tables: [Figures]
    public var indicators: [(name: String, numerator: Figures, denominator: Figures)]
    /// The dataset's budget as the ledger holds it, where the ledger exists and knows it.
    public var budget: BudgetState?

    /// The preview of a plan's noise; nil when the spec has none.
    public init?(plan: ReleasePlan) throws(LedgerError) {
        guard let noise = plan.spec.protection.noise else { return nil }
        spec = noise
        shares = plan.cohorts.count
        cohortShares = plan.noiseShares(noise)
        mechanism = noise.mechanism(shares: shares)
        // Per cohort, each cell's bound over its finest published table.
        var cohortBounds: [(shape: TableShape, bounds: [Int64])] = []
        for c in plan.cohorts.indices {
            let planned = ReleasePipeline.noisePlan(plan, noise, cohort: c, share: cohortShares[c])
            switch noise.strategy {
            case .finest: cohortBounds.append((planned.shape, NoisyTable.errorBounds(shape: planned.shape, noise: planned.mechanism, alpha: noise.alpha)))
            case .levels:
                // Each figure's own draw (the reconciliation's move comes with the noise).
                let own = Int64(planned.mechanism.errorBound(cells: 1, alpha: noise.alpha).rounded(.up))
                cohortBounds.append((planned.shape, [Int64](repeating: own, count: planned.shape.cellCount)))
            }
        }
        func figures(_ t: Int) -> Figures {
            let planned = plan.tables[t]
            let (shape, bounds) = cohortBounds[planned.cohort]
            let cells = ReleasePlan.projection(
                table: planned.shape, dimensions: planned.dimensions, cohort: shape, cohortDimensions: plan.cohorts[planned.cohort].publishedDimensions)
            let b = cells.map { bounds[$0] }
            return Figures(
                name: planned.name, cells: cells.count, finest: b.min() ?? 0, largest: b.max() ?? 0, places: plan.cohorts[planned.cohort].measure.places)
        }
        tables = plan.tables.indices.filter { plan.tables[$0].declared }.map(figures)
        indicators = plan.indicators.map { ($0.spec.name, figures($0.numerator), figures($0.denominator)) }
        // Read the ledger only where it exists: a preview makes nothing.
        if FileManager.default.fileExists(atPath: noise.ledger) {
            budget = try PrivacyLedger(path: noise.ledger).budgets().first { $0.dataset == noise.dataset }
        }
    }
}

extension ReleasePlan {
    /// Per cohort, the part of a noisy release's spend it takes; they add up to the whole.
    ///
    /// Without weights, equal parts. With them, each cohort's weight is the sum of the
    /// weights of the declared tables and the indicators it serves (an indicator gives its
    /// weight to its numerator's cohort and its denominator's; a name not weighted weighs
    /// 1), and the spend is split in proportion.
    public func noiseShares(_ noise: NoiseSpec) -> [Rational] {
        guard !noise.weights.isEmpty else { return cohorts.map { _ in noise.amount / Rational(cohorts.count) } }
        var weight = [Rational](repeating: .zero, count: cohorts.count)
        for table in tables where table.declared { weight[table.cohort] = weight[table.cohort] + (noise.weights[table.name] ?? 1) }
        for indicator in indicators {
            let w = noise.weights[indicator.spec.name] ?? 1
            for t in Set([indicator.numerator, indicator.denominator].map { tables[$0].cohort }) { weight[t] = weight[t] + w }
        }
        let total = weight.reduce(Rational.zero, +)
        return weight.map { noise.amount * $0 / total }
    }
}

extension NoiseRun {
    /// What each cohort spends, as text: one fraction where they are equal, else the range.
    public var shareText: String { NoiseRun.shareText(cohortShares) }

    public static func shareText(_ shares: [Rational]) -> String {
        guard let least = shares.min(), let most = shares.max() else { return "0" }
        return least == most ? least.description : "\(least) to \(most)"
    }
}
