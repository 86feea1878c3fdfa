import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The bundled example as a differentially private release (fixtures/transitions/noise.yaml).
let noiseSpec = (transitionsSpec as NSString).deletingLastPathComponent + "/noise.yaml"

/// The spec `protection: noise` section, read and refused.
@Suite struct NoiseSpecTests {
    /// `minimalSpec` without its sum table, protected by `noise` instead of its primary rules.
    func spec(_ noise: String) -> String {
        var text = minimalSpec.replacingOccurrences(of: "  costs:\n    cohort: young and cost is not missing\n    sum: cost\n    by: area\n", with: "")
        let start = text.range(of: "protection:\n")!
        text = String(text[..<start.upperBound]) + noise + "\n"
        return text
    }

    @Test func readsTheMechanismTheBudgetAndThePostProcessing() throws {
        let text = spec("""
              noise:
                mechanism: laplace
                epsilon: 0.25
                budget: {dataset: cohort-2026, total: 3/2}
                requester: research team
                ledger: budgets/ledger.sqlite
                figures: non_negative
                confidence: 90
                suppress_below: 3
              percentages: {decimals: 0}
            """)
        let parsed = try parseSpec(text, directory: "/data/release")
        let noise = try #require(parsed.protection.noise)
        #expect(noise.accounting == .pure && noise.amount == Rational(1, 4) && noise.total == Rational(3, 2))
        #expect(noise.dataset == "cohort-2026" && noise.requester == "research team")
        #expect(noise.ledger == "/data/release/budgets/ledger.sqlite")
        #expect(noise.postProcessing == .nonNegative && noise.confidence == 90 && abs(noise.alpha - 0.1) < 1e-12)
        #expect(noise.suppressBelow == 3 && noise.strategy == .finest)
        let levels = try parseSpec(spec("  noise: {mechanism: gaussian, rho: 1/8, budget: {dataset: d, total: 1}, strategy: levels}"))
        #expect(levels.protection.noise?.strategy == .levels && levels.protection.noise?.postProcessing == .nonNegative)
        #expect(problems(spec("  noise: {mechanism: gaussian, rho: 1/8, budget: {dataset: d, total: 1}, strategy: levels, figures: raw}")).contains { $0.contains("leave out 'figures: raw'") })
        #expect(parsed.protection.percentDecimals == 0)
        // An even share per cohort: exactly ε/2 for two cohorts.
        #expect(noise.mechanism(shares: 2) == .laplace(epsilon: Rational(1, 8)))
        // Defaults: raw figures, 95% confidence, the ledger beside the spec.
        let plain = try parseSpec(spec("""
              noise: {mechanism: gaussian, rho: 1/8, budget: {dataset: d, total: 1}}
            """), directory: "/data")
        #expect(plain.protection.noise?.postProcessing == .raw && plain.protection.noise?.confidence == 95)
        #expect(plain.protection.noise?.ledger == "/data/privacy-ledger.sqlite")
        #expect(plain.protection.noise?.mechanism(shares: 4) == .gaussian(rho: Rational(1, 32)))
    }

    @Test func refusesWhatIsNotDifferentiallyPrivate() throws {
        let noise = "  noise: {mechanism: gaussian, rho: 1/8, budget: {dataset: d, total: 1}}\n"
        // Suppression or rounding of true counts, or a preset that brings them.
        for extra in ["  primary: {frequency: {threshold: 5}}", "  rounding: {method: nearest, base: 5}", "  preset: nhs"] {
            let found = problems(spec(noise + extra))
            #expect(found.count >= 1 && found.allSatisfy { $0.contains("not differentially private") }, "\(extra): \(found)")
        }
        #expect(problems(spec(noise + "  display: {small: \"fewer than {threshold}\"}")).contains { $0.contains("'small' shows true small counts") })
        // A sum table: no contribution bounds yet.
        let primary = "  primary:\n    frequency: {threshold: 3, comparator: \"<\"}\n    zeros: publish\n    dominance: {n: 1, k: 80, comparator: \">\"}\n"
        let withSums = minimalSpec.replacingOccurrences(of: primary, with: noise)
        #expect(withSums != minimalSpec)
        #expect(problems(withSums).contains { $0.contains("table 'costs' sums 'cost': with noise, each person's contribution must be clamped") })
        // Clamped: read in the column's smallest units.
        let clamped = minimalSpec.replacingOccurrences(
            of: primary, with: "  noise: {mechanism: laplace, epsilon: 1, budget: {dataset: d, total: 2}, clamp: {cost: {from: -5.5, to: 2500}}}\n")
        let spec = try parseSpec(clamped)
        let costs = try #require(spec.column(named: "cost"))
        #expect(spec.protection.noise?.clamps == [costs: -550...250_000])
        #expect(spec.protection.noise?.sensitivity(column: costs) == 250_000)
        // A sum of sensitivity Δ gets the noise of ε/Δ for a count: scale Δ/ε.
        #expect(spec.protection.noise?.mechanism(share: Rational(1, 2), sumColumn: costs) == .laplace(epsilon: Rational(1, 500_000)))
        // Contributions that may be negative: the sum stays raw.
        #expect(spec.protection.noise?.postProcessing(sumColumn: costs) == .raw)
        func clampProblems(_ clamp: String) -> [String] {
            problems(minimalSpec.replacingOccurrences(of: primary, with: "  noise: {mechanism: laplace, epsilon: 1, budget: {dataset: d, total: 2}, clamp: {\(clamp)}}\n"))
        }
        #expect(clampProblems("cost: {from: 10, to: 5}").contains { $0.contains("'from' must be below 'to'") })
        #expect(clampProblems("cost: {from: 0}").contains { $0.contains("needs 'to'") })
        #expect(clampProblems("cost: {from: 0, to: 1.234}").contains { $0.contains("at most 2 decimal places") })
        #expect(clampProblems("ward: {from: 0, to: 1}").contains { $0.contains("'ward' is not a declared number column") })
    }

    /// Weights split the spend across cohorts in proportion to the declared tables and
    /// indicators each serves; without them, evenly.
    @Test func weightsSplitTheBudgetByWhatEachCohortServes() throws {
        let primary = "  primary:\n    frequency: {threshold: 3, comparator: \"<\"}\n    zeros: publish\n    dominance: {n: 1, k: 80, comparator: \">\"}\n"
        func spec(_ weights: String) -> String {
            minimalSpec.replacingOccurrences(
                of: primary, with: "  noise: {mechanism: laplace, epsilon: 9/10, budget: {dataset: d, total: 2}, clamp: {cost: {from: 0, to: 100}}\(weights)}\n")
        }
        let plan = try ReleasePlan(spec: try parseSpec(spec(", weights: {people: 2, neet: 3}")))
        let noise = try #require(plan.spec.protection.noise)
        let shares = plan.noiseShares(noise)
        func cohort(_ table: String) -> Int { plan.tables.first { $0.name == table }!.cohort }
        // people (2) and the denominator of neet (3) share the cohort 'young': 5 of 9; the
        // numerator of neet: 3 of 9; costs, not weighted: 1 of 9.
        let young = cohort("people"), numerator = plan.tables[plan.indicators[0].numerator].cohort
        #expect(plan.tables[plan.indicators[0].denominator].cohort == young)
        #expect(shares[young] == Rational(1, 2) && shares[numerator] == Rational(3, 10) && shares[cohort("costs")] == Rational(1, 10))
        #expect(shares.reduce(Rational.zero, +) == noise.amount)
        #expect(NoiseRun.shareText(shares) == "1/10 to 1/2")
        // Without weights: evenly.
        let even = try ReleasePlan(spec: try parseSpec(spec("")))
        #expect(even.noiseShares(even.spec.protection.noise!) == [Rational](repeating: Rational(3, 10), count: 3))
        #expect(problems(spec(", weights: {peple: 2}")).contains { $0.contains("no table or indicator 'peple'; did you mean 'people'?") })
        #expect(problems(spec(", weights: {people: 0}")).contains { $0.contains("must be a positive number") })
    }

    @Test func refusesABudgetThatDoesNotAddUp() {
        func found(_ noise: String) -> [String] { problems(spec("  noise: {\(noise)}")) }
        #expect(found("mechanism: gaussian, epsilon: 1, budget: {dataset: d, total: 2}").contains { $0.contains("spends 'rho'") })
        #expect(found("mechanism: laplace, epsilon: 1, rho: 1, budget: {dataset: d, total: 2}").contains { $0.contains("spends 'epsilon'") })
        #expect(found("mechanism: laplace, epsilon: 3, budget: {dataset: d, total: 2}").contains { $0.contains("more than the dataset's whole budget (2)") })
        #expect(found("mechanism: laplace, epsilon: -1, budget: {dataset: d, total: 2}").contains { $0.contains("must be a positive number") })
        #expect(found("mechanism: laplace, epsilon: 1").contains { $0.contains("needs a 'budget'") })
        #expect(found("mechanism: laplace, epsilon: 1, budget: {dataset: d}").contains { $0.contains("needs 'dataset'") })
        #expect(found("mechanism: uniform, epsilon: 1, budget: {dataset: d, total: 2}").contains { $0.contains("'laplace'") })
        #expect(found("mechanism: laplace, epsilon: 1, budget: {dataset: d, total: 2}, confidence: 100").contains { $0.contains("confidence") })
        #expect(found("mechanism: laplace, epsilon: 1, budget: {dataset: d, total: 2}, figures: clamped").contains { $0.contains("'raw', 'non_negative'") })
    }
}

/// The bundled example released with noise, end to end.
@Suite struct NoisyReleaseTests {
    /// The example's plan, its figures raw or post-processed.
    func plan(_ figures: NoisePostProcessing, ledger: String = "/nonexistent/ledger.sqlite", total: Rational? = nil, strategy: NoiseStrategy = .finest) throws -> ReleasePlan {
        var plan = try ReleasePipeline.plan(specPath: noiseSpec)
        plan.spec.protection.noise?.postProcessing = figures
        plan.spec.protection.noise?.strategy = strategy
        plan.spec.protection.noise?.ledger = ledger
        if let total { plan.spec.protection.noise?.total = total }
        return plan
    }

    func compute(_ plan: ReleasePlan, seed: UInt64) throws -> ProtectedRelease {
        // A fixed time: a noisy release's id names its run, time included.
        try ReleasePipeline.compute(
            plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop), randomness: .reproducible(seed: seed),
            created: Date(timeIntervalSince1970: 1_796_000_000))
    }

    /// Every figure of one cohort is the sum of that cohort's noisy finest cells: two tables
    /// of a cohort, and an indicator's numerator or denominator, agree wherever they name the
    /// same people (the same categories, totals where a table has no such dimension); every
    /// margin is the sum of its children.
    func expectAdditive(_ release: ProtectedRelease, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let plan = release.plan
        var seen: [String: Int64] = [:]
        var disagreements = 0
        for (t, planned) in plan.tables.enumerated() {
            let table = release.tables[t]
            for cell in 0..<table.shape.cellCount {
                let codes = table.shape.codes(of: cell)
                let key = "\(planned.cohort)|" + plan.cohorts[planned.cohort].publishedDimensions.map { d -> String in
                    let dim = plan.spec.dimensions[d]
                    return planned.dimensions.firstIndex(of: d).map { codes[$0] } ?? dim.dimension.codes[dim.dimension.total]
                }.joined(separator: "|")
                let value = table.published(cell)!
                if let earlier = seen[key], earlier != value { disagreements += 1 }
                seen[key] = value
            }
            for relation in table.shape.relations() {
                #expect(table.published(relation.total)! == relation.parts.reduce(0) { $0 + table.published($1)! }, sourceLocation: sourceLocation)
            }
        }
        #expect(disagreements == 0, sourceLocation: sourceLocation)
        // Indicators take their figures from the tables.
        for figures in release.indicators {
            let n = release.tables[figures.numerator], d = release.tables[figures.denominator]
            for cell in 0..<n.shape.cellCount {
                guard case .value(let p, let places) = figures.percentages[cell] else { continue }
                let (top, bottom) = (n.published(cell)!, d.published(cell)!)
                #expect(bottom > 0 && p >= 0 && p <= 100 * ScaledDecimal.unit(places), sourceLocation: sourceLocation)
                let clamped = min(max(top, 0), bottom)
                #expect(try Percentage.of(numerator: clamped, denominator: bottom, decimals: places) == figures.percentages[cell], sourceLocation: sourceLocation)
            }
        }
    }

    @Test func rawFiguresAddUpAcrossEveryTableAndIndicator() throws {
        let release = try compute(try plan(.raw), seed: 11)
        #expect(release.findings.isEmpty)
        #expect(release.tables.allSatisfy { $0.noise != nil })
        try expectAdditive(release)
        // Raw noise is unbiased: some of the many small cells come out negative.
        #expect(release.tables.contains { t in t.noise!.values.contains { $0 < 0 } })
        // No figure is the true value by construction: all of them are noisy.
        for table in release.tables {
            for cell in 0..<table.shape.cellCount {
                guard case .noisy = table.figure(cell) else {
                    Issue.record("\(table.name): a figure that is not noisy")
                    return
                }
            }
        }
    }

    /// Noised level by level and reconciled: every figure adds up and none is negative, and a
    /// city total's bound is far narrower than the finest strategy's (one draw, not 384).
    @Test func levelByLevelFiguresAddUpWithNarrowerTotals() throws {
        let release = try compute(try plan(.nonNegative, strategy: .levels), seed: 13)
        #expect(release.findings.isEmpty)
        try expectAdditive(release)
        #expect(release.tables.allSatisfy { t in t.noise!.values.allSatisfy { $0 >= 0 } })
        let finest = try compute(try plan(.nonNegative), seed: 13)
        let t = try #require(release.plan.tables.firstIndex { $0.name == "transition_by_area_ethnicity" })
        let total = release.tables[t].shape.cellCount - 1
        #expect(release.tables[t].noise!.errorBounds[total] * 2 < finest.tables[t].noise!.errorBounds[total])
        #expect(release.noise?.spec.strategy == .levels)
    }

    @Test func nonNegativeFiguresAddUpAndNoneIsNegative() throws {
        let release = try compute(try plan(.nonNegative), seed: 12)
        #expect(release.findings.isEmpty)
        try expectAdditive(release)
        #expect(release.tables.allSatisfy { t in t.noise!.values.allSatisfy { $0 >= 0 } })
        // Post-processing moves figures; the stated bounds grow by the move (by each step's
        // move where the cohorts are then made to agree, which is at least the whole move).
        let raw = try compute(try plan(.raw), seed: 12)
        let moved = zip(release.tables, raw.tables).contains { clean, raw in clean.noise!.values != raw.noise!.values }
        #expect(moved)
        var exactly = 0
        for (clean, raw) in zip(release.tables, raw.tables) {
            for cell in 0..<clean.shape.cellCount {
                let move = Int64((clean.noise!.values[cell] - raw.noise!.values[cell]).magnitude)
                #expect(clean.noise!.errorBounds[cell] >= raw.noise!.errorBounds[cell] + move)
                if clean.noise!.errorBounds[cell] == raw.noise!.errorBounds[cell] + move { exactly += 1 }
            }
        }
        #expect(exactly > 0)
    }

    /// Non-negative figures also agree between cohorts: no numerator above its denominator,
    /// and the disabled young people living in the community, near and far never more than
    /// the disabled young people in transition. Raw figures, unbiased and drawn cohort by
    /// cohort, do not (the control).
    @Test func nonNegativeFiguresAgreeBetweenCohorts() throws {
        func disagreements(_ release: ProtectedRelease) -> Int {
            var count = 0
            for figures in release.indicators {
                let n = release.tables[figures.numerator], d = release.tables[figures.denominator]
                for cell in 0..<n.shape.cellCount where n.published(cell)! > d.published(cell)! { count += 1 }
            }
            let residences = ["living_in_community", "residential_within_10_miles", "residential_over_10_miles"].map { name in
                release.indicators[release.plan.indicators.firstIndex { $0.spec.name == name }!]
            }
            let whole = release.tables[residences[0].denominator]
            for cell in 0..<whole.shape.cellCount where residences.reduce(0, { $0 + release.tables[$1.numerator].published(cell)! }) > whole.published(cell)! {
                count += 1
            }
            return count
        }
        var rawDisagreements = 0
        for seed in 21...23 as ClosedRange<UInt64> {
            for strategy in [NoiseStrategy.finest, .levels] {
                let release = try compute(try plan(.nonNegative, strategy: strategy), seed: seed)
                #expect(release.findings.isEmpty)
                #expect(disagreements(release) == 0, "\(strategy), seed \(seed)")
            }
            rawDisagreements += disagreements(try compute(try plan(.raw), seed: seed))
        }
        #expect(rawDisagreements > 0)
    }

    /// Errors stay within the published bounds at the stated rate: over repeated runs, the
    /// share of figures (tables, numerators, denominators) farther from the truth than their
    /// bound is at most α = 5%. The bounds are conservative beyond a single draw (a sum's
    /// tail bound), so the share is well under α; a control with every bound a third as wide
    /// must exceed it, so the test can fail.
    @Test func errorsStayWithinTheStatedBoundsAtTheStatedRate() throws {
        for (figures, strategy) in [(NoisePostProcessing.raw, NoiseStrategy.finest), (.nonNegative, .finest), (.nonNegative, .levels)] {
            let p = try plan(figures, strategy: strategy)
            let runs = figures == .raw ? 12 : 4
            var figuresSeen = 0, outside = 0, outsideNarrow = 0
            var intervals = 0, intervalsMissed = 0
            for seed in 1...runs {
                let release = try compute(p, seed: UInt64(100 + seed))
                for table in release.tables {
                    let noise = table.noise!
                    for cell in 0..<table.shape.cellCount {
                        let error = (noise.values[cell] - table.data.values[cell]).magnitude
                        figuresSeen += 1
                        if error > noise.errorBounds[cell] { outside += 1 }
                        if error > noise.errorBounds[cell] / 3 { outsideNarrow += 1 }
                    }
                }
                for figures in release.indicators {
                    let n = release.tables[figures.numerator].data.values, d = release.tables[figures.denominator].data.values
                    for (cell, interval) in (figures.intervals ?? []).enumerated() {
                        guard let interval, d[cell] > 0, case .value(_, let places) = figures.percentages[cell] else { continue }
                        intervals += 1
                        // The true percentage, scaled as the interval is.
                        let scale = 100 * ScaledDecimal.unit(places)
                        let low = n[cell] * scale / d[cell], high = (n[cell] * scale + d[cell] - 1) / d[cell]
                        if high < interval.lowerBound || low > interval.upperBound { intervalsMissed += 1 }
                    }
                }
            }
            let alpha = 0.05
            #expect(Double(outside) / Double(figuresSeen) <= alpha, "\(figures), \(strategy): \(outside) of \(figuresSeen) figures outside their bounds")
            #expect(Double(outsideNarrow) / Double(figuresSeen) > alpha, "\(figures), \(strategy): the control with narrowed bounds should fail")
            #expect(intervals > 0 && Double(intervalsMissed) / Double(intervals) <= alpha, "\(figures), \(strategy): \(intervalsMissed) of \(intervals) percentage intervals missed")
        }
    }

    /// Each person's care cost in a cell counts as at most 40,000.00: the true sums the noise
    /// is added to are of clamped contributions, below the unclamped ones.
    @Test func sumsAddClampedContributions() throws {
        let release = try compute(try plan(.raw), seed: 2)
        let t = try #require(release.plan.tables.firstIndex { $0.name == "care_cost_by_area_age" })
        let clamped = release.tables[t].data
        let c = release.plan.tables[t].cohort
        #expect(release.ingest.clamped[c] > 0)
        let unclampedPlan = try ReleasePipeline.plan(specPath: transitionsSpec)
        let unclamped = try ReleasePipeline.compute(plan: unclampedPlan, inputs: unclampedPlan.spec.inputs, options: IngestOptions(onError: .stop))
        let original = try #require(unclamped.tables.first { $0.name == "care_cost_by_area_age" }).data
        let total = clamped.shape.cellCount - 1
        #expect(clamped.values[total] < original.values[total])
        for cell in 0..<clamped.shape.cellCount {
            #expect(clamped.values[cell] <= original.values[cell])
            #expect(clamped.values[cell] <= 4_000_000 * original.contributors(cell))
        }
        // The sums' noise is that of sensitivity 4,000,000 (pennies): far wider bounds.
        let noise = try #require(release.noise)
        let column = try #require(release.plan.cohorts[c].sumColumn)
        #expect(noise.spec.mechanism(share: noise.cohortShares[c], sumColumn: column) == .gaussian(rho: Rational(1, 2) / Rational(Int64(noise.shares)) / Rational(16_000_000_000_000)))
    }

    @Test func theSameSeedDrawsTheSameNoiseAndAnotherSeedOther() throws {
        let p = try plan(.raw)
        let a = try compute(p, seed: 5), b = try compute(p, seed: 5), c = try compute(p, seed: 6)
        #expect(a.tables.map { $0.noise!.values } == b.tables.map { $0.noise!.values })
        #expect(a.tables.map { $0.noise!.values } != c.tables.map { $0.noise!.values })
        #expect(a.releaseID == b.releaseID && a.releaseID != c.releaseID)
    }

    /// Two releases spend the dataset's budget; a third that would exceed it is refused before
    /// any noise is drawn and writes nothing. Each written release is marked published.
    @Test func theLedgerRefusesAReleaseOverBudget() throws {
        let dir = TemporaryDirectory()
        let ledger = dir.path + "/ledger.sqlite"
        let p = try plan(.raw, ledger: ledger, total: 1)
        for seed in 1...2 {
            let release = try ReleasePipeline.protect(
                plan: p, inputs: p.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: dir.path + "/r\(seed)", overwrite: false),
                randomness: .reproducible(seed: UInt64(seed)))
            #expect(release.noise?.budget?.spent == Rational(Int64(seed), 2))
            let document = try ReleaseDocument.decode(Data(contentsOf: URL(fileURLWithPath: dir.path + "/r\(seed)/release.json")))
            #expect(document.releaseID == release.releaseID && document.noise?.datasetSpent == Rational(Int64(seed), 2).description)
            #expect(document.tables.allSatisfy { t in t.cells.allSatisfy { $0.status == "noisy" && $0.errorBound != nil } })
            // The data's checksums stay in the ledger: a hash of every record is not DP.
            let manifest = try JSONDecoder().decode(ReleaseManifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir.path + "/r\(seed)/manifest.json")))
            #expect(manifest.inputs.allSatisfy { $0.sha256 == ReleaseManifest.Run.checksumInLedger })
            #expect(manifest.releaseID == release.releaseID && manifest.audit.checks == NoisyReleaseAudit.checks)
        }
        #expect(throws: ReleaseError.self) {
            try ReleasePipeline.protect(
                plan: p, inputs: p.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: dir.path + "/r3", overwrite: false),
                randomness: .reproducible(seed: 3))
        }
        do {
            _ = try ReleasePipeline.protect(
                plan: p, inputs: p.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: dir.path + "/r3", overwrite: false),
                randomness: .reproducible(seed: 3))
        } catch {
            guard case .budget(.overBudget(let dataset, _, let total, let spent, let releases, let requested)) = error else {
                Issue.record("expected the ledger to refuse, got \(error)")
                return
            }
            #expect(dataset == "northbridge-pfa" && total == 1 && spent == 1 && releases == 2 && requested == Rational(1, 2))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/r3"))
        let entries = try PrivacyLedger(path: ledger).entries()
        #expect(entries.count == 2 && entries.allSatisfy(\.published))
        #expect(entries[0].spend.mechanism == "discrete Gaussian" && entries[0].spend.tables.contains("transition_by_area_age"))
    }

    /// The audit of a written noisy release: it passes as written, and finds a figure stated
    /// without noise, a margin that no longer adds up, and a negative figure where the
    /// release promises none.
    @Test func theAuditOfAWrittenNoisyRelease() throws {
        let dir = TemporaryDirectory()
        let p = try plan(.nonNegative, ledger: dir.path + "/ledger.sqlite")
        let out = dir.path + "/release"
        _ = try ReleasePipeline.protect(
            plan: p, inputs: p.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: out, overwrite: false),
            randomness: .reproducible(seed: 8))
        #expect(try PublishedAudit.run(directory: out).findings.isEmpty)
        let path = out + "/release.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        func tampered(_ change: (inout ReleaseDocument) -> Void) throws -> [String] {
            var document = try ReleaseDocument.decode(original)
            change(&document)
            try Data(document.encoded()).write(to: URL(fileURLWithPath: path))
            return try PublishedAudit.run(directory: out).findings
        }
        let status = try tampered { $0.tables[0].cells[3].status = "published" }
        #expect(status.contains { $0.contains("a figure is stated as it stands") })
        let margin = try tampered { d in
            let total = d.tables[0].cells[0].value!
            d.tables[0].cells[0].value = total + 1
            d.tables[0].cells[0].display = "\(total + 1)"
        }
        #expect(margin.contains { $0.contains("not the sum of its children") })
        let negative = try tampered { d in
            // A finest cell below 0 (its margins no longer add up either).
            let table = d.tables[0]
            let totals = Dictionary(uniqueKeysWithValues: d.dimensions.map { ($0.name, $0.total) })
            let leaves = Dictionary(uniqueKeysWithValues: d.dimensions.map { dim in (dim.name, Set(dim.categories.filter { $0.leaf == true }.map(\.code))) })
            let cell = table.cells.firstIndex { c in table.dimensions.allSatisfy { c.codes[$0] != totals[$0] && leaves[$0]!.contains(c.codes[$0]!) } }!
            d.tables[0].cells[cell].value = -1
            d.tables[0].cells[cell].display = "-1"
        }
        #expect(negative.contains { $0.contains("negative, where the release says its figures are not") })
        let above = try tampered { d in
            let bottom = d.indicators[0].cells[0].denominator.value!
            d.indicators[0].cells[0].numerator.value = bottom + 1
            d.indicators[0].cells[0].numerator.display = "\(bottom + 1)"
        }
        #expect(above.contains { $0.contains("the numerator exceeds its denominator, where the release's non-negative figures agree between cohorts") })
    }

    /// Counts whose noisy figure is below the threshold are withheld, decided on the noisy
    /// figures alone; their percentages are withheld; the written release passes the audit
    /// and its manifest counts them.
    @Test func noisyFiguresBelowTheThresholdAreWithheld() throws {
        let dir = TemporaryDirectory()
        var p = try plan(.nonNegative, ledger: dir.path + "/ledger.sqlite")
        p.spec.protection.noise?.suppressBelow = 5
        let out = dir.path + "/release"
        let release = try ReleasePipeline.protect(
            plan: p, inputs: p.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: out, overwrite: false),
            randomness: .reproducible(seed: 21))
        let same = try compute(try plan(.nonNegative), seed: 21)
        var withheld = 0
        for (table, unsuppressed) in zip(release.tables, same.tables) {
            for cell in 0..<table.shape.cellCount {
                let noisy = unsuppressed.noise!.values[cell]
                if table.data.measure.isMagnitude || noisy >= 5 {
                    #expect(table.published(cell) == noisy)
                } else {
                    withheld += 1
                    #expect(table.published(cell) == nil && table.statusName(cell) == "below_threshold")
                    if case .withheld = table.figure(cell) {} else { Issue.record("\(table.name): a figure below the threshold is shown") }
                }
            }
        }
        #expect(withheld > 0)
        for figures in release.indicators {
            let n = release.tables[figures.numerator], d = release.tables[figures.denominator]
            for cell in 0..<n.shape.cellCount where n.published(cell) == nil || d.published(cell) == nil {
                #expect(figures.percentages[cell] == .withheld && figures.intervals?[cell] == nil)
            }
        }
        #expect(try PublishedAudit.run(directory: out).findings.isEmpty)
        let manifest = try JSONDecoder().decode(ReleaseManifest.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        let declared = release.tables.enumerated().filter { release.plan.tables[$0.offset].declared }.map(\.element)
        #expect(manifest.tables.map { $0.withheld.belowThreshold } == declared.map { t in (0..<t.shape.cellCount).filter { t.published($0) == nil }.count })
        let document = try ReleaseDocument.decode(Data(contentsOf: URL(fileURLWithPath: out + "/release.json")))
        #expect(document.noise?.suppressBelow == 5)
        let cell = try #require(document.tables.flatMap(\.cells).first { $0.status == "below_threshold" })
        #expect(cell.value == nil && cell.display == "[c]" && cell.errorBound == nil)
    }

    /// The preview reads the spec only and states the bounds the release then states.
    @Test func thePreviewStatesTheBoundsOfTheRawRelease() throws {
        let p = try plan(.raw)
        let preview = try #require(try NoisePreview(plan: p))
        #expect(preview.shares == p.cohorts.count && preview.budget == nil)
        let release = try compute(p, seed: 9)
        for figures in preview.tables {
            let t = try #require(p.tables.firstIndex { $0.name == figures.name })
            let bounds = release.tables[t].noise!.errorBounds
            #expect(figures.finest == bounds.min() && figures.largest == bounds.max() && figures.cells == bounds.count)
        }
        #expect(preview.indicators.count == p.indicators.count)
    }
}
