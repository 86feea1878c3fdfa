import DiscreetCore
import DiscreetTestSupport
import Foundation
import Testing
@testable import DiscreetIO

@Suite struct BatchPlanTests {
    @Test func partnersAreNamedFromTheSpecAndKeysAreDirectoryNames() throws {
        #expect(BatchPlan.key("Northbridge City Council, adult social care") == "northbridge-city-council-adult-social-care")
        #expect(BatchPlan.key("  NHS (Trust) 2 ") == "nhs-trust-2")
        #expect(BatchPlan.fileStem("extracts/ccg.csv") == "ccg")
        let batch = try BatchPlan(spec: try SpecReader.load(path: transitionsSpec))
        #expect(batch.partners.map(\.key) == [
            "northbridge-city-council-adult-social-care", "northbridge-children-s-trust", "northbridge-nhs-foundation-trust",
            "northbridge-clinical-commissioning-group", "northbridge-voluntary-sector-alliance",
        ])
        #expect(batch.releases.map(\.key) == ["combined"] + batch.partners.map(\.key))
        for release in batch.releases {
            #expect(release.tables.count == 4)
            #expect(release.indicators.count == 13)
        }
        // The combined release publishes the spec's own tables under their own names.
        #expect(batch.releases[0].tables.map { batch.plan.tables[$0].name } == [
            "transition_by_area_age", "transition_by_area_sex", "transition_by_area_ethnicity", "care_cost_by_area_age",
        ])
        #expect(batch.plan.indicators[batch.releases[2].indicators[0]].spec.name == "northbridge-children-s-trust/disabled_in_transition")
    }

    @Test func partnerKeysAreUniqueAndNeverTheCombinedReleases() throws {
        let dir = TemporaryDirectory()
        let text = PartnerExtracts.spec([("a.csv", "NHS Trust"), ("b.csv", "NHS-Trust"), ("c.csv", "Combined"), ("d.csv", "NHS Trust"), ("e.csv", "'***'")])
        let batch = try BatchPlan(spec: try SpecReader.parse(bytes: Array(text.utf8), path: dir.path + "/spec.yaml", directory: dir.path))
        // Inputs with the same partner are one partner.
        #expect(batch.partners.map(\.key) == ["nhs-trust", "nhs-trust-2", "combined-2", "partner"])
        #expect(batch.partners[0].inputs == [0, 3])
        #expect(batch.plan.spec.partnerOfInput == [0, 1, 2, 0, 3])
    }

    @Test func aPartnersCohortLiesWithinTheCombinedOneAndPartnersMaySharePeople() throws {
        let batch = try BatchPlan(spec: try SpecReader.load(path: transitionsSpec))
        let plan = batch.plan
        func cohort(_ release: Int, _ indicator: Int, numerator: Bool) -> Int {
            let i = plan.indicators[batch.releases[release].indicators[indicator]]
            return plan.tables[numerator ? i.numerator : i.denominator].cohort
        }
        let relations = plan.layout.relations
        let outer = relations.containing(count: plan.cohorts.count)
        let disjoint = relations.disjointBothWays
        // living_in_community (indicator 1): community within disabled young people in transition.
        let community = cohort(0, 1, numerator: true)
        let councilCommunity = cohort(1, 1, numerator: true)
        let childrenCommunity = cohort(2, 1, numerator: true)
        let councilDisabled = cohort(1, 1, numerator: false)
        #expect(outer[councilCommunity].contains(community))
        #expect(outer[councilCommunity].contains(councilDisabled))
        #expect(!outer[community].contains(councilCommunity))
        #expect(!outer[councilCommunity].contains(childrenCommunity))
        #expect(!disjoint.contains(.init(councilCommunity, childrenCommunity)))
        // Living in the community and living within 10 miles share nobody, whoever recorded them.
        let childrenNear = cohort(2, 2, numerator: true)
        #expect(disjoint.contains(.init(councilCommunity, childrenNear)))
    }

    @Test func aPartnersTablesCountWhatItsOwnExtractsHold() throws {
        let spec = try SpecReader.load(path: transitionsSpec)
        let batch = try BatchPlan(spec: spec)
        let dir = TemporaryDirectory()
        let options = IngestOptions(onError: .stop, temporaryDirectory: dir.path)
        let joint = try Ingest(plan: batch.plan, options: options).run(inputs: batch.plan.spec.inputs)
        let alone = try ReleasePlan(spec: spec)
        for release in batch.releases {
            let inputs = release.partner.map { p in batch.partners[p].inputs.map { spec.inputs[$0] } } ?? spec.inputs
            let own = try Ingest(plan: alone, options: options).run(inputs: inputs)
            for (k, t) in release.tables.enumerated() {
                let expected = alone.project(own.cohorts[alone.tables[k].cohort], table: k)
                let found = batch.plan.project(joint.cohorts[batch.plan.tables[t].cohort], table: t)
                #expect(found.values == expected.values, "\(release.key): \(spec.tables[k].name)")
                #expect(found.contributorCounts == expected.contributorCounts)
            }
            for (k, i) in release.indicators.enumerated() {
                let a = alone.indicators[k]
                let b = batch.plan.indicators[i]
                for (x, y) in [(a.numerator, b.numerator), (a.denominator, b.denominator)] {
                    let expected = alone.project(own.cohorts[alone.tables[x].cohort], table: x).values
                    #expect(batch.plan.project(joint.cohorts[batch.plan.tables[y].cohort], table: y).values == expected, "\(release.key): \(a.spec.name)")
                }
            }
            // Some partner holds fewer people than the whole.
            if release.partner != nil {
                let t = release.tables[0]
                let total = batch.plan.project(joint.cohorts[batch.plan.tables[t].cohort], table: t)
                let combined = batch.plan.project(joint.cohorts[batch.plan.tables[batch.releases[0].tables[0]].cohort], table: batch.releases[0].tables[0])
                #expect(total.values.last! < combined.values.last!)
            }
        }
    }

    /// Two partners whose extracts share some people (``PartnerExtracts/sharedPeople``): in
    /// area X the combined dashboard counts 9 people and partner A 7, both large, so each
    /// release protected on its own publishes them, and their difference tells that 2
    /// people in X are known to B alone.
    static func differencingFixture() -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let (a, b) = PartnerExtracts.twoPartners()
        dir.file("a.csv", a)
        dir.file("b.csv", b)
        dir.file("spec.yaml", PartnerExtracts.spec([("a.csv", "A"), ("b.csv", "B")]))
        return dir
    }

    /// The independent attacker's interval for "in the combined count but not A's, in X"
    /// (atoms: A only, B only, both), knowing every published figure of the releases given
    /// as (cohort: 0 combined, 1 A, 2 B; table), and that a withheld count is at least 1.
    static func groupInterval(_ releases: [(cohort: Int, table: ProtectedTable)]) -> (lower: Rational, upper: Rational?) {
        let dimension = releases[0].table.shape.dimensions[0]
        var attacker = AtomAttacker(dimensions: [dimension], atoms: [[0, 1], [0, 2], [0, 1, 2]])
        for (cohort, table) in releases {
            for cell in 0..<table.shape.cellCount {
                let form = attacker.form(cohort: cohort, nodes: table.shape.nodes(of: cell))
                if table.statuses[cell].disposition.isWithheld {
                    attacker.know(form, lower: 1, upper: nil)
                } else {
                    attacker.know(form, lower: table.data.values[cell], upper: table.data.values[cell])
                }
            }
        }
        return attacker.interval(attacker.form(plus: 0, minus: [1], nodes: [dimension.node("X")!]))!
    }

    @Test func aPartnersReleaseAndTheCombinedOneRevealNoSmallGroupTogether() throws {
        let dir = Self.differencingFixture()
        let spec = try SpecReader.load(path: dir.path + "/spec.yaml")
        let options = IngestOptions(onError: .stop, temporaryDirectory: dir.path)

        // Protected apart (the negative control): each release alone publishes every cell,
        // and the attacker subtracts them.
        let combined = try ReleasePipeline.compute(plan: try ReleasePlan(spec: spec), inputs: spec.inputs, options: options)
        let alone = try ReleasePipeline.compute(plan: try ReleasePlan(spec: spec), inputs: [spec.inputs[0]], options: options)
        #expect(combined.tables[0].statuses.allSatisfy { !$0.disposition.isWithheld })
        #expect(alone.tables[0].statuses.allSatisfy { !$0.disposition.isWithheld })
        let apart = Self.groupInterval([(0, combined.tables[0]), (1, alone.tables[0])])
        #expect(apart.lower == Rational(2) && apart.upper == Rational(2))

        // Protected together: the same attacker, knowing all three releases, cannot tell the
        // group is smaller than 5.
        let batch = try BatchPlan(spec: spec)
        let joint = try ReleasePipeline.compute(plan: batch.plan, inputs: batch.plan.spec.inputs, options: options)
        let releases = batch.releases.enumerated().map { (cohort: $0.offset, table: joint.tables[$0.element.tables[0]]) }
        #expect(releases.map(\.table.data.values) == [[9, 15, 18, 42], [7, 10, 12, 29], [4, 8, 10, 22]])
        let together = Self.groupInterval(releases)
        #expect(together.upper.map { $0 >= Rational(5) } ?? true, "\(together)")
        // B's own small count in X is withheld too.
        #expect(releases[2].table.statuses[0].disposition.isWithheld)
    }

    /// Each release of a batch is audited alone, as `discreet audit` reads it, before any is
    /// written: the joint audit covers the releases together, and a relation the joint
    /// system missed would let a reader of one release alone learn more (it once did: a
    /// partner's residence cohorts did not bound the partner's cohort together).
    @Test func eachReleaseIsAuditedAloneBeforeAnyIsWritten() throws {
        let dir = Self.differencingFixture()
        let spec = try SpecReader.load(path: dir.path + "/spec.yaml")
        let out = dir.path + "/out"
        let outcome = try BatchPipeline.protect(batch: try BatchPlan(spec: spec), options: IngestOptions(onError: .stop, temporaryDirectory: dir.path), out: out, overwrite: false)
        let keys = outcome.outputs.map(\.key)
        #expect(keys == ["combined", "a", "b"])
        func files(_ key: String) throws -> [(path: String, bytes: [UInt8])] {
            let root = out + "/" + key
            let paths = try FileManager.default.subpathsOfDirectory(atPath: root).sorted()
            func isFile(_ path: String) -> Bool {
                var directory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &directory) && !directory.boolValue
            }
            return try paths.filter(isFile).map { ($0, Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + $0)))) }
        }
        let written = try keys.map(files)
        #expect(try BatchPipeline.auditAlone(written, keys: keys, out: dir.path).isEmpty)
        // B's X (4) is withheld, and one more of its cells with it; publish that one again
        // with its true value (X then follows from the total): B's release, read alone, is
        // refused, and only B's.
        var b = written[2]
        let k = try #require(b.firstIndex { $0.path == "release.json" })
        var json = try #require(try JSONSerialization.jsonObject(with: Data(b[k].bytes)) as? [String: Any])
        var tables = try #require(json["tables"] as? [[String: Any]])
        var cells = try #require(tables[0]["cells"] as? [[String: Any]])
        let truth = outcome.release.tables[outcome.batch.releases[2].tables[0]]
        let secondary = try #require(cells.firstIndex { $0["status"] as? String == "secondary" })
        let code = try #require(cells[secondary]["area"] as? String)
        cells[secondary]["status"] = "published"
        cells[secondary]["value"] = truth.data.values[truth.shape.dimensions[0].node(code)!]
        cells[secondary]["display"] = "\(truth.data.values[truth.shape.dimensions[0].node(code)!])"
        tables[0]["cells"] = cells
        json["tables"] = tables
        b[k].bytes = Array(try JSONSerialization.data(withJSONObject: json))
        let findings = try BatchPipeline.auditAlone([written[0], written[1], b], keys: keys, out: dir.path)
        #expect(!findings.isEmpty)
        #expect(findings.allSatisfy { $0.description.hasPrefix("release 'b', audited alone: ") }, "\(findings)")
        // The check leaves nothing behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }.isEmpty)
    }

    /// After B's extract changes, A's release (recorded in the ledger) is kept: the joint
    /// protection keeps every figure A published and withheld as it was, and protects the
    /// new combined dashboard and B's release around it. The independent attacker, knowing
    /// A's release as first published and the two new ones, still cannot tell that the
    /// group "in the combined count but not A's" in X is smaller than 5.
    /// The previous release's withheld cells become the plan's preferred cells of the
    /// releases made again (not of kept ones); with `carry_forward: off` the pipeline passes
    /// no previous release and nothing is preferred.
    @Test func theLastReleasesWithheldCellsArePreferred() throws {
        let dir = Self.differencingFixture()
        let out = dir.path + "/out"
        let options = IngestOptions(onError: .stop, temporaryDirectory: dir.path)
        let batch = try BatchPlan(spec: try SpecReader.load(path: dir.path + "/spec.yaml"))
        let first = try BatchPipeline.protect(batch: batch, options: options, out: out, overwrite: false)
        let previous = BatchPipeline.previousReleases(batch.releases.map(\.key), out: out)
        #expect(Set(previous.keys) == Set(batch.releases.map(\.key)))
        let plan = BatchPipeline.plan(batch, keeping: [:], preferring: previous)
        for part in batch.releases {
            for t in part.tables {
                let table = batch.plan.tables[t]
                let withheld = Set(first.release.tables[t].statuses.indices.filter { first.release.tables[t].statuses[$0].disposition.isWithheld }.map { table.cohortCells[$0] })
                #expect(withheld.isSubset(of: plan.preferred[table.cohort] ?? []), "\(table.name)")
            }
        }
        #expect(plan.preferred.values.contains { !$0.isEmpty })
        #expect(BatchPipeline.plan(batch, keeping: [:], preferring: [:]).preferred.isEmpty)
        // A kept release's cells are kept, not preferred.
        let keptOnly = BatchPipeline.plan(batch, keeping: ["a": previous["a"]!], preferring: ["a": previous["a"]!])
        let aCohort = batch.plan.tables[batch.releases[1].tables[0]].cohort
        #expect(keptOnly.preferred[aCohort] == nil && keptOnly.kept[aCohort] != nil)
    }

    @Test func aKeptPartnersReleaseIsProtectedAroundAsPublished() throws {
        let dir = Self.differencingFixture()
        let out = dir.path + "/out"
        let options = IngestOptions(onError: .stop, temporaryDirectory: dir.path)
        let first = try BatchPipeline.protect(batch: try BatchPlan(spec: try SpecReader.load(path: dir.path + "/spec.yaml")), options: options, out: out, overwrite: false)
        // Two more people in B's extract, in Y.
        let b = try String(contentsOfFile: dir.path + "/b.csv", encoding: .utf8)
        try (b + "n1,Y\nn2,Y\n").write(toFile: dir.path + "/b.csv", atomically: true, encoding: .utf8)
        let batch = try BatchPlan(spec: try SpecReader.load(path: dir.path + "/spec.yaml"))
        let current = BatchPipeline.current(batch: batch, out: out)
        #expect(current.map(\.release) == ["a"])
        let second = try BatchPipeline.protect(batch: batch, options: options, out: out, overwrite: true, keeping: current)
        #expect(second.outputs.map { "\($0.key) \($0.kept)" } == ["combined false", "a true", "b false"])
        let aTable = batch.releases[1].tables[0]
        #expect(second.release.tables[aTable].statuses == first.release.tables[aTable].statuses)
        #expect(second.release.tables[aTable].data.values == first.release.tables[aTable].data.values)
        #expect(second.release.tables[batch.releases[2].tables[0]].data.values == [4, 10, 10, 24])
        let releases = [(0, second.release.tables[batch.releases[0].tables[0]]), (1, first.release.tables[aTable]), (2, second.release.tables[batch.releases[2].tables[0]])]
        let together = Self.groupInterval(releases)
        #expect(together.upper.map { $0 >= Rational(5) } ?? true, "\(together)")
    }

    /// The bundled example's batch with these tables (nil: all) and indicators, protected by
    /// the route search alone (`effort: 0`), computed but not written.
    static func bundledBatch(tables: Set<String>?, indicators: Set<String>) throws -> (BatchPlan, ProtectedRelease) {
        var spec = try SpecReader.load(path: transitionsSpec)
        if let tables { spec.tables = spec.tables.filter { tables.contains($0.name) } }
        spec.indicators = spec.indicators.filter { indicators.contains($0.name) }
        spec.protection.secondary.effort = 0
        let batch = try BatchPlan(spec: spec)
        let dir = TemporaryDirectory()
        let release = try ReleasePipeline.compute(plan: batch.plan, inputs: batch.plan.spec.inputs, options: IngestOptions(onError: .stop, temporaryDirectory: dir.path))
        return (batch, release)
    }

    /// A partner's cohort lies within two cohorts that do not contain each other (the
    /// combined numerator, and the partner's own denominator), and on the bundled example
    /// one partner holds everyone in some cohorts, so neither complement can absorb a
    /// change: the search must move every cohort containing it (before it did, the care
    /// leavers' figures and the council's care costs could not be protected). Every item is
    /// then protected and the audit passes.
    @Test func cohortsWithinTwoOthersAreProtectedThroughBoth() throws {
        let (batch, release) = try Self.bundledBatch(tables: ["transition_by_area_age", "care_cost_by_area_age"], indicators: ["care_leavers_neet"])
        #expect(release.findings.isEmpty, "\(release.findings.prefix(3))")
        // The children's trust holds every care leaver: its figures equal the combined ones,
        // and both are withheld where small.
        let children = batch.releases[2]
        let numerator = release.tables[batch.plan.indicators[children.indicators[0]].numerator]
        let combined = release.tables[batch.plan.indicators[batch.releases[0].indicators[0]].numerator]
        #expect(numerator.data.values == combined.data.values)
        for cell in 0..<numerator.shape.cellCount where (1...4).contains(numerator.data.values[cell]) {
            #expect(numerator.statuses[cell].disposition.isWithheld && combined.statuses[cell].disposition.isWithheld)
        }
    }

    /// Young adults with a personal budget: in the 18-25 band everyone in a partner's
    /// cohort of young adults is in its cohort in transition (the complement is empty
    /// there), so a change to the partner's people in transition that reaches the band
    /// moves its young adults too, and with them every cohort containing them. Every item is
    /// certified (before, a partner's count by area and sex found no pattern).
    @Test func aChildWithAnEmptyComplementMovesWithEveryCohortContainingIt() throws {
        let (_, release) = try Self.bundledBatch(tables: nil, indicators: ["personal_budget"])
        #expect(release.findings.isEmpty, "\(release.findings.prefix(3))")
    }

    @Test func theSpecSaysWhetherTheCombinedDashboardIsReleasedWithoutAPartner() throws {
        let dir = Self.differencingFixture()
        let base = try String(contentsOfFile: dir.path + "/spec.yaml", encoding: .utf8)
        func read(_ extra: String) throws(SpecProblems) -> ReleaseSpec {
            try SpecReader.parse(bytes: Array((base + "\n" + extra).utf8), path: dir.path + "/spec.yaml", directory: dir.path)
        }
        #expect(try read("").batch.combinedWhenPartnersMissing == .refuse)
        #expect(try read("batch:\n  combined_when_partners_missing: release\n").batch.combinedWhenPartnersMissing == .release)
        do {
            _ = try read("batch:\n  combined_when_partners_missing: sometimes\n")
            Issue.record("a bad choice was accepted")
        } catch {
            #expect(error.description.contains("combined_when_partners_missing must be one of 'refuse', 'release'"), "\(error)")
        }
        // What a release does with the previous release of it.
        let defaults = try read("").batch
        #expect(defaults.carryForward == .prefer && defaults.smallChanges == .report)
        let set = try read("batch:\n  carry_forward: off\n  small_changes: refuse\n").batch
        #expect(set.carryForward == .off && set.smallChanges == .refuse)
        do {
            _ = try read("batch:\n  small_changes: ignore\n")
            Issue.record("a bad choice was accepted")
        } catch {
            #expect(error.description.contains("small_changes must be one of 'report', 'refuse'"), "\(error)")
        }
    }
}

