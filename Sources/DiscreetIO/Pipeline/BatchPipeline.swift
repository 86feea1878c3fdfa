import DiscreetCore
import Foundation

/// One release a batch wrote.
public struct BatchOutput: Sendable {
    /// `combined`, or the partner's key (the directory's name).
    public var key: String
    /// The partner's name (nil for the combined dashboard).
    public var partner: String?
    public var path: String
    /// Declared tables, their cells, and how many are withheld.
    public var tables: Int
    public var cells: Int
    public var withheld: Int
    /// Indicators, their percentages, and how many are withheld.
    public var indicators: Int
    public var percentages: Int
    public var percentagesWithheld: Int
}

/// The batch pipeline: every partner's extracts read once, the combined dashboard and each
/// partner's release protected and audited as one joint system (``BatchPlan``), then each
/// release written atomically to its own directory under the batch's.
public enum BatchPipeline {
    /// Computes the joint release and, if the audit passes, writes each release to
    /// `out/<key>` (`combined` and each partner's key), each atomically: a run killed
    /// mid-way leaves each release directory complete or absent.
    public static func protect(
        batch: BatchPlan, options: IngestOptions, out: String, overwrite: Bool, created: Date = Date(), randomness: RandomnessSource = .operatingSystem
    ) throws(ReleaseError) -> (release: ProtectedRelease, outputs: [BatchOutput]) {
        let spec = batch.plan.spec
        if spec.protection.noise != nil || spec.protection.cellKey != nil {
            throw .spec(SpecProblems(problems: [SpecProblem(
                SourceLocation(file: spec.path, line: 1),
                "a batch protects by suppression and rounding; a spec with 'noise' or 'cell_key' is released with 'discreet protect', one run per release")]))
        }
        let destinations = batch.releases.map { ReleaseDirectory(path: out + "/" + $0.key, overwrite: overwrite) }
        do {
            for d in destinations { try d.checkDestination() }
        } catch {
            throw .output(error.description)
        }
        let release = try ReleasePipeline.compute(plan: batch.plan, inputs: spec.inputs, options: options, randomness: randomness, created: created)
        guard release.findings.isEmpty else { throw .refused(release.findings) }
        let document = ReleaseDocument(release)
        let run = ReleaseManifest.Run(release)
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw .output("cannot create \(out): \(error.localizedDescription)")
        }
        var outputs: [BatchOutput] = []
        for (r, part) in batch.releases.enumerated() {
            let prefix = part.partner == nil ? "" : part.key + "/"
            let tables = part.tables.map { batch.plan.tables[$0].name }
            let indicators = part.indicators.map { batch.plan.indicators[$0].spec.name }
            let own = document.restricted(tables: Set(tables), indicators: Set(indicators), removing: prefix, releaseID: release.releaseID + ":" + part.key)
            var manifest = run
            manifest.releaseID = own.releaseID
            manifest.relatedTables = Dictionary(uniqueKeysWithValues: tables.map { (String($0.dropFirst(prefix.count)), run.relatedTables[$0] ?? 0) })
            manifest.relatedIndicators = Dictionary(uniqueKeysWithValues: indicators.map { (String($0.dropFirst(prefix.count)), run.relatedIndicators[$0] ?? (0, 0)) })
            do {
                try destinations[r].write(ReleaseFiles.render(own, outputs: spec.outputs, manifest: manifest, created: created))
            } catch {
                throw .output(error.description)
            }
            let cells = part.tables.flatMap { release.tables[$0].statuses }
            let percentages = part.indicators.flatMap { release.indicators[$0].percentages }
            outputs.append(BatchOutput(
                key: part.key, partner: part.partner.map { batch.partners[$0].name }, path: destinations[r].path, tables: part.tables.count,
                cells: cells.count, withheld: cells.filter { $0.disposition.isWithheld }.count, indicators: part.indicators.count,
                percentages: percentages.count, percentagesWithheld: percentages.filter { if case .withheld = $0 { true } else { false } }.count))
        }
        return (release, outputs)
    }
}

extension ReleaseDocument {
    /// The part of a joint release's document that publishes the named tables and
    /// indicators: those, with `removing` taken off the front of their names, the cohorts
    /// they count (numbered again from 1), and the relations among those cohorts.
    func restricted(tables names: Set<String>, indicators indicatorNames: Set<String>, removing prefix: String, releaseID: String) -> ReleaseDocument {
        func strip(_ name: String) -> String { name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name }
        var document = self
        document.releaseID = releaseID
        document.tables = tables.filter { names.contains($0.name) }.map { t in
            var t = t
            t.name = strip(t.name)
            return t
        }
        document.indicators = indicators.filter { indicatorNames.contains($0.name) }.map { i in
            var i = i
            i.name = strip(i.name)
            return i
        }
        // The cohorts they count, in the joint document's order.
        let used = Set(document.tables.compactMap(\.cohort) + document.indicators.flatMap { [$0.numeratorCohort, $0.denominatorCohort].compactMap { $0 } })
        let kept = (cohorts ?? []).map(\.id).filter(used.contains)
        let id = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, ReleaseFiles.cohortID($0)) })
        document.cohorts = cohorts.map { all in
            all.filter { id[$0.id] != nil }.map { c in
                var c = c
                c.id = id[c.id]!
                c.within = c.within?.compactMap { id[$0] }
                return c
            }
        }
        document.disjoint = disjoint.map { pairs in pairs.filter { $0.allSatisfy { id[$0] != nil } }.map { $0.map { id[$0]! } } }
        document.families = families.map { all in
            all.filter { f in id[f.cohort] != nil && f.parts.allSatisfy { id[$0] != nil } }.map { f in
                var f = f
                f.cohort = id[f.cohort]!
                f.parts = f.parts.map { id[$0]! }
                return f
            }
        }
        // The counts the policy states are of this release's relations.
        let within = document.cohorts?.reduce(0) { $0 + ($1.within?.count ?? 0) } ?? 0
        document.policy?.relatedCohorts?.relations = within + (document.disjoint?.count ?? 0)
        document.policy?.relatedCohorts?.families = document.families?.count ?? 0
        for k in document.tables.indices { document.tables[k].cohort = document.tables[k].cohort.flatMap { id[$0] } }
        for k in document.indicators.indices {
            document.indicators[k].numeratorCohort = document.indicators[k].numeratorCohort.flatMap { id[$0] }
            document.indicators[k].denominatorCohort = document.indicators[k].denominatorCohort.flatMap { id[$0] }
        }
        return document
    }
}
