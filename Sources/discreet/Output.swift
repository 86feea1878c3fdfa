import ArgumentParser
import DiscreetCore
import DiscreetIO

import Foundation

enum DiscreetVersionText {
    static let current = DiscreetIO.DiscreetVersion.current
}

/// The documented exit codes.
enum Exit {
    static let failure = ExitCode(1)
    static let badSpec = ExitCode(2)
    static let badInput = ExitCode(3)
    static let refused = ExitCode(4)
    /// A batch released some partners but not all.
    static let partial = ExitCode(5)
}

/// Writes a line to standard error.
func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A count with thousands separators: 1234567 → "1,234,567".
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

func percent(_ share: Double) -> String {
    let tenths = Int((share * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
}

func plural(_ n: Int, _ word: String, _ words: String? = nil) -> String {
    "\(grouped(n)) \(n == 1 ? word : (words ?? word + "s"))"
}

/// Prints a release error and returns its exit code.
func fail(_ error: ReleaseError) -> ExitCode {
    switch error {
    case .spec(let problems):
        for p in problems.problems { report("\(p)") }
        report("the spec has \(plural(problems.problems.count, "problem")): nothing was released")
        return Exit.badSpec
    case .input(let e):
        report("error: \(e.message)")
        report("nothing was released")
        return Exit.badInput
    case .inconsistent(let lines):
        for l in lines { report("error: \(l)") }
        report("nothing was released")
        return Exit.badInput
    case .refused(let findings):
        for f in findings.prefix(50) { report("refused: \(f)") }
        if findings.count > 50 { report("refused: ... and \(findings.count - 50) more") }
        report("the audit found \(plural(findings.count, "problem")): the release is refused and nothing was written")
        return Exit.refused
    case .output(let message):
        report("error: \(message)")
        return Exit.failure
    case .budget(let e):
        if case .unreadable = e {
            report("error: \(e)")
            report("nothing was released")
            return Exit.badInput
        }
        report("refused: \(e)")
        report("the ledger refused the release: nothing was drawn or written")
        return Exit.refused
    }
}

/// The summary of a differentially private release: what it spent, what is left, how
/// accurate its figures are.
func noiseSummary(_ release: ProtectedRelease, _ run: NoiseRun) -> [String] {
    var lines: [String] = []
    let spec = run.spec
    let s = spec.accounting.symbol
    let what = spec.strategy == .finest ? "finest tables" : "published figures, level by level, reconciled"
    lines.append("noise: \(run.mechanism.name) on each of \(plural(run.shares, "cohort"))' \(what), \(s) = \(spec.amount) in all (\(s) = \(run.shareText) each); "
        + "figures \(spec.postProcessing == .raw ? "raw (unbiased, may be negative)" : "post-processed to non-negative whole numbers that add up")")
    if let budget = run.budget {
        lines.append("  ledger \(spec.ledger): dataset \(spec.dataset) has spent \(s) = \(budget.spent) of \(budget.total) over \(plural(budget.releases, "release")), \(budget.remaining) left")
    }
    // Counts together; each sum table apart, in its own units.
    var cells = 0
    var finest = Int64.max, widest: Int64 = 0
    for (t, table) in release.tables.enumerated() where release.plan.tables[t].declared {
        guard let noise = table.noise else { continue }
        guard !table.data.measure.isMagnitude else {
            let places = table.data.measure.places
            lines.append("  \(table.name): \(plural(noise.values.count, "noisy sum")) within ±\(ScaledDecimal.format(noise.errorBounds.min() ?? 0, places: places)) "
                + "to ±\(ScaledDecimal.format(noise.errorBounds.max() ?? 0, places: places)) with \(spec.confidence)% confidence")
            continue
        }
        cells += noise.values.count
        finest = min(finest, noise.errorBounds.min() ?? 0)
        widest = max(widest, noise.errorBounds.max() ?? 0)
    }
    if cells > 0 {
        lines.append("  \(plural(cells, "noisy count")) in the declared tables: each within its stated error bound (±\(finest) for the finest cells, up to ±\(widest) for the largest totals) with \(spec.confidence)% confidence")
    }
    // How many contributions were clamped depends on the data: printed here, never released.
    for (c, cohort) in release.plan.cohorts.enumerated() where release.ingest.clamped.indices.contains(c) && release.ingest.clamped[c] > 0 {
        guard let column = cohort.sumColumn, let range = spec.clamps[column] else { continue }
        let places = release.plan.spec.columns[column].type.scale
        lines.append("  \(release.plan.describe(cohort: c)): \(plural(release.ingest.clamped[c], "person's", "people's")) '\(release.plan.spec.columns[column].name)' clamped to "
            + "\(ScaledDecimal.format(range.lowerBound, places: places)) to \(ScaledDecimal.format(range.upperBound, places: places)) (not stated in the release)")
    }
    if case .reproducible(let seed) = release.randomness {
        lines.append("warning: the noise was drawn from the reproducible generator (seed \(seed)): it protects nobody; not for publication")
    }
    return lines
}

/// The summary printed after a run.
func summary(_ release: ProtectedRelease) -> [String] {
    var lines: [String] = []
    let rows = release.ingest.inputs.reduce(0) { $0 + $1.rows }
    let bad = release.ingest.inputs.reduce(0) { $0 + $1.quarantined }
    lines.append("read \(plural(release.ingest.inputs.count, "input")): \(plural(rows, "row"))"
        + (bad > 0 ? " (\(grouped(bad)) quarantined)" : "") + ", \(plural(release.ingest.people, "person", "people"))")
    for entry in release.ingest.quarantine {
        lines.append("  quarantined \(plural(entry.count, "row")): \(entry.message) (first at \(entry.first[0]))")
    }
    for conflict in release.ingest.conflicts {
        lines.append("  left out of \(conflict.table): \(plural(conflict.people, "person", "people")) whose rows fall in different cells")
    }
    if let key = release.cellKey {
        let cells = release.tables.enumerated().filter { release.plan.tables[$0.offset].declared }.reduce(0) { $0 + $1.element.shape.cellCount }
        lines.append("cell key method: \(plural(cells, "count")) in the declared tables perturbed by at most ±\(key.table.largestPerturbation) "
            + "(perturbation table: \(key.tableSource)); record keys " + {
                switch key.recordKeys {
                case .secret(let path): return "from the secret in \(path)"
                case .column(let name): return "from column '\(name)'"
                }
            }())
        if release.ingest.differingRecordKeys > 0 {
            lines.append("  \(plural(release.ingest.differingRecordKeys, "person has", "people have")) rows with different record keys; each took the least of theirs")
        }
        for fallback in release.fallbacks { lines.append("  \(fallback)") }
        return lines
    }
    if let run = release.noise {
        lines += noiseSummary(release, run)
        for fallback in release.fallbacks { lines.append("  \(fallback)") }
        return lines
    }
    let declared = release.plan.tables.indices.filter { release.plan.tables[$0].declared }
    var cells = 0, primary = 0, secondary = 0
    for t in release.tables.indices {
        let counts = release.tables[t].dispositionCounts
        cells += release.tables[t].shape.cellCount
        primary += counts[.primary] ?? 0
        secondary += counts[.secondary] ?? 0
    }
    lines.append("\(plural(release.tables.count, "table")) (\(grouped(declared.count)) declared, the rest behind indicators): \(plural(cells, "cell"))")
    lines.append("withheld \(plural(primary + secondary, "cell")): \(grouped(primary)) primary, \(grouped(secondary)) secondary")
    var related = 0
    for t in release.tables.indices {
        related += release.crossCohort[t].enumerated().filter { $1 && release.tables[t].statuses[$0].disposition == .secondary }.count
    }
    let steps = release.exactSteps.filter(\.applied)
    if !steps.isEmpty {
        let proven = steps.filter(\.proven).count
        let before = steps.reduce(0.0) { $0 + $1.costBefore }
        let after = steps.reduce(0.0) { $0 + $1.costAfter }
        let gain = before > 0 && after < before ? String(format: "; it costs %.1f%% less than the search's", 100 * (before - after) / before) : ""
        let stops = Set(steps.filter { !$0.proven }.map(\.stop.rawValue)).sorted().joined(separator: ", ")
        lines.append("  exact step (Fischetti and Salazar's model): the pattern is proven the cheapest in \(grouped(proven)) of \(plural(steps.count, "component"))"
            + (stops.isEmpty ? "" : " (elsewhere: \(stops))") + gain)
    }
    if release.sensitiveGroups > 0 || related > 0 {
        lines.append("  \(plural(release.sensitiveGroups, "group")) of 1 to \(release.plan.spec.protection.primary.frequency.map { FrequencyProtection.largestSmall($0) } ?? 0) people countable by subtracting figures (a denominator minus its numerator) protected; "
            + "\(plural(related, "secondary cell")) withheld for related cohorts")
    }
    if let policy = release.plan.spec.protection.rounding {
        let rounded = release.tables.reduce(0) { $0 + $1.roundedCount }
        lines.append("rounded \(plural(rounded, "published figure")): \(policy.method.rawValue) rounding of counts to base \(policy.base)" + (policy.sums.map { ", sums to \($0)" } ?? "")
            + " (a published count R means a true value from R - \(policy.below) to R + \(policy.above))")
    }
    for fallback in release.fallbacks { lines.append("  \(fallback)") }
    if case .reproducible(let seed) = release.randomness, release.randomnessUsed {
        lines.append("warning: random rounding drew from the reproducible generator (seed \(seed)): not for publication")
    }
    for t in declared {
        let table = release.tables[t]
        let counts = table.dispositionCounts
        let loss = table.informationLoss
        let forRelated = release.crossCohort[t].enumerated().filter { $1 && table.statuses[$0].disposition == .secondary }.count
        lines.append("  \(release.plan.tables[t].name): \(plural(table.shape.cellCount, "cell")), withheld \(grouped(counts[.primary] ?? 0)) primary + \(grouped(counts[.secondary] ?? 0)) secondary"
            + (forRelated > 0 ? ", \(grouped(forRelated)) of them for related cohorts" : "") + " (\(percent(loss.cells)) of cells, \(percent(loss.total)) of the total)")
        let levels = table.withheldByLevel
        if levels.count > 1 {
            lines.append("    withheld by level (0 inner cells ... \(levels.count - 1) the grand total): " + levels.map(grouped).joined(separator: ", "))
        }
    }
    if !release.indicators.isEmpty {
        var published = 0, withheld = 0, total = 0
        for figures in release.indicators {
            for p in figures.percentages {
                total += 1
                if case .value = p { published += 1 }
                if case .withheld = p { withheld += 1 }
            }
        }
        lines.append("\(plural(release.indicators.count, "indicator")): \(plural(total, "percentage")), \(grouped(published)) published, \(grouped(withheld)) withheld")
        // Indicators whose figures were withheld to protect related cohorts' figures or groups.
        for (i, indicator) in release.plan.indicators.enumerated() {
            let figures = release.indicators[i]
            var related = 0
            for t in [figures.numerator, figures.denominator] {
                related += release.crossCohort[t].enumerated().filter { $1 && release.tables[t].statuses[$0].disposition == .secondary }.count
            }
            if related > 0 { lines.append("  \(indicator.spec.name): \(plural(related, "figure")) withheld for related cohorts (a complement of 1 to 4, or another cohort's figure)") }
        }
    }
    return lines
}
