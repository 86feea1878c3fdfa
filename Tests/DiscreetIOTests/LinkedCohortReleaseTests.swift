import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// Releases of cohorts that relate, end to end: what the filters say of each other and of
/// the dimensions' categories, and how people without a category are counted.
@Suite struct LinkedCohortReleaseTests {
    func release(_ spec: String, _ data: String) throws -> (dir: TemporaryDirectory, out: String, release: ProtectedRelease, json: [String: Any]) {
        let f = try Fixture(spec: spec, data: data)
        let out = f.dir.path + "/out"
        let release = try ReleasePipeline.protect(
            plan: f.plan, inputs: [f.input], options: IngestOptions(onError: .stop, temporaryDirectory: f.dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/release.json"))) as! [String: Any]
        return (f.dir, out, release, json)
    }

    /// A cell of a written table, or nil when withheld.
    func value(_ out: String, _ table: String, _ codes: [String]) throws -> Int? {
        let lines = try String(contentsOfFile: out + "/tables/\(table).csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let row = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }.first { Array($0.prefix(codes.count)) == codes }!
        return Int(row[codes.count])
    }

    /// "Aged 18 or over" within "aged 14 to 25" is exactly the 18-25 band: a ward's adults
    /// are its 18-25 cell. The 2 young people of w2 are withheld, and a complement through
    /// w1 would do, but w1's adults are published: the attacker reads w1's 18-25 cell from
    /// them, then w1's 14-17 cell from its total, then w2's from the band's total.
    @Test func anAgeFilterAndAnAgeBandAreTheSameGroup() throws {
        let spec = """
            columns: {id: identifier, ward: category, age: integer}
            privacy_unit: id
            dimensions:
              area: {column: ward, total: all, categories: [w1, w2, w3]}
              band:
                column: age
                total: "14-25"
                bands: [{code: "14-17", from: 14, to: 17}, {code: "18-25", from: 18, to: 25}]
            cohorts:
              young: age >= 14 and age <= 25
            tables:
              people: {cohort: young, by: [area, band]}
              adults: {cohort: young and age >= 18, by: [area]}
            protection:
              primary:
                frequency: {threshold: 5, comparator: "<"}
                zeros: publish
            """
        var rows = "id,ward,age\n"
        var n = 0
        for (ward, young, old) in [("w1", 9, 20), ("w2", 2, 15), ("w3", 30, 30)] {
            for _ in 0..<young { rows += "p\(n),\(ward),15\n"; n += 1 }
            for _ in 0..<old { rows += "p\(n),\(ward),21\n"; n += 1 }
        }
        let (dir, out, release, json) = try self.release(spec, rows)
        _ = dir
        #expect(release.findings.isEmpty)
        // release.json states it.
        let cohorts = json["cohorts"] as! [[String: Any]]
        let adults = cohorts.first { $0["filter"] as? String == "young and age >= 18" }!
        let empty = adults["empty"] as! [[String: Any]]
        #expect(empty.count == 1 && empty[0]["dimension"] as? String == "band" && empty[0]["categories"] as? [String] == ["14-17"])
        // The attacker: every published cell, each ward's adults as its 18-25 cell, and the
        // table's margins, solved one unknown at a time.
        var known: [[String]: Int] = [:]
        for ward in ["all", "w1", "w2", "w3"] {
            for band in ["14-25", "14-17", "18-25"] { if let v = try value(out, "people", [ward, band]) { known[[ward, band]] = v } }
            if let v = try value(out, "adults", [ward]) { known[[ward, "18-25"]] = v }
        }
        var relations: [([String], [[String]])] = [(["all", "14-25"], [["w1", "14-25"], ["w2", "14-25"], ["w3", "14-25"]])]
        for band in ["14-17", "18-25"] { relations.append((["all", band], [["w1", band], ["w2", band], ["w3", band]])) }
        for ward in ["all", "w1", "w2", "w3"] { relations.append(([ward, "14-25"], [[ward, "14-17"], [ward, "18-25"]])) }
        var changed = true
        while changed {
            changed = false
            for (total, parts) in relations {
                let cells = [total] + parts
                let unknown = cells.filter { known[$0] == nil }
                guard unknown.count == 1 else { continue }
                let partSum = parts.compactMap { known[$0] }.reduce(0, +)
                known[unknown[0]] = unknown[0] == total ? partSum : known[total]! - partSum
                changed = true
            }
        }
        #expect(known[["w2", "14-17"]] == nil, "the 2 young people of w2 are given away")
        // The audit of the written release knows it too, and passes.
        let audit = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings.prefix(3))")
    }

    /// Two cohorts within a third, each by area and sex, while the third is published by
    /// area only: the third is counted by sex too (people in both of the others are in it by
    /// sex), and its people without a sex fall in a category no table shows, not out.
    @Test func aCohortCountedByADimensionItDoesNotPublishKeepsPeopleWithoutIt() throws {
        let spec = """
            columns: {id: identifier, ward: category, sex: {type: category, values: [F, M]}, a: integer, b: integer}
            privacy_unit: id
            dimensions:
              area: {column: ward, total: all, categories: [w1, w2]}
              sex: {column: sex, total: all, categories: [F, M]}
            tables:
              everyone: {by: [area]}
              first: {cohort: a == 1, by: [area, sex]}
              second: {cohort: b == 1, by: [area, sex]}
            protection:
              primary:
                frequency: {threshold: 3, comparator: "<"}
                zeros: publish
            """
        var rows = "id,ward,sex,a,b\n"
        for i in 0..<30 {
            let ward = i % 2 == 0 ? "w1" : "w2"
            let sex = i < 6 ? "" : (i % 3 == 0 ? "F" : "M")
            let a = i >= 6 && i % 4 != 0 ? "1" : "0"
            let b = i >= 6 && i % 5 != 0 ? "1" : "0"
            rows += "p\(i),\(ward),\(sex),\(a),\(b)\n"
        }
        let (dir, out, release, json) = try self.release(spec, rows)
        _ = dir
        #expect(release.findings.isEmpty)
        #expect(release.plan.layout.hiddenLeaf[1] != nil)
        // Everyone is counted, those without a sex included.
        #expect(try value(out, "everyone", ["all"]) == 30)
        let cohorts = json["cohorts"] as! [[String: Any]]
        #expect(cohorts[0]["counted_by"] as? [String] == ["area", "sex"])
        let audit = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings.prefix(3))")
    }

    /// The hidden leaf a linking dimension gains sorts after every other category, so the
    /// categories keep the numbers ingest classifies rows by: a banded age and a sex that
    /// only the sub-cohorts publish count everyone where they belong (the leaf once sorted
    /// first, and every 14-17 row fell into it, every 18-25 row into 14-17).
    @Test func aHiddenLeafLeavesTheOtherCategoriesWhereTheyAre() throws {
        let spec = """
            columns: {id: identifier, ward: category, sex: {type: category, values: [F, M]}, age: integer, a: integer, b: integer}
            privacy_unit: id
            dimensions:
              area: {column: ward, total: all, categories: [w1, w2]}
              sex: {column: sex, total: all, categories: [F, M]}
              band:
                column: age
                total: "14-25"
                bands: [{code: "14-17", from: 14, to: 17}, {code: "18-25", from: 18, to: 25}]
            tables:
              everyone: {by: [area]}
              first: {cohort: a == 1, by: [band, sex]}
              second: {cohort: b == 1, by: [band, sex]}
            protection:
              primary:
                frequency: {threshold: 3, comparator: "<"}
            """
        var rows = "id,ward,sex,age,a,b\n"
        var expected: [String: Int64] = [:]
        for i in 0..<80 {
            let sex = i % 3 == 0 ? "F" : "M"
            let age = 14 + i % 12
            let a = i % 4 != 0
            let b = i % 5 != 0
            rows += "p\(i),\(i % 2 == 0 ? "w1" : "w2"),\(sex),\(age),\(a ? 1 : 0),\(b ? 1 : 0)\n"
            let band = age <= 17 ? "14-17" : "18-25"
            if a { expected["first|\(band)|\(sex)", default: 0] += 1 }
            if b { expected["second|\(band)|\(sex)", default: 0] += 1 }
        }
        let (dir, _, release, _) = try self.release(spec, rows)
        _ = dir
        #expect(release.plan.layout.hiddenLeaf[1] != nil && release.plan.layout.hiddenLeaf[2] != nil)
        for name in ["first", "second"] {
            let t = release.plan.tables.firstIndex { $0.name == name }!
            let table = release.tables[t].data
            for band in ["14-17", "18-25"] {
                for sex in ["F", "M"] {
                    let cell = table.shape.cell(zip(table.shape.dimensions, [band, sex]).map { $0.node($1)! })
                    #expect(table.values[cell] == expected["\(name)|\(band)|\(sex)"], "\(name) \(band) \(sex)")
                }
            }
        }
        #expect(release.findings.isEmpty, "\(release.findings.prefix(3))")
    }

    /// Young adults and under-18s with a direct payment share nobody by their filters,
    /// though they lie on different branches (the young; the young with a direct payment).
    /// In w1 every under-18 has one, so the young there are exactly the adults plus the
    /// under-18s with a direct payment. release.json states the young split into the two,
    /// the audit and the attacker of the tests use it, and no group of 1 to 4 people
    /// counted by subtraction is pinned.
    @Test func cohortsOnDifferentBranchesThatShareNobodyAreProtectedTogether() throws {
        let spec = """
            columns: {id: identifier, ward: category, age: integer, dp: integer}
            privacy_unit: id
            dimensions:
              area: {column: ward, total: all, categories: [w1, w2, w3]}
            cohorts:
              young: age >= 14 and age <= 25
            tables:
              people: {cohort: young, by: [area]}
              adults: {cohort: young and age >= 18, by: [area]}
            indicators:
              direct_payments: {numerator: young and dp == 1, denominator: young, by: [area]}
              under_18: {numerator: young and dp == 1 and age < 18, denominator: young and dp == 1, by: [area]}
            protection:
              primary:
                frequency: {threshold: 5, comparator: "<"}
                zeros: publish
            """
        var rows = "id,ward,age,dp\n"
        var n = 0
        let groups: [(age: Int, dp: Int, perWard: [Int])] = [(20, 0, [5, 5, 5]), (20, 1, [1, 5, 3]), (15, 1, [4, 1, 5]), (15, 0, [0, 1, 2])]
        for (age, dp, perWard) in groups {
            for (w, count) in perWard.enumerated() {
                for _ in 0..<count {
                    rows += "p\(n),w\(w + 1),\(age),\(dp)\n"
                    n += 1
                }
            }
        }
        let (dir, out, release, json) = try self.release(spec, rows)
        _ = dir
        #expect(release.findings.isEmpty)
        let ids = Dictionary(uniqueKeysWithValues: (json["cohorts"] as! [[String: Any]]).map { ($0["filter"] as! String, $0["id"] as! String) })
        let young = ids["young"]!
        let adults = ids["young and age >= 18"]!
        let under18 = ids["young and dp == 1 and age < 18"]!
        let families = (json["families"] as! [[String: Any]]).map { ($0["cohort"] as! String, $0["parts"] as! [String]) }
        #expect(families.contains { $0.0 == young && Set($0.1) == [adults, under18] })
        let published = try BundledExampleAttackTests.read(out)
        let found = BundledExampleAttackTests.attackEverySmallGroup(published, made: release, spec: "branches")
        #expect(found.attacked > 3)
        #expect(found.problems == [])
        let audit = try PublishedAudit.run(directory: out, truth: .init(plan: release.plan, ingest: release.ingest))
        #expect(audit.findings.isEmpty, "\(audit.findings.prefix(3))")
    }
}
