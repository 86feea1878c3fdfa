import DiscreetCore
import Testing
@testable import DiscreetIO

/// The minimal spec with its protection section replaced.
func specWithProtection(_ protection: String) -> String {
    let start = minimalSpec.range(of: "protection:")!.lowerBound
    return String(minimalSpec[..<start]) + protection
}

@Suite struct PresetTests {
    /// Each preset expands into its rulebook's settings.
    @Test func presetsExpandIntoOrdinarySettings() throws {
        let nhs = try parseSpec(specWithProtection("protection:\n  preset: nhs\n")).protection
        #expect(nhs.preset == .nhs)
        #expect(nhs.primary == PrimaryPolicy(frequency: FrequencyRule(threshold: 8, comparator: .less), zeros: .publish))
        #expect(nhs.secondary == SecondaryPolicy())
        #expect(nhs.rounding == RoundingPolicy(method: .conventional, base: 5, margins: .rounded))
        #expect(nhs.display == DisplaySymbols(withheld: "*", notApplicable: "-"))
        #expect(nhs.percentDecimals == 1 && nhs.percentWholeBelow == 4000)

        let dfe = try parseSpec(specWithProtection("protection:\n  preset: dfe\n  rounding: {levels: {dimension: area}}\n")).protection
        #expect(dfe.primary.frequency == FrequencyRule(threshold: 6, comparator: .less))
        #expect(dfe.rounding == RoundingPolicy(method: .conventional, base: 10, levels: RoundingLevels(dimension: "area", depth: 1)))
        #expect(dfe.display == DisplaySymbols(withheld: "c", notApplicable: "z", roundsToZero: "k"))
        #expect(dfe.percentDecimals == 0)

        let ofqual = try parseSpec(specWithProtection("protection:\n  preset: ofqual\n")).protection
        #expect(ofqual.secondary.frequency == .band)
        #expect(ofqual.display.small(upTo: 4) == "fewer than 5")
        #expect(ofqual.rounding == RoundingPolicy(method: .conventional, base: 5))

        let ons = try parseSpec(specWithProtection("protection:\n  preset: ons-srs\n")).protection
        #expect(ons.primary.frequency == FrequencyRule(threshold: 10, comparator: .less))
        #expect(ons.primary.dominance == [DominanceRule(n: 1, k: ExactRatio(50), comparator: .greaterOrEqual)])
        #expect(ons.primary.pPercent == PPercentRule(p: ExactRatio(10), comparator: .less))
        #expect(ons.rounding == nil)
    }

    /// Any setting beside the preset overrides the preset's, key by key; the rest stays.
    @Test func settingsOverrideThePreset() throws {
        let text = specWithProtection("""
            protection:
              preset: nhs
              primary:
                frequency: {threshold: 10}
              rounding: {base: 10}
              display: {withheld: "[c]"}
              percentages: {whole_below: 1000}
            """)
        let p = try parseSpec(text).protection
        #expect(p.primary.frequency == FrequencyRule(threshold: 10, comparator: .less))
        #expect(p.primary.zeros == .publish)
        #expect(p.rounding == RoundingPolicy(method: .conventional, base: 10))
        #expect(p.display == DisplaySymbols(withheld: "[c]", notApplicable: "-"))
        #expect(p.percentDecimals == 1 && p.percentWholeBelow == 1000)
    }

    /// What --explain prints is a protection section that reads back to the same settings.
    @Test(arguments: ProtectionPreset.allCases)
    func explanationReadsBackToTheSameSettings(preset: ProtectionPreset) throws {
        let extra = preset == .dfe ? "  rounding: {levels: {dimension: area}}\n" : ""
        let expanded = try parseSpec(specWithProtection("protection:\n  preset: \(preset.rawValue)\n" + extra)).protection
        let explained = ProtectionExplanation.render(expanded)
        #expect(explained.hasPrefix("# preset '\(preset.rawValue)'"))
        var again = try parseSpec(specWithProtection(explained)).protection
        #expect(again.preset == nil)
        again.preset = expanded.preset
        #expect(again == expanded)
    }

    /// Settings that cannot work together are errors, located in the spec.
    @Test func inconsistentSettingsAreErrors() {
        #expect(problems(specWithProtection("protection:\n  preset: dfe\n")) == [
            "spec.yaml:49:11: rounding: levels needs 'dimension': the dimension (a geography) whose total and top levels are rounded"
        ])
        #expect(problems(specWithProtection("protection:\n  preset: hmrc\n")) == [
            "spec.yaml:49:11: preset must be one of 'nhs', 'dfe', 'ofqual', 'ons-srs'"
        ])
        let recomputed = problems(specWithProtection("""
            protection:
              primary: {frequency: {threshold: 3, comparator: "<"}}
              rounding: {method: random, base: 5, margins: recomputed}
            """))
        #expect(recomputed.count == 1 && recomputed[0].contains("margins 'recomputed'"))
        let small = problems(specWithProtection("""
            protection:
              primary: {frequency: {threshold: 3, comparator: "<"}}
              display: {small: "fewer than {threshold}"}
            """))
        #expect(small.count == 1 && small[0].contains("frequency_protection: band"))
        let controlled = problems(specWithProtection("""
            protection:
              primary: {frequency: {threshold: 3, comparator: "<"}}
              rounding: {method: controlled, base: 5, levels: {dimension: region, depth: 1}}
            """))
        #expect(controlled.count == 2)
        #expect(controlled.contains { $0.contains("'levels' rounds some cells and not others") })
        #expect(controlled.contains { $0.contains("there is no dimension 'region'") })
        #expect(problems(specWithProtection("protection:\n  primary: {}\n  rounding: {method: conventional}\n")) == [
            "spec.yaml:50:13: rounding needs a 'base' (5 or 10, say)"
        ])
        // Without withholding rules, recomputed margins are fine.
        #expect(problems(specWithProtection("protection:\n  primary: {}\n  rounding: {method: random, base: 5, margins: recomputed}\n")).isEmpty)
        #expect(problems(specWithProtection("protection:\n  primary: {}\n  display: gss\n")).isEmpty)
    }
}
