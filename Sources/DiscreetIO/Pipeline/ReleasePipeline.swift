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
    public static func compute(plan: ReleasePlan, inputs: [InputSpec], options: IngestOptions) throws(ReleaseError) -> ProtectedRelease {
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
        let results = Mutex([Int: (statuses: [CellStatus], findings: [AuditFinding])]())
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
        for c in plan.cohorts.indices {
            statuses.append(protected[c]!.statuses)
            findings += protected[c]!.findings
        }
        let tables = plan.tables.indices.map { t in
            ProtectedTable(name: plan.tables[t].name, data: truth[t], statuses: plan.tables[t].cohortCells.map { statuses[plan.tables[t].cohort][$0] })
        }
        var indicators: [IndicatorFigures] = []
        for indicator in plan.indicators {
            do {
                indicators.append(try IndicatorFigures(
                    numerator: indicator.numerator, denominator: indicator.denominator, tables: tables, decimals: indicator.decimals))
            } catch {
                throw .inconsistent(["indicator '\(indicator.spec.name)': a published numerator exceeds its published denominator"])
            }
        }
        findings += ReleaseAudit.run(
            tables: tables, indicators: zip(plan.indicators, indicators).map { ($0.spec.name, $1) }, primary: protection.primary)
        return ProtectedRelease(
            plan: plan, ingest: ingest, tables: tables, indicators: indicators,
            identity: ReleaseIdentity(spec: plan.spec, inputs: ingest.inputs), onError: options.onError, findings: findings)
    }

    /// Protects one cohort table: primary rules, then secondary suppression with a
    /// certificate for every sensitive cell, then the exact audit of those certificates.
    static func protectCohort(plan: ReleasePlan, cohort c: Int, table: AggregatedTable, protection: ProtectionSpec) -> (statuses: [CellStatus], findings: [AuditFinding]) {
        let cohort = plan.cohorts[c]
        let problem = SuppressionProblem(table: table, published: cohort.published, primary: protection.primary, secondary: protection.secondary)
        var suppressor = SecondarySuppressor(problem: problem, policy: protection.secondary)
        do {
            try suppressor.run()
        } catch {
            let finding = AuditFinding(kind: .unprotectable, table: plan.describe(cohort: c), cell: cohort.shape.codes(of: error.cell))
            return (problem.statuses, [finding])
        }
        let result = suppressor.statuses
        let failures = CertificateAudit.verify(problem: problem, statuses: result, certificates: suppressor.certificates, singletons: protection.secondary.singletons)
        let findings = failures.map { failure in
            AuditFinding(kind: .unproven(failure.reason), table: plan.describe(cohort: c), cell: cohort.shape.codes(of: failure.cell))
        }
        return (result, findings)
    }

    /// Computes a release and, if the audit passes, writes it atomically to `destination`.
    public static func protect(
        plan: ReleasePlan, inputs: [InputSpec], options: IngestOptions, destination: ReleaseDirectory, created: Date = Date()
    ) throws(ReleaseError) -> ProtectedRelease {
        do {
            try destination.checkDestination()
        } catch {
            throw .output(error.description)
        }
        let release = try compute(plan: plan, inputs: inputs, options: options)
        guard release.findings.isEmpty else { throw .refused(release.findings) }
        do {
            try destination.write(ReleaseFiles.render(release, created: created))
        } catch {
            throw .output(error.description)
        }
        return release
    }
}
