import DiscreetCore

/// The audit of a written release: what anyone holding the directory can learn about its
/// withheld cells and, given the spec and the data it was made from, whether each sensitive
/// cell keeps its protection levels.
public struct PublishedAudit: Sendable {
    public let release: PublishedRelease
    /// Per cohort, per quantity, what an attacker learns.
    public let reports: [[DisclosureReport]]
    /// Everything wrong, one message each; empty when the release passes. Messages name
    /// cells by their codes and never state a withheld cell's true value.
    public let findings: [String]
    /// Sensitive cells checked against their protection levels (0 without the truth).
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

    /// Audits the release in `directory`; with `truth`, also each sensitive cell's interval
    /// against its protection levels. Throws when the release cannot be read, or was not
    /// made from the truth's spec and inputs.
    ///
    /// - Parameter boundsFile: a CSV of bounds the attacker is assumed to know (see
    ///   ``AuditBounds``).
    public static func run(directory: String, truth: Truth? = nil, boundsFile: String? = nil) throws(ReleaseReadError) -> PublishedAudit {
        let release = try ReleaseReader.read(directory: directory)
        let bounds = try boundsFile.map { (path: String) throws(ReleaseReadError) in try AuditBounds.read(path: path, release: release) } ?? [:]
        var findings = release.problems
        var reports: [[DisclosureReport]] = []
        for cohort in release.cohorts {
            var perQuantity: [DisclosureReport] = []
            for (name, _, published) in cohort.quantities {
                var quantity = published
                let stated = !quantity.bounds.isEmpty
                let declared = !(bounds[cohort.id]?[name] ?? [:]).isEmpty
                // What the release states (rounding, small counts), narrowed by what the
                // auditor assumes besides.
                for (cell, b) in bounds[cohort.id]?[name] ?? [:] {
                    let old = quantity.bounds[cell] ?? CellBounds()
                    quantity.bounds[cell] = CellBounds(
                        lower: [old.lower, b.lower].compactMap { $0 }.max(), upper: [old.upper, b.upper].compactMap { $0 }.min())
                }
                let report = DisclosureAudit.run(quantity)
                let at = "\(cohort.id) (\(cohort.sources.joined(separator: ", "))), \(name)"
                for cell in report.contradicted {
                    findings.append("\(at), cell (\(cohort.shape.codes(of: cell).joined(separator: ", "))): no table fits the published figures and the declared bounds")
                }
                for cell in report.inconsistent {
                    findings.append("\(at), cell (\(cohort.shape.codes(of: cell).joined(separator: ", "))): published figures do not add up to this total")
                }
                for cell in report.exposed {
                    let known = [stated ? "the ranges the release states" : nil, declared ? "the declared bounds" : nil].compactMap { $0 }
                    let how = report.linear.contains(cell) ? "computable from published figures"
                        : (known.isEmpty ? "pinned down by published figures and non-negativity" : "pinned down by published figures, non-negativity and " + known.joined(separator: " and "))
                    findings.append("\(at), cell (\(cohort.shape.codes(of: cell).joined(separator: ", "))): withheld, but \(how)")
                }
                perQuantity.append(report)
            }
            reports.append(perQuantity)
        }
        var checked = 0
        if let truth {
            let identity = ReleaseIdentity(spec: truth.plan.spec, inputs: truth.ingest.inputs)
            guard identity.id == release.id, truth.plan.cohorts.count == release.cohorts.count else {
                throw ReleaseReadError(description: "\(directory): this release was not made from this spec and these inputs (its release id differs)")
            }
            let protection = truth.plan.spec.protection
            for (c, planned) in truth.plan.cohorts.enumerated() {
                let published = release.cohorts[c]
                // A cohort whose small counts could not be shown as such was protected as
                // any withheld counts are.
                var secondary = protection.secondary
                if secondary.frequency == .band && !published.showsSmallCounts { secondary.frequency = .reachThreshold }
                let problem = SuppressionProblem(
                    table: truth.ingest.cohorts[c], published: planned.published, primary: protection.primary, secondary: secondary)
                for (cell, r) in problem.requirements.sorted(by: { $0.key < $1.key }) where !r.isEmpty {
                    let names = planned.shape.codes(of: cell)
                    let nodes = zip(published.shape.dimensions, names).map { $0.node($1) }
                    guard !nodes.contains(nil) else { continue }
                    let at = published.shape.cell(nodes.map { $0! })
                    let place = "\(published.id), cell (\(names.joined(separator: ", ")))"
                    checked += 1
                    let table = truth.ingest.cohorts[c]
                    // The first requirement, or else its alternative (a small count shown as
                    // such must only not be told exactly).
                    var shortfalls: [[String]] = []
                    for requirement in [r, problem.alternatives[cell]].compactMap({ $0 }) {
                        shortfalls.append(Self.shortfalls(requirement, cell: cell, at: at, table: table, reports: reports[c]))
                        if shortfalls.last!.isEmpty { break }
                    }
                    if !shortfalls.last!.isEmpty { findings += shortfalls[0].map { "\(place): \($0)" } }
                }
            }
        }
        return PublishedAudit(release: release, reports: reports, findings: findings, sensitiveChecked: checked)
    }

    /// How a sensitive cell's intervals fall short of a requirement (empty when they do not).
    static func shortfalls(_ r: ProtectionRequirement, cell: Int, at: Int, table: AggregatedTable, reports: [DisclosureReport]) -> [String] {
        // The count (or contributor count), then a magnitude's sum.
        var levels: [(quantity: Int, truth: Int64, up: Int64, down: Int64, what: String)] = []
        let countQuantity = table.measure.isMagnitude ? 1 : 0
        levels.append((countQuantity, table.contributors(cell), r.countUp, r.countDown, table.measure.isMagnitude ? "contributors" : "count"))
        if table.measure.isMagnitude { levels.append((0, table.values[cell], r.valueUp, r.valueDown, "sum")) }
        var result: [String] = []
        for level in levels where level.up > 0 || level.down > 0 {
            guard let interval = reports[level.quantity].intervals[at] else {
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
