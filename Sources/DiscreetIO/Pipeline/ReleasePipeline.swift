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
    /// The privacy-budget ledger refused the release, or cannot be read; no noise was drawn
    /// (exit 4, or 3 where the ledger cannot be read).
    case budget(LedgerError)
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
    /// The cohorts as one hidden table, with the relations the data bears out (the plan's,
    /// less any disjointness some people's rows contradict).
    public let layout: CohortLayout
    /// Per planned table, per cell: whether it is withheld to protect a figure of another
    /// cohort or a group counted by subtraction (a relation between cohorts).
    public let crossCohort: [[Bool]]
    /// The groups an attacker can count by subtraction that the rules call sensitive, and
    /// how each was protected.
    public let sensitiveGroups: Int
    /// What the audit found; a release is written only when this is empty.
    public let findings: [AuditFinding]
    /// Per component of linked cohorts that has sensitive items (largest first), what the
    /// exact step of secondary suppression did.
    public let exactSteps: [OptimalPatternReport]
    /// How a differentially private release was noised (nil: not noised).
    public var noise: NoiseRun? = nil
    /// The cell key method's settings, where the release's counts are perturbed by it.
    public var cellKey: CellKeySpec? = nil

    /// The release's id: its identity's, or for a noisy release one of its own, since two
    /// runs on the same data draw different noise and each spends budget.
    public var releaseID: String { noise?.releaseID ?? identity.id }
}

/// How a differentially private release was made: the mechanism each cohort's table was
/// noised with, what was spent, and what the dataset has left.
public struct NoiseRun: Sendable {
    public var spec: NoiseSpec
    public var releaseID: String
    /// The mechanism of a table of counts spending an even share (what the summary names).
    public var mechanism: CountNoise
    /// Per cohort, the part of the release's spend it takes (``ReleasePlan/noiseShares(_:)``).
    public var cohortShares: [Rational]

    /// The number of cohorts the budget is split across.
    public var shares: Int { cohortShares.count }
    /// The dataset's budget after this release was recorded (nil: computed without a ledger,
    /// so nothing of it may be published).
    public var budget: BudgetState?
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

    /// The plan with its ledger elsewhere than the spec says (a command-line override).
    public static func withLedger(_ plan: ReleasePlan, at path: String) -> ReleasePlan {
        var plan = plan
        plan.spec.protection.noise?.ledger = path
        return plan
    }

    /// Reads, aggregates, protects and audits; writes nothing.
    ///
    /// A release with noise calls `charge` with what it will spend before it draws any noise
    /// (``protect(plan:inputs:options:destination:created:randomness:)`` records it in the
    /// ledger there); without `charge` the noisy figures are computed but nothing is recorded.
    public static func compute(
        plan: ReleasePlan, inputs: [InputSpec], options: IngestOptions, randomness: RandomnessSource = .operatingSystem, created: Date = Date(),
        charge: ((PrivacySpend) throws(ReleaseError) -> BudgetState)? = nil
    ) throws(ReleaseError) -> ProtectedRelease {
        guard !inputs.isEmpty else {
            throw .input(.input("no inputs: list them under 'inputs' in the spec or pass --input"))
        }
        var options = options
        switch plan.spec.protection.cellKey?.recordKeys {
        case .secret(let path):
            do {
                options.recordKey = CellKeySecret.recordKey(secret: try CellKeySecret.read(path: path))
            } catch {
                throw .input(error)
            }
        case .column(let name): options.recordKeyColumn = plan.spec.column(named: name)
        case nil: break
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
        if let cellKey = plan.spec.protection.cellKey {
            return try computePerturbed(plan: plan, ingest: ingest, truth: truth, cellKey: cellKey, options: options, randomness: randomness)
        }
        if let noise = plan.spec.protection.noise {
            return try computeNoisy(
                plan: plan, ingest: ingest, truth: truth, noise: noise, options: options, randomness: randomness, created: created, charge: charge)
        }

        // The relations the protection relies on must hold in the data.
        let layout = try checkedLayout(plan: plan, ingest: ingest)
        var fallbacks = plan.notes + layout.notes

        // Protect each component of linked cohorts: primary rules on every cell and every
        // group counted by subtraction, secondary suppression with a certificate for each
        // sensitive one, then the exact audit of those certificates.
        let protection = plan.spec.protection
        let cohorts = ingest.cohorts
        let components = Dictionary(grouping: plan.cohorts.indices, by: { plan.component[$0] }).values.map { $0.sorted() }
        // Components are independent: protect them on every core, the largest first.
        let order = components.sorted { a, b in
            let (x, y) = (a.reduce(0) { $0 + plan.cohorts[$1].shape.cellCount }, b.reduce(0) { $0 + plan.cohorts[$1].shape.cellCount })
            return x != y ? x > y : a[0] < b[0]
        }
        let next = Mutex(0)
        let results = Mutex([Int: ComponentProtection]())
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.workers, order.count))) { _ in
            while true {
                let i = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                guard i < order.count else { break }
                let result = protectComponent(plan: plan, layout: layout.layout, blocks: order[i], tables: cohorts, protection: protection)
                results.withLock { $0[i] = result }
            }
        }
        let protected = results.withLock { $0 }
        var statuses = [[CellStatus]](repeating: [], count: plan.cohorts.count)
        var crossCohortCells = [[Bool]](repeating: [], count: plan.cohorts.count)
        var showsSmall = [Bool](repeating: false, count: plan.cohorts.count)
        var least = [Int64](repeating: 0, count: plan.cohorts.count)
        var findings: [AuditFinding] = []
        var sensitiveGroups = 0
        var exactSteps: [OptimalPatternReport] = []
        for (i, blocks) in order.enumerated() {
            let result = protected[i]!
            findings += result.findings
            if let step = result.exactStep { exactSteps.append(step) }
            sensitiveGroups += result.sensitiveGroups
            for (k, c) in blocks.enumerated() {
                statuses[c] = result.statuses[k]
                crossCohortCells[c] = result.crossCohort[k]
                showsSmall[c] = result.showsSmall[k]
                least[c] = result.withheldCountsAtLeast[k]
                if protection.display.small != nil && protection.secondary.frequency == .band && !result.showsSmall[k] && !plan.cohorts[c].measure.isMagnitude {
                    fallbacks.append("\(plan.describe(cohort: c)): showing small counts as such would have let some be worked out exactly; they are shown as withheld")
                }
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
                smallCountsUpTo: showsSmall[planned.cohort] ? smallCountsUpTo : nil, withheldCountsAtLeast: least[planned.cohort])
        }
        let crossCohort = plan.tables.map { planned in planned.cohortCells.map { crossCohortCells[planned.cohort][$0] } }
        let indicators = try indicatorFigures(plan: plan, tables: tables)
        findings += ReleaseAudit.run(
            tables: tables, indicators: zip(plan.indicators, indicators).map { ($0.spec.name, $1) }, primary: protection.primary)
        findings += groupFindings(plan: plan, layout: layout.layout, tables: tables, primary: protection.primary)
        return ProtectedRelease(
            plan: plan, ingest: ingest, tables: tables, indicators: indicators,
            identity: ReleaseIdentity(spec: plan.spec, inputs: ingest.inputs), onError: options.onError, randomness: randomness,
            randomnessUsed: randomnessUsed, fallbacks: fallbacks, showsSmallCounts: showsSmall, layout: layout.layout, crossCohort: crossCohort,
            sensitiveGroups: sensitiveGroups, findings: findings, exactSteps: exactSteps)
    }

    /// A differentially private release: each cohort's finest published table noised once
    /// (with its share of the budget, recorded by `charge` before any draw), every table and
    /// indicator figure derived from it, post-processed, and each given its error bound.
    static func computeNoisy(
        plan: ReleasePlan, ingest: IngestResult, truth: [AggregatedTable], noise: NoiseSpec, options: IngestOptions, randomness: RandomnessSource,
        created: Date, charge: ((PrivacySpend) throws(ReleaseError) -> BudgetState)?
    ) throws(ReleaseError) -> ProtectedRelease {
        let identity = ReleaseIdentity(spec: plan.spec, inputs: ingest.inputs)
        // The mechanism of a table of counts (sums have their own, by their sensitivity).
        let mechanism = noise.mechanism(shares: plan.cohorts.count)
        // Two runs on the same data draw different noise and each spends budget: the id names
        // the run, not only what it read.
        let nonce: String
        switch randomness {
        case .operatingSystem:
            let words = RandomWords.operatingSystem()
            nonce = String(words.next(), radix: 16) + String(words.next(), radix: 16)
        case .reproducible(let seed): nonce = "reproducible seed \(seed)"
        }
        let releaseID = SHA256.hex(Array("\(identity.id)\n\(ISO8601DateFormatter().string(from: created))\n\(nonce)".utf8))
        let spend = PrivacySpend(
            releaseID: releaseID, dataset: noise.dataset, requester: noise.requester,
            tables: plan.tables.filter(\.declared).map(\.name) + plan.indicators.map(\.spec.name), mechanism: mechanism.name, accounting: noise.accounting,
            amount: noise.amount, specChecksum: identity.specSHA256, inputChecksums: ingest.inputs.map(\.sha256))
        // Recorded before any draw: a run that stops after this still counts as spent.
        let budget = try charge?(spend)

        var fallbacks = plan.notes
        let shares = plan.noiseShares(noise)
        var cohorts: [(shape: TableShape, figures: TableNoise)] = []
        for (c, cohort) in plan.cohorts.enumerated() {
            let planned = noisePlan(plan, noise, cohort: c, share: shares[c])
            let shape = planned.shape
            let cells = ReleasePlan.projection(table: shape, dimensions: cohort.publishedDimensions, cohort: cohort.shape, cohortDimensions: cohort.dimensions)
            let counts = cells.map { ingest.cohorts[c].values[$0] }
            let words: @Sendable (Int) -> RandomWords
            switch randomness {
            case .operatingSystem: words = { _ in RandomWords.operatingSystem() }
            case .reproducible(let seed): words = { RandomWords(seed: seed, stream: c << 24 | $0) }
            }
            let (figures, nearest) = noise.strategy == .levels
                ? ReconciledTable.measure(
                    counts, shape: shape, observed: planned.observed, noise: planned.mechanism, alpha: noise.alpha, threads: options.workers, words: words)
                : NoisyTable.measure(
                    counts, shape: shape, noise: planned.mechanism, postProcessing: noise.postProcessing(sumColumn: cohort.sumColumn), alpha: noise.alpha,
                    threads: options.workers, words: words)

            if nearest {
                fallbacks.append("\(plan.describe(cohort: c)): controlled rounding of its non-negative fit could not be applied; its cells were rounded to the nearest whole number (they still add up and none is negative)")
            }
            cohorts.append((shape, figures))
        }
        // Non-negative figures also agree between cohorts: no numerator above its denominator.
        if noise.postProcessing == .nonNegative {
            let agreeing = plan.cohorts.indices.map { c in
                CohortAgreement.Cohort(
                    shape: cohorts[c].shape, dimensions: plan.cohorts[c].publishedDimensions, countsPeople: !plan.cohorts[c].measure.isMagnitude,
                    empty: (plan.layout.zeros.cohorts[c] ?? []).reduce(into: [:]) { $0[$1.dimension, default: []].formUnion($1.leaves) })
            }
            var values = cohorts.map(\.figures.values)
            if CohortAgreement.agree(&values, cohorts: agreeing, relations: plan.layout.relations) {
                for c in cohorts.indices { cohorts[c].figures = cohorts[c].figures.moved(to: values[c]) }
            }
        }
        if let threshold = noise.suppressBelow {
            for c in cohorts.indices where !plan.cohorts[c].measure.isMagnitude { cohorts[c].figures = cohorts[c].figures.withholding(below: threshold) }
        }
        let tables = plan.tables.indices.map { t in
            let planned = plan.tables[t]
            let (shape, figures) = cohorts[planned.cohort]
            let cells = ReleasePlan.projection(
                table: planned.shape, dimensions: planned.dimensions, cohort: shape, cohortDimensions: plan.cohorts[planned.cohort].publishedDimensions)
            return ProtectedTable(
                name: planned.name, data: truth[t], statuses: [CellStatus](repeating: .published, count: planned.shape.cellCount),
                noise: TableNoise(
                    values: cells.map { figures.values[$0] }, errorBounds: cells.map { figures.errorBounds[$0] },
                    halfChanceBounds: cells.map { figures.halfChanceBounds[$0] }, belowThreshold: cells.map { figures.belowThreshold[$0] }))
        }
        var release = try measuredRelease(
            plan: plan, ingest: ingest, tables: tables, identity: identity, options: options, randomness: randomness, randomnessUsed: true,
            fallbacks: fallbacks, nonNegative: noise.postProcessing == .nonNegative)
        release.noise = NoiseRun(spec: noise, releaseID: releaseID, mechanism: mechanism, cohortShares: shares, budget: budget)
        return release
    }

    /// A release by the cell key method: every count plus the perturbation its cell's key
    /// selects in the perturbation table; the same people, the same perturbation, in every
    /// table and release made with the same secret.
    static func computePerturbed(
        plan: ReleasePlan, ingest: IngestResult, truth: [AggregatedTable], cellKey: CellKeySpec, options: IngestOptions, randomness: RandomnessSource
    ) throws(ReleaseError) -> ProtectedRelease {
        let table = cellKey.table
        let bound = table.largestPerturbation
        let tables = plan.tables.indices.map { t in
            let planned = plan.tables[t]
            let counts = ingest.cohorts[planned.cohort].values
            let keys = ingest.cellKeys[planned.cohort]
            var noise = TableNoise(
                values: planned.cohortCells.map { counts[$0] + table.perturbation(count: counts[$0], cellKey: keys[$0]) },
                errorBounds: [Int64](repeating: bound, count: planned.shape.cellCount))
            noise.perturbed = true
            return ProtectedTable(
                name: planned.name, data: truth[t], statuses: [CellStatus](repeating: .published, count: planned.shape.cellCount), noise: noise)
        }
        var release = try measuredRelease(
            plan: plan, ingest: ingest, tables: tables, identity: ReleaseIdentity(spec: plan.spec, inputs: ingest.inputs), options: options,
            randomness: randomness, randomnessUsed: false, fallbacks: plan.notes, nonNegative: true)
        release.cellKey = cellKey
        return release
    }

    /// Every indicator's percentages from the release's published figures.
    static func indicatorFigures(plan: ReleasePlan, tables: [ProtectedTable]) throws(ReleaseError) -> [IndicatorFigures] {
        var indicators: [IndicatorFigures] = []
        for indicator in plan.indicators {
            do {
                indicators.append(try IndicatorFigures(
                    numerator: indicator.numerator, denominator: indicator.denominator, tables: tables, decimals: indicator.decimals,
                    wholeBelow: plan.spec.protection.percentWholeBelow))
            } catch {
                throw .inconsistent(["indicator '\(indicator.spec.name)': a published numerator exceeds its published denominator"])
            }
        }
        return indicators
    }

    /// A release whose every figure is measured (noisy or perturbed), none withheld: its
    /// indicators, and the audit of what it publishes.
    static func measuredRelease(
        plan: ReleasePlan, ingest: IngestResult, tables: [ProtectedTable], identity: ReleaseIdentity, options: IngestOptions, randomness: RandomnessSource,
        randomnessUsed: Bool, fallbacks: [String], nonNegative: Bool
    ) throws(ReleaseError) -> ProtectedRelease {
        let indicators = try indicatorFigures(plan: plan, tables: tables)
        let named = zip(plan.indicators, indicators).map { (name: $0.spec.name, figures: $1) }
        let findings = NoisyReleaseAudit.run(tables: tables, indicators: named, nonNegative: nonNegative)
            + ReleaseAudit.run(tables: tables, indicators: named.map { ($0.name, $0.figures) }, primary: PrimaryPolicy())
        return ProtectedRelease(
            plan: plan, ingest: ingest, tables: tables, indicators: indicators, identity: identity, onError: options.onError, randomness: randomness,
            randomnessUsed: randomnessUsed, fallbacks: fallbacks, showsSmallCounts: plan.cohorts.map { _ in false }, layout: plan.layout,
            crossCohort: plan.tables.map { [Bool](repeating: false, count: $0.shape.cellCount) }, sensitiveGroups: 0, findings: findings, exactSteps: [])
    }

    /// How one cohort of a noisy release is noised.
    struct CohortNoise {
        /// Its finest table: the dimensions its tables publish, each person in one cell.
        var shape: TableShape
        /// The cells of `shape` some table or indicator publishes.
        var observed: [Bool]
        /// Its mechanism: its share of the budget, divided by a sum's sensitivity and, for
        /// the `levels` strategy, by the most published figures one person is in.
        var mechanism: CountNoise
    }

    /// - Parameter share: the cohort's part of the spend (``ReleasePlan/noiseShares(_:)``).
    static func noisePlan(_ plan: ReleasePlan, _ noise: NoiseSpec, cohort c: Int, share: Rational) -> CohortNoise {
        let cohort = plan.cohorts[c]
        let dims = cohort.publishedDimensions
        let shape = TableShape(dimensions: dims.map { plan.spec.dimensions[$0].dimension })!
        var observed = [Bool](repeating: false, count: shape.cellCount)
        for t in cohort.tables {
            let table = plan.tables[t]
            for cell in ReleasePlan.projection(table: table.shape, dimensions: table.dimensions, cohort: shape, cohortDimensions: dims) { observed[cell] = true }
        }
        var mechanism = noise.mechanism(share: share, sumColumn: cohort.sumColumn)
        if noise.strategy == .levels { mechanism = mechanism.dividingBudget(by: ReconciledTable.sensitivity(shape: shape, observed: observed)) }
        return CohortNoise(shape: shape, observed: observed, mechanism: mechanism)
    }

    /// The plan's layout, less what some people's rows contradict: disjointness (two
    /// partners recording different residences put one person in two cohorts the filters
    /// keep apart), and categories the filters leave empty (a person whose rows put them in
    /// the 14-17 band and, by another row, in a cohort aged 18 or over). Throws when a
    /// numerator is not within its denominator in the data.
    static func checkedLayout(plan: ReleasePlan, ingest: IngestResult) throws(ReleaseError) -> (layout: CohortLayout, notes: [String]) {
        var layout = plan.layout
        var notes: [String] = []
        let counts = ingest.cohorts.flatMap { t in (0..<t.shape.cellCount).map { t.contributors($0) } }
        let dims = plan.spec.dimensions
        func describe(_ fact: StructuralZeros.Leaves) -> String {
            let dim = dims[fact.dimension]
            return "\(fact.leaves.sorted().map { "'\(dim.dimension.codes[$0])'" }.joined(separator: ", ")) of '\(dim.name)'"
        }
        func rebuild(_ relations: CohortRelations, _ zeros: StructuralZeros) {
            layout = CohortLayout(
                dimensions: dims.map(\.dimension), cohorts: layout.blocks.map { ($0.published, $0.measure) }, relations: relations, zeros: zeros,
                keep: layout.blocks.map(\.dimensions))
        }
        while true {
            // Categories the filters leave empty must be empty in the data.
            var zeros = layout.zeros
            for (c, facts) in layout.zeros.cohorts {
                let block = layout.blocks[c]
                let kept = facts.filter { fact in
                    guard let k = block.dimensions.firstIndex(of: fact.dimension) else { return true }
                    let empty = CohortLayout.emptyNodes(block.shape.dimensions[k], fact.leaves)
                    return (0..<block.shape.cellCount).allSatisfy { cell in
                        !empty[(cell / block.shape.strides[k]) % block.shape.dimensions[k].nodeCount] || counts[layout.global(c, cell)] == 0
                    }
                }
                for fact in facts where !kept.contains(fact) {
                    notes.append("\(plan.describe(cohort: c)): its filter leaves nobody in \(describe(fact)), but some people's rows put them there; that is not assumed")
                }
                zeros.cohorts[c] = kept.isEmpty ? nil : kept
            }
            let complements = layout.complements(counts: counts)
            for (f, family) in layout.families.enumerated() {
                let key = [family.parent] + family.parts.sorted()
                guard let facts = layout.zeros.complements[key] else { continue }
                let kept = facts.filter { fact in
                    guard let k = family.dimensions.firstIndex(of: fact.dimension) else { return true }
                    let empty = CohortLayout.emptyNodes(family.shape.dimensions[k], fact.leaves)
                    return (0..<family.shape.cellCount).allSatisfy { h in
                        !empty[(h / family.shape.strides[k]) % family.shape.dimensions[k].nodeCount] || complements[f][h] == 0
                    }
                }
                for fact in facts where !kept.contains(fact) {
                    notes.append("\(plan.describe(cohort: family.parent)): its filter puts everyone in \(describe(fact)) in \(family.parts.map { "'\(plan.cohorts[$0].label)'" }.joined(separator: ", ")), but some people's rows do not; that is not assumed")
                }
                zeros.complements[key] = kept.isEmpty ? nil : kept
            }
            if zeros != layout.zeros {
                rebuild(layout.relations, zeros)
                continue
            }
            guard let f = layout.families.indices.first(where: { complements[$0].contains { $0 < 0 } }) else { break }
            let family = layout.families[f]
            guard family.parts.count > 1 else {
                // A containment the data contradicts: only an indicator can state one the
                // filters do not prove.
                let names = plan.indicators.filter { plan.tables[$0.numerator].cohort == family.parts[0] && plan.tables[$0.denominator].cohort == family.parent }
                    .map { "indicator '\($0.spec.name)'" }
                throw .inconsistent([
                    "\(names.first ?? plan.describe(cohort: family.parts[0])): some people are in the numerator cohort but not in its denominator cohort; "
                        + "is the numerator cohort within the denominator cohort?"
                ])
            }
            let parts = Set(family.parts)
            let names = family.parts.map { "'\(plan.cohorts[$0].label)'" }.joined(separator: ", ")
            notes.append("the cohorts of \(names) share nobody by their filters, but some people's rows put them in more than one; they are protected as cohorts that may overlap")
            var relations = layout.relations
            relations.disjoint.removeAll { parts.contains($0.first) && parts.contains($0.second) }
            rebuild(relations, layout.zeros)
        }
        return (layout, notes)
    }

    /// One component's protection, per cohort of it (in the order given).
    struct ComponentProtection: Sendable {
        var statuses: [[CellStatus]]
        /// Per cohort cell: withheld to protect another cohort's figure or a group.
        var crossCohort: [[Bool]]
        var findings: [AuditFinding]
        /// Per cohort, whether small counts are shown as such ("fewer than 5") in its tables.
        var showsSmall: [Bool]
        /// Per cohort, the least count anyone can tell a withheld cell has.
        var withheldCountsAtLeast: [Int64]
        var sensitiveGroups: Int
        /// The cohorts (positions in the component) of the items found wanting.
        var failing: [Int]
        /// What the exact step of secondary suppression did (nil: nothing was sensitive, or
        /// the suppression failed).
        var exactStep: OptimalPatternReport? = nil
    }

    /// Protects the cohorts of one component together: primary rules, then secondary
    /// suppression with a certificate for every sensitive cell and group, then the exact
    /// audit of those certificates.
    ///
    /// Where small counts are shown as such, everyone knows each lies between 1 and the
    /// largest small count, and together those ranges can pin one down. Each cohort whose
    /// cell or group no pattern of suppressions protects then shows its small counts as
    /// withheld instead, protected as any withheld count, and the component is protected
    /// again.
    static func protectComponent(
        plan: ReleasePlan, layout: CohortLayout, blocks: [Int], tables: [AggregatedTable], protection: ProtectionSpec
    ) -> ComponentProtection {
        var shows = blocks.map { protection.secondary.frequency == .band && !plan.cohorts[$0].measure.isMagnitude }
        // A cohort's people are within its ancestors': ancestors shown as small cap it.
        let position = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { ($1, $0) })
        var parent = [Int?](repeating: nil, count: blocks.count)
        for family in layout.families where family.tree {
            for part in family.parts { if let k = position[part], let p = position[family.parent] { parent[k] = p } }
        }
        while true {
            let result = protectComponent(plan: plan, layout: layout, blocks: blocks, tables: tables, showsSmall: shows, protection: protection)
            guard !result.findings.isEmpty else { return result }
            var switched = false
            for k in result.failing {
                var a: Int? = k
                while let c = a {
                    if shows[c] {
                        shows[c] = false
                        switched = true
                        break
                    }
                    a = parent[c]
                }
            }
            if !switched { return result }
        }
    }

    /// What the release's rounded counts will tell (nil without rounding).
    static func roundingRules(_ protection: ProtectionSpec) -> RoundedFigureRules? {
        protection.rounding.map { RoundedFigureRules(policy: $0, marksNotZero: protection.display.roundsToZero != nil, primary: protection.primary) }
    }

    static func protectComponent(
        plan: ReleasePlan, layout whole: CohortLayout, blocks: [Int], tables: [AggregatedTable], showsSmall: [Bool], protection: ProtectionSpec
    ) -> ComponentProtection {
        let layout = whole.restricted(to: blocks)
        let published = blocks.flatMap { plan.cohorts[$0].published }
        let secondary = protection.secondary
        var problem = SuppressionProblem(
            layout: layout, tables: blocks.map { tables[$0] }, published: published, primary: protection.primary, secondary: secondary,
            rounding: roundingRules(protection), showsSmall: showsSmall)
        for (k, b) in blocks.enumerated() {
            for (cell, withheld) in plan.kept[b] ?? [:] { problem.keep(layout.global(k, cell), withheld: withheld) }
            for cell in plan.preferred[b] ?? [] { problem.prefer(layout.global(k, cell)) }
        }
        // The cohorts (positions in `blocks`) of an item.
        func cohorts(_ item: Int) -> [Int] { Array(Set(problem.terms(of: item).map { layout.local($0.cell).block })).sorted() }
        func split<T>(_ global: [T]) -> [[T]] { layout.blocks.indices.map { b in Array(global[layout.offsets[b]..<layout.offsets[b + 1]]) } }
        let noCross = blocks.map { [Bool](repeating: false, count: plan.cohorts[$0].shape.cellCount) }
        let sensitiveGroups = problem.requirements.keys.filter(problem.isGroup).count
        var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
        do {
            try suppressor.run()
        } catch {
            let finding = AuditFinding(kind: .unprotectable, table: describe(error.cell, problem: problem, plan: plan, blocks: blocks), cell: codes(error.cell, problem: problem))
            return ComponentProtection(
                statuses: split(problem.statuses), crossCohort: noCross, findings: [finding], showsSmall: showsSmall, withheldCountsAtLeast: problem.leastWithheld,
                sensitiveGroups: sensitiveGroups, failing: cohorts(error.cell))
        }
        let result = suppressor.statuses
        let failures = CertificateAudit.verify(problem: suppressor.problem, statuses: result, certificates: suppressor.certificates, singletons: secondary.singletons)
        let findings = failures.map { failure in
            AuditFinding(kind: .unproven(failure.reason), table: describe(failure.cell, problem: problem, plan: plan, blocks: blocks), cell: codes(failure.cell, problem: problem))
        }
        // Withheld for another cohort's figure, or for a group: a relation between cohorts.
        var cross = [Bool](repeating: false, count: layout.cellCount)
        for (cell, items) in suppressor.reliance where result[cell].disposition == .secondary {
            let block = layout.local(cell).block
            cross[cell] = items.contains { problem.isGroup($0) || layout.local($0).block != block }
        }
        return ComponentProtection(
            statuses: split(result), crossCohort: split(cross), findings: findings, showsSmall: showsSmall, withheldCountsAtLeast: problem.leastWithheld,
            sensitiveGroups: sensitiveGroups, failing: Array(Set(failures.flatMap { cohorts($0.cell) })).sorted(),
            exactStep: problem.requirements.isEmpty ? nil : suppressor.optimisation)
    }

    /// The tables an item belongs to, for messages; for a group, what is subtracted from what.
    static func describe(_ item: Int, problem: SuppressionProblem, plan: ReleasePlan, blocks: [Int]) -> String {
        guard problem.isGroup(item) else { return plan.describe(cohort: blocks[problem.layout.local(item).block]) }
        let group = problem.groups[item - problem.layout.cellCount]
        return plan.describe(group: blocks[problem.layout.local(group.plus).block], minus: group.minus.map { blocks[problem.layout.local($0).block] })
    }

    /// An item's category codes (a group's: those of its cells).
    static func codes(_ item: Int, problem: SuppressionProblem) -> [String] {
        let cell = problem.terms(of: item)[0].cell
        let (b, c) = problem.layout.local(cell)
        return problem.layout.blocks[b].shape.codes(of: c)
    }

    /// Groups counted by subtraction from published figures that fail the frequency or zero
    /// rule: every term published exactly (none withheld or rounded).
    static func groupFindings(plan: ReleasePlan, layout: CohortLayout, tables: [ProtectedTable], primary: PrimaryPolicy) -> [AuditFinding] {
        // Each cohort cell's published figure: exact, or nil where no table publishes it as such.
        var exact = [Int64?](repeating: nil, count: layout.cellCount)
        for (t, planned) in plan.tables.enumerated() {
            let table = tables[t]
            for (cell, c) in planned.cohortCells.enumerated() {
                guard case .exact(let v) = table.figure(cell) else { continue }
                exact[layout.global(planned.cohort, c)] = table.data.measure.isMagnitude ? table.data.contributors(cell) : v
            }
        }
        var published = [Bool](repeating: false, count: layout.cellCount)
        for (c, cohort) in plan.cohorts.enumerated() { for (k, p) in cohort.published.enumerated() where p { published[layout.global(c, k)] = true } }
        var findings: [AuditFinding] = []
        for group in layout.groups(published: published) {
            guard let plus = exact[group.plus] else { continue }
            var n = plus
            var complete = true
            for m in group.minus {
                guard let v = exact[m] else {
                    complete = false
                    break
                }
                n -= v
            }
            guard complete, !primary.failures(count: n).isEmpty else { continue }
            let (b, c) = layout.local(group.plus)
            findings.append(AuditFinding(
                kind: .groupPublished, table: plan.describe(group: b, minus: group.minus.map { layout.local($0).block }), cell: layout.blocks[b].shape.codes(of: c)))
        }
        return findings
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
        // A noisy release is recorded in its dataset's ledger before any noise is drawn, and
        // marked published once its files are in place.
        var ledger: PrivacyLedger?
        if let noise = plan.spec.protection.noise {
            do {
                ledger = try PrivacyLedger(path: noise.ledger)
            } catch {
                throw .budget(error)
            }
        }
        let time = ISO8601DateFormatter().string(from: created)
        let recording = ledger
        let charge = { (spend: PrivacySpend) throws(ReleaseError) -> BudgetState in
            guard let recording, let noise = plan.spec.protection.noise else { throw .output("a release with noise needs its ledger") }
            let state: BudgetState
            do throws(LedgerError) {
                state = try recording.record(spend, total: noise.total, time: time)
            } catch {
                throw .budget(error)
            }
            // For the test of a run killed between recording and publishing.
            if let pause = ProcessInfo.processInfo.environment["DISCREET_TEST_PAUSE_AFTER_RECORDING"], let seconds = UInt32(pause) { sleep(seconds) }
            return state
        }
        let release = try compute(plan: plan, inputs: inputs, options: options, randomness: randomness, created: created, charge: charge)
        guard release.findings.isEmpty else { throw .refused(release.findings) }
        do {
            // Every file is written from what the release publishes, and nothing else.
            let files = ReleaseFiles.render(ReleaseDocument(release), outputs: plan.spec.outputs, manifest: ReleaseManifest.Run(release), created: created)
            try destination.write(files)
        } catch {
            throw .output(error.description)
        }
        if let ledger, let noise = release.noise {
            do {
                try ledger.markPublished(noise.releaseID)
            } catch {
                throw .output("the release was written, but the ledger could not mark it published (it stays counted as spent): \(error)")
            }
        }
        return release
    }
}
