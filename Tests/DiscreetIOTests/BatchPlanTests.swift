import DiscreetCore
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
}
