import DiscreetCore
import Foundation

/// The manifest: what a release was made from, with which rules, and what they withheld.
/// It holds counts and checksums only, never a cell's or a record's value.
public enum ReleaseManifest {
    static func render(_ release: ProtectedRelease, created: Date, files: [(path: String, bytes: [UInt8])]) -> [UInt8] {
        let plan = release.plan
        let spec = plan.spec
        let identity = release.identity
        var json = JSONText()
        json.object()
        json.object("discreet")
        json.value("version", identity.toolVersion)
        json.endObject()
        json.value("release_id", identity.id)
        json.value("created", ISO8601DateFormatter().string(from: created))
        json.object("spec")
        json.value("path", identity.specPath)
        json.value("sha256", identity.specSHA256)
        json.endObject()
        json.array("inputs")
        for input in identity.inputs {
            json.object()
            json.value("path", input.input.path)
            json.value("format", input.input.format.rawValue)
            if let table = input.input.table { json.value("table", table) }
            if let partner = input.input.partner { json.value("partner", partner) }
            json.value("sha256", input.sha256)
            json.value("bytes", input.bytes)
            json.value("rows", input.rows)
            json.value("rows_quarantined", input.quarantined)
            json.endObject()
        }
        json.endArray()
        json.object("randomness")
        json.value("used", release.randomnessUsed)
        switch release.randomness {
        case .operatingSystem:
            json.value("source", "operating system cryptographic generator")
        case .reproducible(let seed):
            json.value("source", "reproducible generator (test option --reproducible-seed): predictable, not for publication")
            json.value("seed", String(seed))
        }
        json.endObject()
        json.value("people", release.ingest.people)

        json.object("policy")
        if let preset = spec.protection.preset { json.value("preset", preset.rawValue) }
        json.value("on_error", release.onError.rawValue)
        json.value("conflicts", spec.conflicts.rawValue)
        renderPrimary(spec.protection.primary, into: &json)
        let secondary = spec.protection.secondary
        json.object("secondary")
        json.value("method", secondary.method.rawValue)
        switch secondary.frequency {
        case .reachThreshold:
            json.value("frequency_protection", "threshold")
        case .band:
            json.value("frequency_protection", "band")
        case .fixed(let upper, let lower):
            json.object("frequency_protection")
            json.value("upper", Int(upper))
            json.value("lower", Int(lower))
            json.endObject()
        }
        json.value("singletons", secondary.singletons ? "protect" : "ignore")
        json.value("cost", secondary.cost.rawValue)
        if !secondary.weights.isEmpty {
            json.object("weights")
            for (dimension, codes) in secondary.weights.sorted(by: { $0.key < $1.key }) {
                json.object(dimension)
                for (code, weight) in codes.sorted(by: { $0.key < $1.key }) { json.value(code, weight) }
                json.endObject()
            }
            json.endObject()
        }
        json.endObject()
        if let rounding = spec.protection.rounding {
            renderRounding(rounding, into: &json)
        }
        json.strings("fallbacks", release.fallbacks)
        // (How many groups were sensitive is not stated: it depends on true values nobody
        // can compute from the release. The summary on the terminal tells the officer.)
        json.object("related_cohorts")
        json.value("relations", release.layout.relations.within.count + release.layout.relations.disjoint.count)
        json.value("families", release.layout.families.count)
        json.value("about", "groups counted by subtracting published figures (a denominator minus its numerator, a cohort minus one within it) get the primary rules like any count")
        json.endObject()
        renderDisplay(spec.protection, into: &json)
        json.object("percentages")
        json.value("decimals", spec.protection.percentDecimals)
        if let below = spec.protection.percentWholeBelow { json.value("whole_numbers_below_denominator", Int(below)) }
        json.value("computed_from", "published figures")
        json.endObject()
        json.endObject()

        json.array("tables")
        for (t, planned) in plan.tables.enumerated() {
            let table = release.tables[t]
            let counts = table.dispositionCounts
            json.object()
            json.value("name", planned.name)
            json.value("declared", planned.declared)
            json.value("measure", table.data.measure.isMagnitude ? "sum" : "count")
            json.strings("dimensions", table.shape.dimensions.map(\.name))
            json.value("cells", table.shape.cellCount)
            json.value("published", counts[.published] ?? 0)
            json.object("withheld")
            for d in CellDisposition.allCases where d.isWithheld { json.value(d.description, counts[d] ?? 0) }
            json.value("secondary_for_related_cohorts", release.crossCohort[t].enumerated().filter { $1 && table.statuses[$0].disposition == .secondary }.count)
            json.endObject()
            if table.rounding != nil { json.value("rounded", table.roundedCount) }
            let loss = table.informationLoss
            json.object("information_loss")
            json.number("share_of_cells_withheld", String(format: "%.4f", loss.cells))
            json.number("share_of_total_withheld", String(format: "%.4f", loss.total))
            json.endObject()
            json.object("cells_failing_rule")
            for (name, cells) in table.ruleCounts { json.value(name, cells) }
            json.endObject()
            json.endObject()
        }
        json.endArray()

        json.array("indicators")
        for (i, indicator) in plan.indicators.enumerated() {
            var counts: [String: Int] = [:]
            for p in release.indicators[i].percentages { counts[p.status, default: 0] += 1 }
            json.object()
            json.value("name", indicator.spec.name)
            json.value("numerator_table", plan.tables[indicator.numerator].name)
            json.value("denominator_table", plan.tables[indicator.denominator].name)
            json.value("cells", release.indicators[i].percentages.count)
            // Numerators and denominators withheld to protect another cohort's figures, or
            // the people counted by subtracting one from the other.
            for (part, t) in [("numerator", indicator.numerator), ("denominator", indicator.denominator)] {
                let table = release.tables[t]
                json.value("\(part)_secondary_for_related_cohorts", release.crossCohort[t].enumerated().filter { $1 && table.statuses[$0].disposition == .secondary }.count)
            }
            json.object("percentages")
            for status in ["published", "withheld", "not_applicable"] { json.value(status, counts[status] ?? 0) }
            json.endObject()
            json.endObject()
        }
        json.endArray()

        json.object("quarantine")
        json.value("rows", release.ingest.quarantine.reduce(0) { $0 + $1.count })
        json.array("reasons")
        for entry in release.ingest.quarantine {
            json.object()
            json.value("reason", entry.reason.rawValue)
            json.value("column", entry.column)
            if let subject = entry.subject { json.value("subject", subject) }
            json.value("message", entry.message)
            json.value("rows", entry.count)
            json.strings("first", entry.first)
            json.endObject()
        }
        json.endArray()
        json.array("conflicts")
        for conflict in release.ingest.conflicts {
            json.object()
            json.value("table", conflict.table)
            json.value("people_left_out", conflict.people)
            json.strings("first", conflict.first)
            json.endObject()
        }
        json.endArray()
        json.endObject()

        // Every other file of the release, so that a copy can be checked byte for byte.
        json.array("files")
        for file in files {
            json.object()
            json.value("path", file.path)
            json.value("sha256", SHA256.hex(file.bytes))
            json.value("bytes", file.bytes.count)
            json.endObject()
        }
        json.endArray()

        json.object("audit")
        json.value("passed", release.findings.isEmpty)
        json.strings("checks", ReleaseAudit.checks)
        json.endObject()
        json.endObject()
        return json.finish()
    }

    /// The display symbols, as both release.json and the manifest state them.
    static func renderDisplay(_ protection: ProtectionSpec, into json: inout JSONText) {
        let display = protection.display
        json.object("display")
        json.value("withheld", display.withheld)
        json.value("small", protection.primary.frequency.flatMap { display.small(upTo: FrequencyProtection.largestSmall($0)) })
        json.value("not_applicable", display.notApplicable)
        json.value("rounds_to_zero", display.roundsToZero)
        json.endObject()
    }

    static func renderRounding(_ rounding: RoundingPolicy, into json: inout JSONText) {
        json.object("rounding")
        json.value("method", rounding.method.rawValue)
        json.value("base", Int(rounding.base))
        if rounding.method != .controlled { json.value("margins", rounding.margins.rawValue) }
        if let levels = rounding.levels {
            json.object("levels")
            json.value("dimension", levels.dimension)
            json.value("depth", levels.depth)
            json.endObject()
        }
        if let sums = rounding.sums { json.number("sums", sums.description) }
        json.value("applies_to", rounding.sums == nil ? "published counts (sums are exact)" : "published counts and sums (contributor counts are exact)")
        json.value("true_value_of_a_published_figure_R", "between R - \(rounding.below) and R + \(rounding.above), and not below 0")
        json.endObject()
    }

    static func renderPrimary(_ primary: PrimaryPolicy, into json: inout JSONText) {
        json.object("primary")
        if let f = primary.frequency {
            json.object("frequency")
            json.value("threshold", Int(f.threshold))
            json.value("comparator", f.comparator.rawValue)
            json.value("sensitive_when", "0 < contributors \(f.comparator.rawValue) \(f.threshold)")
            json.endObject()
        }
        json.value("zeros", primary.zeros.rawValue)
        json.array("dominance")
        for d in primary.dominance {
            json.object()
            json.value("n", d.n)
            json.number("k", d.k.description)
            json.value("comparator", d.comparator.rawValue)
            json.value("sensitive_when", "sum of the \(d.n) largest \(d.comparator.rawValue) \(d.k)% of the cell total")
            json.endObject()
        }
        json.endArray()
        if let p = primary.pPercent {
            json.object("p_percent")
            json.number("p", p.p.description)
            json.value("comparator", p.comparator.rawValue)
            json.value("sensitive_when", "total - x1 - x2 \(p.comparator.rawValue) \(p.p)% of x1")
            json.endObject()
        }
        if let pq = primary.pq {
            json.object("pq")
            json.number("p", pq.p.description)
            json.number("q", pq.q.description)
            json.value("comparator", pq.comparator.rawValue)
            json.value("sensitive_when", "total - x1 - x2 \(pq.comparator.rawValue) (p/q) x1")
            json.endObject()
        }
        json.endObject()
    }
}
