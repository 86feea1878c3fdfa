import DiscreetCore
import Dispatch
import Foundation
import Synchronization

/// Why a release was not written. Each case maps to a documented exit code.
public enum ReleaseError: Error, Sendable {
    /// The spec has problems (exit 2).
    case spec(SpecProblems)
    /// An input cannot be read, or has a bad row and the run stops at bad rows (exit 3).
    case input(IngestError)
    /// A numerator exceeds its denominator: the spec or the data is wrong (exit 3).
    case inconsistent([String])
    /// The audit found the protected release unsafe (exit 4).
    case refused([AuditFinding])
    /// The release could not be written (exit 1).
    case output(String)
}

/// Where the randomness of random rounding comes from.
public enum RandomnessSource: Sendable, Hashable {
    /// The operating system's cryptographic generator: the only source for a release.
    case operatingSystem
    /// A seeded, predictable generator, for tests and for reproducing a run; a release made
    /// with it says so in its manifest.
    case reproducible(seed: UInt64)
}

/// A release computed and audited, not yet written.
public struct ProtectedRelease: Sendable {
    public let plan: ReleasePlan
    public let ingest: IngestResult
    /// One per planned table, in plan order.
    public let tables: [ProtectedTable]
    /// One per planned indicator, in plan order.
    public let indicators: [IndicatorFigures]
    public let identity: ReleaseIdentity
    public let onError: ErrorPolicy
    public let randomness: RandomnessSource
    /// Whether any figure was drawn at random.
    public let randomnessUsed: Bool
    /// Where the policy could not be applied as asked and its documented fallback was
    /// used (controlled rounding, small counts shown as such), and why.
    public let fallbacks: [String]
    /// Per cohort, whether its small counts are shown as such ("fewer than 5").
    public let showsSmallCounts: [Bool]
    /// What the audit found; a release is written only when this is empty.
    public let findings: [AuditFinding]
}

/// The release pipeline: read the extracts, aggregate into tables with all their margins,
/// apply the protection policy, audit, write. Every path that writes a release goes
/// through ``protect(specPath:inputs:options:destination:)``.
public enum ReleasePipeline {
    /// Loads and checks a spec, and plans the release.
    public static func plan(specPath: String) throws(ReleaseError) -> ReleasePlan {
        do {
            return try ReleasePlan(spec: try SpecReader.load(path: specPath))
        } catch {
            throw .spec(error)
        }
    }

    /// Reads, aggregates, protects and audits; writes nothing.
    public static func compute(
        plan: ReleasePlan, inputs: [InputSpec], options: IngestOptions, randomness: RandomnessSource = .operatingSystem
    ) throws(ReleaseError) -> ProtectedRelease {
        guard !inputs.isEmpty else {
            throw .input(.input("no inputs: list them under 'inputs' in the spec or pass --input"))
        }
        let ingest: IngestResult
        do {
            ingest = try Ingest(plan: plan, options: options).run(inputs: inputs)
        } catch {
            throw .input(error)
        }
        let truth = plan.tables.indices.map { plan.project(ingest.cohorts[plan.tables[$0].cohort], table: $0) }
        // A numerator above its denominator means the cohorts are wrong: never print it.
        var inconsistent: [String] = []
        for indicator in plan.indicators {
            let bad = Set(IndicatorFigures.inconsistentCells(numerator: truth[indicator.numerator], denominator: truth[indicator.denominator]))
            let cells = plan.tables[indicator.numerator].shape.displayOrder().filter(bad.contains)
            for cell in cells.prefix(5) {
                inconsistent.append(
                    "indicator '\(indicator.spec.name)', cell (\(plan.tables[indicator.numerator].shape.codes(of: cell).joined(separator: ", "))): "
                        + "the numerator exceeds the denominator; is the numerator cohort within the denominator cohort?")
            }
            if cells.count > 5 { inconsistent.append("indicator '\(indicator.spec.name)': \(cells.count - 5) more cells like these") }
        }
        if !inconsistent.isEmpty { throw .inconsistent(inconsistent) }

        // Protect each cohort table: primary rules, then secondary suppression with a
        // certificate for every sensitive cell, then the exact audit of those certificates.
        let protection = plan.spec.protection
        let cohorts = ingest.cohorts
        // Cohorts are independent: protect them on every core, the largest first.
        let order = plan.cohorts.indices.sorted { plan.cohorts[$0].shape.cellCount > plan.cohorts[$1].shape.cellCount }
        let next = Mutex(0)
        let results = Mutex([Int: CohortProtection]())
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.workers, order.count))) { _ in
            while true {
                let i = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                guard i < order.count else { break }
                let c = order[i]
                let result = protectCohort(plan: plan, cohort: c, table: cohorts[c], protection: protection)
                results.withLock { $0[c] = result }
            }
        }
        let protected = results.withLock { $0 }
        var statuses: [[CellStatus]] = []
        var findings: [AuditFinding] = []
        var fallbacks: [String] = []
        for c in plan.cohorts.indices {
            statuses.append(protected[c]!.statuses)
            findings += protected[c]!.findings
            if protection.display.small != nil && !protected[c]!.showsSmall && !plan.cohorts[c].measure.isMagnitude {
                fallbacks.append("\(plan.describe(cohort: c)): showing small counts as such would have let some be worked out exactly; they are shown as withheld")
            }
        }
        // Round the published counts, cohort by cohort, after suppression: withheld cells
        // take no part, so their true values never enter a published figure.
        var roundings = [(figures: RoundedCohort, rules: RoundedFigureRules)?](repeating: nil, count: plan.cohorts.count)
        var randomnessUsed = false
        if let counts = roundingRules(protection) {
            var system = SystemRandomNumberGenerator()
            var seeded = ReproducibleGenerator(seed: 0)
            if case .reproducible(let seed) = randomness { seeded = ReproducibleGenerator(seed: seed) }
            for (c, cohort) in plan.cohorts.enumerated() {
                // Counts, or the sums of a magnitude table where `sums` gives their base.
                let rules = cohort.measure.isMagnitude ? counts.policy.forSums(places: cohort.measure.places).map { RoundedFigureRules(policy: $0) } : counts
                guard let rules else { continue }
                let projections = cohort.tables.map { (shape: plan.tables[$0].shape, cells: plan.tables[$0].cohortCells) }
                let withheld = statuses[c].map { $0.disposition.isWithheld }
                func round<G: RandomNumberGenerator>(using generator: inout G) -> RoundedCohort {
                    CohortRounding.round(
                        values: cohorts[c].values, shape: cohort.shape, published: cohort.published, withheld: withheld, tables: projections,
                        policy: rules.policy, using: &generator)
                }
                let rounded: RoundedCohort
                switch randomness {
                case .operatingSystem: rounded = round(using: &system)
                case .reproducible: rounded = round(using: &seeded)
                }
                randomnessUsed = randomnessUsed || (rules.policy.method == .random && rounded.rounded.contains(true))
                for remark in [rounded.fallback, rounded.note].compactMap({ $0 }) { fallbacks.append("\(plan.describe(cohort: c)): \(remark)") }
                roundings[c] = (rounded, rules)
            }
        }
        let smallCountsUpTo = protection.display.small != nil ? protection.primary.frequency.map(FrequencyProtection.largestSmall) : nil
        let tables = plan.tables.indices.map { t in
            let planned = plan.tables[t]
            let rounding = roundings[planned.cohort].map { r in
                TableRounding(rules: r.rules, values: planned.cohortCells.map { r.figures.values[$0] }, rounded: planned.cohortCells.map { r.figures.rounded[$0] })
            }
            return ProtectedTable(
                name: planned.name, data: truth[t], statuses: planned.cohortCells.map { statuses[planned.cohort][$0] }, rounding: rounding,
                smallCountsUpTo: protected[planned.cohort]!.showsSmall ? smallCountsUpTo : nil,
                withheldCountsAtLeast: protected[planned.cohort]!.withheldCountsAtLeast)
        }
        var indicators: [IndicatorFigures] = []
        for indicator in plan.indicators {
            do {
                indicators.append(try IndicatorFigures(
                    numerator: indicator.numerator, denominator: indicator.denominator, tables: tables, decimals: indicator.decimals,
                    wholeBelow: protection.percentWholeBelow))
            } catch {
                throw .inconsistent(["indicator '\(indicator.spec.name)': a published numerator exceeds its published denominator"])
            }
        }
        findings += ReleaseAudit.run(
            tables: tables, indicators: zip(plan.indicators, indicators).map { ($0.spec.name, $1) }, primary: protection.primary)
        return ProtectedRelease(
            plan: plan, ingest: ingest, tables: tables, indicators: indicators,
            identity: ReleaseIdentity(spec: plan.spec, inputs: ingest.inputs), onError: options.onError, randomness: randomness,
            randomnessUsed: randomnessUsed, fallbacks: fallbacks,
            showsSmallCounts: plan.cohorts.indices.map { protected[$0]!.showsSmall }, findings: findings)
    }

    /// One cohort table's protection.
    struct CohortProtection: Sendable {
        var statuses: [CellStatus]
        var findings: [AuditFinding]
        /// Whether small counts are shown as such ("fewer than 5") in its tables.
        var showsSmall: Bool
        /// The least count anyone can tell a withheld cell has.
        var withheldCountsAtLeast: Int64
    }

    /// Protects one cohort table: primary rules, then secondary suppression with a
    /// certificate for every sensitive cell, then the exact audit of those certificates.
    ///
    /// Where small counts are shown as such, everyone knows each lies between 1 and the
    /// largest small count, and together those ranges can pin one down. When no pattern of
    /// suppressions prevents that, the cohort's small counts are shown as withheld instead,
    /// and protected as any withheld count.
    static func protectCohort(plan: ReleasePlan, cohort c: Int, table: AggregatedTable, protection: ProtectionSpec) -> CohortProtection {
        func least(_ secondary: SecondaryPolicy) -> Int64 {
            SuppressionProblem.withheldCountsAtLeast(primary: protection.primary, secondary: secondary, measure: table.measure)
        }
        let first = protectCohort(plan: plan, cohort: c, table: table, secondary: protection.secondary, protection: protection)
        let band = protection.secondary.frequency == .band && !table.measure.isMagnitude
        guard band, !first.findings.isEmpty else {
            return CohortProtection(statuses: first.statuses, findings: first.findings, showsSmall: band, withheldCountsAtLeast: least(protection.secondary))
        }
        var plain = protection.secondary
        plain.frequency = .reachThreshold
        let second = protectCohort(plan: plan, cohort: c, table: table, secondary: plain, protection: protection)
        return CohortProtection(statuses: second.statuses, findings: second.findings, showsSmall: false, withheldCountsAtLeast: least(plain))
    }

    /// What the release's rounded counts will tell (nil without rounding).
    static func roundingRules(_ protection: ProtectionSpec) -> RoundedFigureRules? {
        protection.rounding.map { RoundedFigureRules(policy: $0, marksNotZero: protection.display.roundsToZero != nil, primary: protection.primary) }
    }

    static func protectCohort(
        plan: ReleasePlan, cohort c: Int, table: AggregatedTable, secondary: SecondaryPolicy, protection: ProtectionSpec
    ) -> (statuses: [CellStatus], findings: [AuditFinding]) {
        let cohort = plan.cohorts[c]
        let problem = SuppressionProblem(
            table: table, published: cohort.published, primary: protection.primary, secondary: secondary, rounding: roundingRules(protection))
        var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
        do {
            try suppressor.run()
        } catch {
            let finding = AuditFinding(kind: .unprotectable, table: plan.describe(cohort: c), cell: cohort.shape.codes(of: error.cell))
            return (problem.statuses, [finding])
        }
        let result = suppressor.statuses
        let failures = CertificateAudit.verify(problem: suppressor.problem, statuses: result, certificates: suppressor.certificates, singletons: secondary.singletons)
        let findings = failures.map { failure in
            AuditFinding(kind: .unproven(failure.reason), table: plan.describe(cohort: c), cell: cohort.shape.codes(of: failure.cell))
        }
        return (result, findings)
    }

    /// Computes a release and, if the audit passes, writes it atomically to `destination`.
    public static func protect(
        plan: ReleasePlan, inputs: [InputSpec], options: IngestOptions, destination: ReleaseDirectory, created: Date = Date(),
        randomness: RandomnessSource = .operatingSystem
    ) throws(ReleaseError) -> ProtectedRelease {
        do {
            try destination.checkDestination()
        } catch {
            throw .output(error.description)
        }
        let release = try compute(plan: plan, inputs: inputs, options: options, randomness: randomness)
        guard release.findings.isEmpty else { throw .refused(release.findings) }
        do {
            try destination.write(ReleaseFiles.render(release, created: created))
        } catch {
            throw .output(error.description)
        }
        return release
    }
}
