import DiscreetCore
import Foundation
import Synchronization

/// A partner whose extracts could not be used: its release is not written, and the
/// combined dashboard is not released without it unless the spec says so.
public struct BatchFailure: Sendable {
    public var partner: String
    public var key: String
    public var error: IngestError
}

/// What a batch did.
public struct BatchOutcome: Sendable {
    /// The joint release of the partners that could be used.
    public var release: ProtectedRelease
    /// The plan it was made with (without the failed partners).
    public var batch: BatchPlan
    public var outputs: [BatchOutput]
    public var failures: [BatchFailure]
    /// Whether the combined dashboard was left out because partners are missing.
    public var combinedWithheld: Bool

    /// Whether some release was not written.
    public var isPartial: Bool { !failures.isEmpty }
}

/// How far a batch has gone, for a progress display.
public enum BatchProgress: Sendable, Equatable {
    /// Rows read so far from a partner's extracts (the partner's key).
    case reading(partner: String, rows: Int)
    /// A partner's extracts read in full: rows, and how many were left out as bad.
    case read(partner: String, rows: Int, quarantined: Int)
    /// A partner whose extracts could not be used: the batch starts again without it.
    case failed(partner: String)
    /// Every extract read: people grouped, and every release protected and audited together.
    case protecting
    /// Each release audited alone.
    case auditing
    /// A release written to its directory.
    case written(release: String, path: String)
}

/// Rows read per partner, from the ingest's reports per input.
private final class PartnerRows: Sendable {
    let done = Mutex<[(rows: Int, quarantined: Int)]>([])
}

/// The index of the input that failed, set by the ingest's callback.
private final class FailedInput: Sendable {
    let index = Mutex<Int?>(nil)
}

/// One release a batch wrote.
public struct BatchOutput: Sendable {
    /// `combined`, or the partner's key (the directory's name).
    public var key: String
    /// The partner's name (nil for the combined dashboard).
    public var partner: String?
    public var path: String
    /// Rows read from its extracts (the combined release's: every partner's), and how many
    /// of them were left out as bad.
    public var rows = 0
    public var quarantined = 0
    /// Declared tables, their cells, and how many are withheld.
    public var tables: Int
    public var cells: Int
    public var withheld: Int
    /// Indicators, their percentages, and how many are withheld.
    public var indicators: Int
    public var percentages: Int
    public var percentagesWithheld: Int
    /// Whether the release was kept as an earlier run wrote it (its partner's extracts and
    /// the spec unchanged), not written again.
    public var kept = false
    /// How this release compares with the previous release of it (nil: there was none).
    public var previous: BatchReport.PreviousRelease? = nil
}

/// The batch pipeline: every partner's extracts read once, the combined dashboard and each
/// partner's release protected and audited as one joint system (``BatchPlan``), then each
/// release written atomically to its own directory under the batch's.
public enum BatchPipeline {
    /// Computes the joint release and, if the audit passes, writes each release to
    /// `out/<key>` (`combined` and each partner's key), each atomically: a run killed
    /// mid-way leaves each release directory complete or absent.
    ///
    /// A partner whose extracts cannot be read (a missing file or column, or a bad row where
    /// the run stops at bad rows) stops only itself: the batch is planned again without it
    /// and the other partners are released. The combined dashboard is then released only
    /// where the spec's `batch: combined_when_partners_missing` is `release`, and its
    /// manifest names the missing partners.
    ///
    /// `keeping`: partners' releases in `out` that are current (``current(batch:out:)``).
    /// They are not written again: the joint protection keeps every figure they publish
    /// published and every one they withhold withheld, and protects the rest around them,
    /// so that the new releases and the kept ones together disclose nothing. Each release
    /// written is recorded in the batch's ledger. `progress` hears how far the run has gone.
    public static func protect(
        batch planned: BatchPlan, options: IngestOptions, out: String, overwrite: Bool, created: Date = Date(), randomness: RandomnessSource = .operatingSystem,
        progress: (@Sendable (BatchProgress) -> Void)? = nil, keeping: [BatchLedger.Entry] = []
    ) throws(ReleaseError) -> BatchOutcome {
        let spec = planned.spec
        try refuseNoise(spec)
        // Partners' releases an earlier run wrote from the same spec and extracts: kept as
        // they are (their figures' statuses fixed in the joint protection), not written.
        // (Only where the ledger holds every figure's status: a release kept in part would
        // disagree with the joint system.)
        let keep = Dictionary(keeping.compactMap { entry -> (String, BatchLedger.Entry)? in
            guard let part = planned.releases.first(where: { $0.key == entry.release }), part.partner != nil else { return nil }
            let complete = publishedTables(part, in: planned).allSatisfy { t in
                entry.withheld[planned.plan.tables[t].name]?.count == planned.plan.tables[t].cohortCells.count
            }
            return complete ? (entry.release, entry) : nil
        }) { a, _ in a }
        do {
            for r in planned.releases where keep[r.key] == nil { try ReleaseDirectory(path: out + "/" + r.key, overwrite: overwrite).checkDestination() }
        } catch {
            throw .output(error.description)
        }
        // The last release of each one made again: what it withheld is withheld again where
        // that costs little, and this one is compared with it.
        let previous = previousReleases(planned.releases.filter { keep[$0.key] == nil }.map(\.key), out: out)
        var batch = planned
        var failures: [BatchFailure] = []
        var release: ProtectedRelease
        while true {
            let failed = FailedInput()
            var attempt = options
            attempt.inputFailed = { i in failed.index.withLock { $0 = i } }
            attempt.progress = progress.map { partnerProgress(of: batch, to: $0) }
            do {
                let plan = self.plan(batch, keeping: keep, preferring: spec.batch.carryForward == .prefer ? previous : [:])
                release = try ReleasePipeline.compute(plan: plan, inputs: batch.plan.spec.inputs, options: attempt, randomness: randomness, created: created)
                break
            } catch {
                guard case .input(let e) = error, let i = failed.index.withLock({ $0 }), batch.partners.count > 1 else { throw error }
                let p = batch.plan.spec.partnerOfInput[i]
                failures.append(BatchFailure(partner: batch.partners[p].name, key: batch.partners[p].key, error: e))
                progress?(.failed(partner: batch.partners[p].key))
                do {
                    batch = try batch.without(partner: p)
                } catch {
                    throw .spec(error)
                }
            }
        }
        guard release.findings.isEmpty else { throw .refused(release.findings) }
        let combinedWithheld = !failures.isEmpty && spec.batch.combinedWhenPartnersMissing == .refuse
        let document = ReleaseDocument(release)
        let run = ReleaseManifest.Run(release)
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw .output("cannot create \(out): \(error.localizedDescription)")
        }
        let parts = batch.releases.filter { !($0.partner == nil && combinedWithheld) && keep[$0.key] == nil }
        // This release minus the last one, release by release.
        let comparisons = parts.map { part in previous[part.key].map { compare(part, in: batch, release: release, with: $0) } }
        if spec.batch.smallChanges == .refuse {
            let found = zip(parts, comparisons).flatMap { part, comparison in
                (comparison?.changes ?? []).map { change in
                    AuditFinding(
                        kind: .smallChange(change.change, cells: change.cells.count, previous: comparison!.releaseID),
                        table: "release '\(part.key)', table '\(change.table)'", cell: change.cells[0])
                }
            }
            guard found.isEmpty else { throw .refused(found) }
        }
        let rendered = zip(parts, comparisons).map { part, comparison in
            let prefix = part.partner == nil ? "" : part.key + "/"
            let tables = part.tables.map { batch.plan.tables[$0].name }
            let indicators = part.indicators.map { batch.plan.indicators[$0].spec.name }
            let own = document.restricted(tables: Set(tables), indicators: Set(indicators), removing: prefix, releaseID: release.releaseID + ":" + part.key)
            var manifest = run
            manifest.releaseID = own.releaseID
            manifest.relatedTables = Dictionary(uniqueKeysWithValues: tables.map { (String($0.dropFirst(prefix.count)), run.relatedTables[$0] ?? 0) })
            manifest.relatedIndicators = Dictionary(uniqueKeysWithValues: indicators.map { (String($0.dropFirst(prefix.count)), run.relatedIndicators[$0] ?? (0, 0)) })
            manifest.batch = ReleaseManifest.Batch(
                release: part.key, partner: part.partner.map { batch.partners[$0].name }, partners: batch.partners.map(\.name),
                missingPartners: failures.map(\.partner), previousRelease: comparison?.releaseID)
            return ReleaseFiles.render(own, outputs: spec.outputs, manifest: manifest, created: created)
        }
        progress?(.auditing)
        let alone = try auditAlone(rendered, keys: parts.map(\.key), out: out)
        guard alone.isEmpty else { throw .refused(alone) }
        let ledger: BatchLedger
        do {
            ledger = try BatchLedger(path: out + "/" + BatchLedger.fileName)
        } catch {
            throw .output(error.description)
        }
        let specSum = SHA256.hex(spec.bytes)
        let time = ISO8601DateFormatter().string(from: created)
        var outputs: [BatchOutput] = []
        for ((part, files), comparison) in zip(zip(parts, rendered), comparisons) {
            let inputs = part.partner.map { batch.partners[$0].inputs } ?? Array(batch.plan.spec.inputs.indices)
            let stamp = BatchLedger.stamp(spec: specSum, inputs: inputs.map { release.ingest.inputs[$0].sha256 })
            let releaseID = release.releaseID + ":" + part.key
            let destination = ReleaseDirectory(path: out + "/" + part.key, overwrite: overwrite)
            do {
                try ledger.begin(
                    part.key, releaseID: releaseID, stamp: stamp, time: time, withheld: withheld(part, in: batch, release: release),
                    published: figures(part, in: batch, release: release))
                try destination.write(files)
                try ledger.complete(part.key, releaseID: releaseID)
                progress?(.written(release: part.key, path: destination.path))
            } catch let error as LedgerError {
                throw .output(error.description)
            } catch let error as ReleaseDirectory.Failure {
                throw .output(error.description)
            } catch {
                throw .output("\(error)")
            }
            var output = summary(part, in: batch, release: release, path: destination.path)
            output.previous = comparison
            outputs.append(output)
        }
        for part in batch.releases where keep[part.key] != nil {
            var output = summary(part, in: batch, release: release, path: out + "/" + part.key)
            output.kept = true
            outputs.append(output)
        }
        outputs.sort { a, b in batch.releases.firstIndex { $0.key == a.key }! < batch.releases.firstIndex { $0.key == b.key }! }
        let report = BatchReport(
            created: time, spec: spec.path,
            releases: outputs.map { o in
                BatchReport.Release(
                    release: o.key, partner: o.partner, path: o.path, status: o.kept ? "kept" : "written", rows: o.rows, quarantined: o.quarantined,
                    cells: o.cells, cellsWithheld: o.withheld, percentages: o.percentages, percentagesWithheld: o.percentagesWithheld, previous: o.previous)
            },
            failures: failures.map { BatchReport.Failure(partner: $0.partner, release: $0.key, error: $0.error.message) },
            partial: !failures.isEmpty)
        do {
            try ReleaseDirectory.writeFile(out + "/" + BatchReport.fileName, report.encoded())
        } catch {
            throw .output(error.description)
        }
        return BatchOutcome(release: release, batch: batch, outputs: outputs, failures: failures, combinedWithheld: combinedWithheld)
    }
}

/// What ``BatchPipeline/run(batch:options:out:overwrite:created:randomness:progress:)`` did.
public enum BatchRun: Sendable {
    /// Nothing changed since the releases in `out` were made: nothing was done.
    case upToDate([BatchLedger.Entry])
    /// The batch ran (keeping the partners' releases that are current).
    case ran(BatchOutcome)
}

extension BatchPipeline {
    /// Runs a batch as the command line does: holding `out`'s ledger for the whole run (a
    /// second batch on the same `out` is refused while one runs, so that neither builds on
    /// what the other is replacing), it does nothing where every release is current, and
    /// otherwise protects the batch keeping the partners' releases that are.
    public static func run(
        batch: BatchPlan, options: IngestOptions, out: String, overwrite: Bool, created: Date = Date(), randomness: RandomnessSource = .operatingSystem,
        progress: (@Sendable (BatchProgress) -> Void)? = nil
    ) throws(ReleaseError) -> BatchRun {
        try refuseNoise(batch.spec)
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw .output("cannot create \(out): \(error.localizedDescription)")
        }
        // flock, which SQLite's own locks (fcntl) leave alone.
        let path = out + "/" + BatchLedger.fileName
        let lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw .output("cannot open \(path): \(POSIX.lastError)") }
        defer { POSIX.closeFile(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            throw .output("another discreet batch is writing to \(out) (it holds \(path)); run this one when it has finished")
        }
        let current = current(batch: batch, out: out)
        if current.count == batch.releases.count { return .upToDate(current) }
        return .ran(try protect(
            batch: batch, options: options, out: out, overwrite: overwrite, created: created, randomness: randomness, progress: progress, keeping: current))
    }

    /// The ingest's progress as the batch's: rows per partner (those of its inputs read in
    /// full, plus the one being read), a partner read once its last input is.
    static func partnerProgress(of batch: BatchPlan, to progress: @escaping @Sendable (BatchProgress) -> Void) -> @Sendable (IngestProgress) -> Void {
        let rows = PartnerRows()
        rows.done.withLock { $0 = Array(repeating: (0, 0), count: batch.partners.count) }
        let partnerOf = batch.plan.spec.partnerOfInput
        return { event in
            switch event {
            case .reading(let input, let n):
                let p = partnerOf[input]
                progress(.reading(partner: batch.partners[p].key, rows: rows.done.withLock { $0[p].rows } + n))
            case .read(let input, let n, let quarantined):
                let p = partnerOf[input]
                let total = rows.done.withLock { done in
                    done[p].rows += n
                    done[p].quarantined += quarantined
                    return done[p]
                }
                if partnerOf.lastIndex(of: p) == input {
                    progress(.read(partner: batch.partners[p].key, rows: total.rows, quarantined: total.quarantined))
                }
            case .grouping:
                progress(.protecting)
            }
        }
    }

    /// A batch protects by suppression and rounding only.
    static func refuseNoise(_ spec: ReleaseSpec) throws(ReleaseError) {
        guard spec.protection.noise != nil || spec.protection.cellKey != nil else { return }
        throw .spec(SpecProblems(problems: [SpecProblem(
            SourceLocation(file: spec.path, line: 1),
            "a batch protects by suppression and rounding; a spec with 'noise' or 'cell_key' is released with 'discreet protect', one run per release")]))
    }

    /// What a release publishes and withholds, for the summary.
    static func summary(_ part: BatchRelease, in batch: BatchPlan, release: ProtectedRelease, path: String) -> BatchOutput {
        let cells = part.tables.flatMap { release.tables[$0].statuses }
        let percentages = part.indicators.flatMap { release.indicators[$0].percentages }
        let inputs = part.partner.map { batch.partners[$0].inputs.map { release.ingest.inputs[$0] } } ?? release.ingest.inputs
        return BatchOutput(
            key: part.key, partner: part.partner.map { batch.partners[$0].name }, path: path,
            rows: inputs.reduce(0) { $0 + $1.rows }, quarantined: inputs.reduce(0) { $0 + $1.quarantined }, tables: part.tables.count,
            cells: cells.count, withheld: cells.filter { $0.disposition.isWithheld }.count, indicators: part.indicators.count,
            percentages: percentages.count, percentagesWithheld: percentages.filter { if case .withheld = $0 { true } else { false } }.count)
    }

    /// The joint plan's tables a release publishes: its tables, and its indicators'
    /// numerators and denominators.
    static func publishedTables(_ part: BatchRelease, in batch: BatchPlan) -> [Int] {
        part.tables + part.indicators.flatMap { [batch.plan.indicators[$0].numerator, batch.plan.indicators[$0].denominator] }
    }

    /// Per table a release publishes (by its name in the joint plan), whether each cell is
    /// withheld: what the ledger keeps, so that a later run can keep the release.
    static func withheld(_ part: BatchRelease, in batch: BatchPlan, release: ProtectedRelease) -> [String: [Bool]] {
        Dictionary(publishedTables(part, in: batch).map { t in (batch.plan.tables[t].name, release.tables[t].statuses.map { $0.disposition.isWithheld }) }) { a, _ in a }
    }

    /// Per table a release publishes (by its name in the joint plan), the figure each cell
    /// publishes exactly (nil: withheld or rounded): what the ledger keeps, so that the next
    /// release can be compared with this one.
    static func figures(_ part: BatchRelease, in batch: BatchPlan, release: ProtectedRelease) -> [String: [Int64?]] {
        Dictionary(publishedTables(part, in: batch).map { t in (batch.plan.tables[t].name, exactFigures(release.tables[t])) }) { a, _ in a }
    }

    /// What a table publishes exactly, cell by cell (nil: withheld, or rounded).
    static func exactFigures(_ table: ProtectedTable) -> [Int64?] {
        (0..<table.shape.cellCount).map { c in table.rounding?.rounded[c] == true ? nil : table.published(c) }
    }

    /// The joint plan with the statuses of the kept releases' figures fixed, as the ledger
    /// records them, and the cells the previous releases of the others withheld preferred.
    static func plan(_ batch: BatchPlan, keeping keep: [String: BatchLedger.Entry], preferring previous: [String: BatchLedger.Entry]) -> ReleasePlan {
        var plan = batch.plan
        for part in batch.releases {
            if let entry = keep[part.key] {
                for t in publishedTables(part, in: batch) {
                    let table = plan.tables[t]
                    for (i, withheld) in (entry.withheld[table.name] ?? []).enumerated() { plan.kept[table.cohort, default: [:]][table.cohortCells[i]] = withheld }
                }
            } else if let entry = previous[part.key] {
                // (A table whose shape changed since is not compared.)
                for t in publishedTables(part, in: batch) {
                    let table = plan.tables[t]
                    guard let withheld = entry.withheld[table.name], withheld.count == table.cohortCells.count else { continue }
                    for (i, w) in withheld.enumerated() where w { plan.preferred[table.cohort, default: []].insert(table.cohortCells[i]) }
                }
            }
        }
        return plan
    }

    /// The last release completed of each of `releases`, from the batch's ledger in `out`
    /// (none where there is no ledger or it cannot be read).
    static func previousReleases(_ releases: [String], out: String) -> [String: BatchLedger.Entry] {
        let path = out + "/" + BatchLedger.fileName
        guard FileManager.default.fileExists(atPath: path), let ledger = try? BatchLedger(path: path) else { return [:] }
        return Dictionary(releases.compactMap { key in (try? ledger.previous(key)).flatMap { $0 }.map { (key, $0) } }) { a, _ in a }
    }

    /// A release compared with the previous release of it: how many of the cells that one
    /// withheld this one withholds again, and each group whose change between them (this
    /// one minus that one) is told exactly and fails the frequency rule as a count
    /// (``ReleaseChange``). Count tables only, and only those of the same shape as before.
    static func compare(_ part: BatchRelease, in batch: BatchPlan, release: ProtectedRelease, with previous: BatchLedger.Entry) -> BatchReport.PreviousRelease {
        let prefix = part.partner == nil ? "" : part.key + "/"
        var result = BatchReport.PreviousRelease(releaseID: previous.releaseID, recorded: previous.recorded)
        let rule = batch.spec.protection.primary.frequency
        for t in publishedTables(part, in: batch) {
            let table = release.tables[t]
            let name = batch.plan.tables[t].name
            if let before = previous.withheld[name], before.count == table.statuses.count {
                for (c, w) in before.enumerated() where w {
                    result.withheldBefore += 1
                    if table.statuses[c].disposition.isWithheld { result.withheldAgain += 1 }
                }
            }
            guard let rule, !table.data.measure.isMagnitude, let figures = previous.published[name], figures.count == table.shape.cellCount else { continue }
            result.comparedTables += 1
            for change in ReleaseChange.smallChanges(shape: table.shape, previous: figures, current: exactFigures(table), rule: rule) {
                result.changes.append(BatchReport.SmallChange(
                    table: String(name.dropFirst(name.hasPrefix(prefix) ? prefix.count : 0)), kind: change.kind.rawValue,
                    cells: change.cells.map { table.shape.codes(of: $0) }, change: change.change))
            }
        }
        return result
    }

    /// The batch's releases in `out` made, and recorded complete in the batch's ledger, from
    /// this tool, this spec and their extracts as they are now, whose directories hold the
    /// releases the ledger names (a partner's release reads its own extracts; the combined
    /// one, every partner's). Empty where there is no ledger or it cannot be read.
    public static func current(batch: BatchPlan, out: String) -> [BatchLedger.Entry] {
        let path = out + "/" + BatchLedger.fileName
        guard FileManager.default.fileExists(atPath: path), let ledger = try? BatchLedger(path: path), let entries = try? ledger.entries() else { return [] }
        // An extract that cannot be read changed (or is gone).
        let sums = batch.spec.inputs.map { try? POSIX.sha256(path: $0.path) }
        let spec = SHA256.hex(batch.spec.bytes)
        return batch.releases.compactMap { r in
            let inputs = r.partner.map { batch.partners[$0].inputs } ?? Array(batch.spec.inputs.indices)
            let read = inputs.compactMap { sums[$0] }
            guard read.count == inputs.count, let entry = entries.first(where: { $0.release == r.key }), entry.complete,
                entry.stamp == BatchLedger.stamp(spec: spec, inputs: read),
                let data = FileManager.default.contents(atPath: out + "/" + r.key + "/manifest.json"),
                let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                manifest["release_id"] as? String == entry.releaseID
            else { return nil }
            return entry
        }
    }

    /// What `discreet audit` finds in each release read alone, before any is written: the
    /// joint audit covers every release together, and this one, what a reader of a single
    /// release can do with it (a relation the joint system missed would show here). Each is
    /// written to a hidden directory under `out` (removed after, or by a later run if this
    /// one dies) and audited there, both cores sharing the releases.
    static func auditAlone(_ rendered: [[(path: String, bytes: [UInt8])]], keys: [String], out: String) throws(ReleaseError) -> [AuditFinding] {
        let staging: ReleaseDirectory.Staging
        do {
            staging = try ReleaseDirectory.Staging(beside: out + "/.audit")
        } catch {
            throw .output(error.description)
        }
        defer {
            try? FileManager.default.removeItem(atPath: staging.path)
            staging.release()
        }
        let results = Mutex([[AuditFinding]](repeating: [], count: rendered.count))
        DispatchQueue.concurrentPerform(iterations: rendered.count) { r in
            let directory = staging.path + "/" + keys[r]
            var findings: [String]
            do {
                for file in rendered[r] {
                    let target = directory + "/" + file.path
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    guard FileManager.default.createFile(atPath: target, contents: Data(file.bytes)) else { throw ReleaseDirectory.Failure.io("cannot write \(target)") }
                }
                findings = try PublishedAudit.run(directory: directory).findings
            } catch {
                findings = ["cannot be read back: \(error)"]
            }
            let found = findings.map { AuditFinding(kind: .aloneFinding($0), table: keys[r], cell: []) }
            results.withLock { $0[r] = found }
        }
        return results.withLock { $0.flatMap { $0 } }
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
