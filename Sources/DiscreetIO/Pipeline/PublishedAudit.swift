import DiscreetCore
import Foundation

/// The audit of a written release: what anyone holding the directory can learn about its
/// withheld cells and the groups its figures let them count by subtraction and, given the
/// spec and the data it was made from, whether each sensitive cell and group keeps its
/// protection levels.
public struct PublishedAudit: Sendable {
    public let release: PublishedRelease
    /// Per cohort, per quantity, what an attacker learns of its withheld cells.
    public let reports: [[DisclosureReport]]
    /// The groups counted by subtraction among published cells, each with what an attacker
    /// learns of it (nil where no solution fits the published figures).
    public let groups: [(group: ImpliedGroup, interval: FeasibilityInterval?)]
    /// Everything wrong, one message each; empty when the release passes. Messages name
    /// cells by their codes and never state a withheld cell's true value.
    public let findings: [String]
    /// Sensitive cells and groups checked against their protection levels (0 without the truth).
    public let sensitiveChecked: Int

    /// What the true tables say, for checking protection levels.
    public struct Truth: Sendable {
        public var plan: ReleasePlan
        public var ingest: IngestResult

        public init(plan: ReleasePlan, ingest: IngestResult) {
            self.plan = plan
            self.ingest = ingest
        }
    }

    /// Whether a noisy release states a figure as it should: noisy with its bound, or withheld
    /// below the release's threshold (with no value).
    static func statedAsNoisy(status: String, value: Decimal?, errorBound: Decimal?, document: ReleaseDocument) -> Bool {
        switch status {
        case "noisy": return document.noise != nil && value != nil && errorBound != nil
        case "perturbed": return document.cellKey != nil && value != nil && errorBound != nil
        case "below_threshold": return document.noise?.suppressBelow != nil && value == nil
        default: return false
        }
    }

    /// A release with noise publishes no true figure and withholds none but below its threshold: what there is to
    /// check is that every figure is noisy with its bound, and that the figures of each cohort
    /// add up (every margin the sum of its children; none negative where the release says
    /// its figures are not). Its cohorts were reassembled from every table and indicator, so
    /// two that disagree on a shared cell are found already.
    static func noisy(_ release: PublishedRelease, findings: [String]) -> PublishedAudit {
        var findings = findings
        let document = release.document
        // Figures perturbed cell by cell (the cell key method) need not add up, and are never negative.
        let additive = document.cellKey == nil
        let nonNegative = document.cellKey != nil || document.noise?.figures == NoisePostProcessing.nonNegative.rawValue
        for table in document.tables {
            if let cell = table.cells.first(where: { !Self.statedAsNoisy(status: $0.status, value: $0.value, errorBound: $0.errorBound, document: document) }) {
                findings.append("table '\(table.name)', cell (\(table.dimensions.map { cell.codes[$0] ?? "" }.joined(separator: ", "))): a figure is stated as it stands, or without its error bound, in a release that says every figure is noisy or perturbed")
            }
        }
        for indicator in document.indicators {
            if let cell = indicator.cells.first(where: { c in
                [c.numerator, c.denominator].contains { !Self.statedAsNoisy(status: $0.status, value: $0.value, errorBound: $0.errorBound, document: document) }
            }) {
                findings.append("indicator '\(indicator.name)', cell (\(indicator.dimensions.map { cell.codes[$0] ?? "" }.joined(separator: ", "))): a figure is stated as it stands, or without its error bound, in a release that says every figure is noisy or perturbed")
            }
        }
        for cohort in release.cohorts {
            for (name, _, quantity) in cohort.quantities {
                let shape = quantity.shape
                for relation in shape.relations() where additive {
                    guard let total = quantity.values[relation.total] else { continue }
                    let parts = relation.parts.map { quantity.values[$0] }
                    guard parts.allSatisfy({ $0 != nil }), parts.reduce(0, { $0 + $1! }) != total else { continue }
                    findings.append("\(cohort.id) (\(cohort.sources.joined(separator: ", "))), \(name), cell (\(shape.codes(of: relation.total).joined(separator: ", "))): not the sum of its children")
                }
                if nonNegative, let cell = quantity.values.firstIndex(where: { ($0 ?? 0) < 0 }) {
                    findings.append("\(cohort.id) (\(cohort.sources.joined(separator: ", "))), \(name), cell (\(shape.codes(of: cell).joined(separator: ", "))): negative, where the release says its figures are not")
                }
            }
        }
        return PublishedAudit(release: release, reports: release.cohorts.map { _ in [] }, groups: [], findings: findings, sensitiveChecked: 0)
    }

    /// Audits the release in `directory`; with `truth`, also each sensitive cell's and
    /// group's interval against its protection levels. Throws when the release cannot be
    /// read, or was not made from the truth's spec and inputs.
    ///
    /// - Parameter boundsFile: a CSV of bounds the attacker is assumed to know (see
    ///   ``AuditBounds``).
    public static func run(directory: String, truth: Truth? = nil, boundsFile: String? = nil) throws(ReleaseReadError) -> PublishedAudit {
        let release = try ReleaseReader.read(directory: directory)
        let bounds = try boundsFile.map { (path: String) throws(ReleaseReadError) in try AuditBounds.read(path: path, release: release) } ?? [:]
        let layout = release.layout
        var findings = release.problems
        // Every other number the files state must follow from the figures and the settings.
        findings += StatedFigureAudit.run(directory: directory, document: release.document, policy: release.policy)
        if release.document.noise != nil || release.document.cellKey != nil { return noisy(release, findings: findings) }
        let declared = !bounds.isEmpty

        // Each cohort's quantities, with what the auditor assumes besides the release.
        var quantities: [[PublishedQuantity]] = []
        var stated = false
        for cohort in release.cohorts {
            quantities.append(cohort.quantities.map { name, _, published in
                var quantity = published
                stated = stated || !quantity.bounds.isEmpty
                for (cell, b) in bounds[cohort.id]?[name] ?? [:] {
                    let old = quantity.bounds[cell] ?? CellBounds()
                    quantity.bounds[cell] = CellBounds(
                        lower: [old.lower, b.lower].compactMap { $0 }.max(), upper: [old.upper, b.upper].compactMap { $0 }.min())
                }
                return quantity
            })
        }
        // Counts of people (a magnitude table's contributors) relate across cohorts: one
        // linear system. Sums are audited table by table.
        let counted = release.cohorts.indices.map { c in release.cohorts[c].quantities.count > 1 ? 1 : 0 }
        var values = [Int64?](repeating: nil, count: layout.cellCount)
        var withheld = [Bool](repeating: false, count: layout.cellCount)
        var countBounds: [Int: CellBounds] = [:]
        for (c, qs) in quantities.enumerated() {
            let q = qs[counted[c]]
            for cell in 0..<q.shape.cellCount {
                let g = layout.global(c, cell)
                values[g] = q.values[cell]
                withheld[g] = q.withheld[cell]
                if let b = q.bounds[cell] { countBounds[g] = b }
            }
        }
        let groups = layout.groups(published: release.published)
        // A group's least value matters where it may be small, or where the truth says it is
        // sensitive (its lower protection level).
        var sensitiveGroups = Set<Int>()
        var problem: SuppressionProblem?
        if let truth {
            let identity = ReleaseIdentity(spec: truth.plan.spec, inputs: truth.ingest.inputs)
            guard identity.id == release.id, truth.plan.cohorts.count == release.cohorts.count,
                zip(truth.plan.cohorts, layout.blocks).allSatisfy({ $0.shape.dimensions.map(\.codes) == $1.shape.dimensions.map(\.codes) })
            else {
                throw ReleaseReadError(description: "\(directory): this release was not made from this spec and these inputs (its release id differs)")
            }
            let protection = truth.plan.spec.protection
            let p = SuppressionProblem(
                layout: layout, tables: truth.ingest.cohorts, published: release.published, primary: protection.primary, secondary: protection.secondary,
                showsSmall: release.cohorts.map(\.showsSmallCounts))
            for (item, r) in p.requirements where p.isGroup(item) && r.countDown > 0 { sensitiveGroups.insert(item - layout.cellCount) }
            problem = p
        }
        let largestSmall = release.primary?.frequency.map(FrequencyProtection.largestSmall) ?? 0
        let linked = DisclosureAudit.run(
            layout: layout, values: values, withheld: withheld, bounds: countBounds, groups: groups, tables: release.cohorts.map(\.tableDimensions)
        ) { g, upper in
            sensitiveGroups.contains(g) || upper.map { $0 <= Rational(largestSmall) } ?? false
        }

        var reports: [[DisclosureReport]] = []
        for (c, cohort) in release.cohorts.enumerated() {
            var perQuantity: [DisclosureReport] = []
            for (k, (name, _, _)) in cohort.quantities.enumerated() {
                let report: DisclosureReport
                if k == counted[c] {
                    let range = layout.offsets[c]..<layout.offsets[c + 1]
                    var intervals: [Int: FeasibilityInterval] = [:]
                    for (g, interval) in linked.intervals where range.contains(g) { intervals[g - range.lowerBound] = interval }
                    report = DisclosureReport(
                        inconsistent: linked.inconsistent.filter(range.contains).map { $0 - range.lowerBound }, intervals: intervals,
                        linear: Set(linked.linear.filter(range.contains).map { $0 - range.lowerBound }),
                        contradicted: linked.contradicted.filter(range.contains).map { $0 - range.lowerBound })
                } else {
                    report = DisclosureAudit.run(quantities[c][k])
                }
                let at = "\(cohort.id) (\(cohort.sources.joined(separator: ", "))), \(name)"
                func codes(_ cell: Int) -> String { cohort.shape.codes(of: cell).joined(separator: ", ") }
                for cell in report.contradicted {
                    findings.append("\(at), cell (\(codes(cell))): no table fits the published figures and the declared bounds")
                }
                for cell in report.inconsistent {
                    findings.append("\(at), cell (\(codes(cell))): published figures do not add up to this total")
                }
                for cell in report.exposed {
                    let known = [stated ? "the ranges the release states" : nil, declared ? "the declared bounds" : nil].compactMap { $0 }
                    let how = report.linear.contains(cell) ? "computable from published figures"
                        : (known.isEmpty ? "pinned down by published figures and non-negativity" : "pinned down by published figures, non-negativity and " + known.joined(separator: " and "))
                    findings.append("\(at), cell (\(codes(cell))): withheld, but \(how)")
                }
                // Where the rules protect small counts by their threshold, nobody may learn
                // that a withheld count is small.
                if k == counted[c], let small = Self.smallRange(release) {
                    for cell in report.intervals.keys.sorted() where !report.intervals[cell]!.isExact && Self.within(report.intervals[cell]!, small) {
                        findings.append("\(at), cell (\(codes(cell))): withheld, but known to be between \(small.lowerBound) and \(small.upperBound)")
                    }
                }
                perQuantity.append(report)
            }
            reports.append(perQuantity)
        }
        for (f, h) in linked.negativeComplements {
            let family = layout.families[f]
            let cohort = release.cohorts[family.parent]
            findings.append("\(cohort.id), cell (\(cohort.shape.codes(of: family.parentCells[h]).joined(separator: ", "))): "
                + "\(family.parts.map { release.cohorts[$0].id }.joined(separator: ", ")), within it, publish more people than it does")
        }
        // Groups counted by subtraction: none may be pinned to a small count (or be known
        // to be small where the rules protect small counts by their threshold).
        if let rules = release.primary {
            for (group, interval) in zip(groups, linked.groups) {
                // (Where a group's greatest value is not small, its least was not worked out.)
                guard let interval, let upper = interval.upper, upper <= Rational(largestSmall) || rules.zeros == .withhold && upper.isZero else { continue }
                let sensitive = interval.isExact && !rules.failures(count: interval.lower.floor ?? 0).isEmpty && interval.lower.floor == interval.lower.ceiling
                let small = Self.smallRange(release).map { Self.within(interval, $0) } ?? false
                guard sensitive || small else { continue }
                let what = interval.isExact ? "pinned to a count the rules withhold" : "known to be a small count"
                findings.append("\(Self.describe(group, release)): \(what)")
            }
        }

        var checked = 0
        if let truth, let problem {
            for (item, r) in problem.requirements.sorted(by: { $0.key < $1.key }) where !r.isEmpty {
                checked += 1
                if problem.isGroup(item) {
                    let k = item - layout.cellCount
                    let interval = linked.groups[k]
                    let short = Self.shortfalls(r, count: problem.groupCounts[k], interval: interval)
                    findings += short.map { "\(Self.describe(problem.groups[k], release)): \($0)" }
                    continue
                }
                let (c, cell) = layout.local(item)
                let place = "\(release.cohorts[c].id), cell (\(layout.blocks[c].shape.codes(of: cell).joined(separator: ", ")))"
                let table = truth.ingest.cohorts[c]
                // The first requirement, or else its alternative (a small count shown as
                // such must only not be told exactly).
                var shortfalls: [[String]] = []
                for requirement in [r, problem.alternatives[item]].compactMap({ $0 }) {
                    shortfalls.append(Self.shortfalls(requirement, cell: cell, table: table, reports: reports[c]))
                    if shortfalls.last!.isEmpty { break }
                }
                if !shortfalls.last!.isEmpty { findings += shortfalls[0].map { "\(place): \($0)" } }
            }
        }
        return PublishedAudit(
            release: release, reports: reports, groups: Array(zip(groups, linked.groups)), findings: findings, sensitiveChecked: checked)
    }

    /// The counts the rules call small where they protect them by their threshold (nil where
    /// the manifest does not say, or small counts are protected otherwise).
    static func smallRange(_ release: PublishedRelease) -> ClosedRange<Int64>? {
        guard release.frequencyProtection == "threshold", let rule = release.primary?.frequency else { return nil }
        // A threshold of 1 ("fewer than 1") calls no count small.
        let largest = FrequencyProtection.largestSmall(rule)
        return largest >= 1 ? 1...largest : nil
    }

    static func within(_ interval: FeasibilityInterval, _ range: ClosedRange<Int64>) -> Bool {
        guard let upper = interval.upper else { return false }
        return interval.lower >= Rational(range.lowerBound) && upper <= Rational(range.upperBound)
    }

    /// A group for messages: its cohorts (with the tables that publish them) and its cell.
    static func describe(_ group: ImpliedGroup, _ release: PublishedRelease) -> String {
        let layout = release.layout
        let (b, c) = layout.local(group.plus)
        let cohort = release.cohorts[b]
        let minus = group.minus.map { release.cohorts[layout.local($0).block] }
        return "\(cohort.id) (\(cohort.sources.joined(separator: ", "))) minus " + minus.map { "\($0.id) (\($0.sources.joined(separator: ", ")))" }.joined(separator: " and ")
            + ", cell (\(cohort.shape.codes(of: c).joined(separator: ", ")))"
    }

    /// How a group's interval falls short of a requirement (empty when it does not).
    static func shortfalls(_ r: ProtectionRequirement, count: Int64, interval: FeasibilityInterval?) -> [String] {
        guard let interval else { return ["no table fits the published figures"] }
        var result: [String] = []
        let x = Rational(count)
        if r.countUp > 0, let upper = interval.upper, upper < x + Rational(r.countUp) {
            result.append("the attacker's interval for this group stops short of the upper protection level")
        }
        if r.countDown > 0, interval.lower > x - Rational(r.countDown) {
            result.append("the attacker's interval for this group stops short of the lower protection level")
        }
        return result
    }

    /// How a sensitive cell's intervals fall short of a requirement (empty when they do not).
    static func shortfalls(_ r: ProtectionRequirement, cell: Int, table: AggregatedTable, reports: [DisclosureReport]) -> [String] {
        // The count (or contributor count), then a magnitude's sum.
        var levels: [(quantity: Int, truth: Int64, up: Int64, down: Int64, what: String)] = []
        let countQuantity = table.measure.isMagnitude ? 1 : 0
        levels.append((countQuantity, table.contributors(cell), r.countUp, r.countDown, table.measure.isMagnitude ? "contributors" : "count"))
        if table.measure.isMagnitude { levels.append((0, table.values[cell], r.valueUp, r.valueDown, "sum")) }
        var result: [String] = []
        for level in levels where level.up > 0 || level.down > 0 {
            guard let interval = reports[level.quantity].intervals[cell] else {
                result.append("sensitive, but its \(level.what) is published")
                continue
            }
            let x = Rational(level.truth)
            if level.up > 0, let upper = interval.upper, upper < x + Rational(level.up) {
                result.append("the attacker's interval for its \(level.what) stops short of the upper protection level")
            }
            if level.down > 0, interval.lower > x - Rational(level.down) {
                result.append("the attacker's interval for its \(level.what) stops short of the lower protection level")
            }
        }
        return result
    }
}
