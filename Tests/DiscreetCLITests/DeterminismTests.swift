import DiscreetIO
import Foundation
import Testing

/// The same input gives the same pattern: on every run, and whatever order the spec lists
/// its categories and the hierarchy file its areas in (tables are printed in the declared
/// order, so rows are compared by their codes).
@Suite(.serialized) struct DeterminismTests {
    /// Every row of every table and of the indicators file, keyed by its codes: value,
    /// display and status (read with discreet's own CSV reader: groups hold quoted commas).
    func rows(_ release: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let tables = try FileManager.default.contentsOfDirectory(atPath: release + "/tables").sorted()
        for file in tables.map({ "tables/" + $0 }) + ["indicators.csv"] {
            let reader = try CSVReader(path: release + "/" + file)
            defer { reader.close() }
            let keys = reader.header.firstIndex(of: "value") ?? reader.header.firstIndex(of: "numerator") ?? 1
            while try reader.next() {
                let fields = (0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) }
                let key = file + ":" + fields[..<keys].joined(separator: ",")
                #expect(result.updateValue(fields[keys...].joined(separator: ","), forKey: key) == nil, "\(key) twice")
            }
        }
        return result
    }

    @Test func shuffledCategoriesGiveTheSamePattern() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixture = root + "/fixtures/transitions"
        var text = try String(contentsOfFile: fixture + "/spec.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "path: extracts/", with: "path: \(fixture)/extracts/")
        let declared = text.replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: \(fixture)/wards.csv")
        try declared.write(toFile: dir + "/declared.yaml", atomically: true, encoding: .utf8)

        // The same spec with every list of categories and the areas in another order.
        var wards = try String(contentsOfFile: fixture + "/wards.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = wards.removeFirst()
        try ([header] + wards.reversed()).joined(separator: "\n").appending("\n").write(toFile: dir + "/wards.csv", atomically: true, encoding: .utf8)
        var shuffled = text.replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: \(dir)/wards.csv")
        let ethnicity = """
                  - {code: W, label: White}
                  - {code: A, label: Asian}
                  - {code: B, label: Black}
                  - {code: M, label: Mixed}
                  - {code: O, label: Other}
                  - {code: U, label: Not known}
            """
        let reordered = """
                  - {code: M, label: Mixed}
                  - {code: U, label: Not known}
                  - {code: B, label: Black}
                  - {code: W, label: White}
                  - {code: O, label: Other}
                  - {code: A, label: Asian}
            """
        #expect(shuffled.contains(ethnicity))
        shuffled = shuffled.replacingOccurrences(of: ethnicity, with: reordered)
        shuffled = shuffled.replacingOccurrences(of: "categories: {F: Female, M: Male}", with: "categories: {M: Male, F: Female}")
        #expect(shuffled.contains("categories: {M: Male, F: Female}"))
        try shuffled.write(toFile: dir + "/shuffled.yaml", atomically: true, encoding: .utf8)

        for name in ["declared", "again", "shuffled"] {
            let spec = dir + "/" + (name == "again" ? "declared" : name) + ".yaml"
            let run = try discreet("protect", "--spec", spec, "--out", dir + "/" + name)
            #expect(run.status == 0, "\(run.err)")
        }
        let declaredRows = try rows(dir + "/declared")
        #expect(declaredRows.values.contains { $0.hasSuffix(",secondary") })
        // Two runs: the same bytes.
        for file in ["tables/transition_by_area_ethnicity.csv", "tables/transition_by_area_age.csv", "indicators.csv"] {
            #expect(FileManager.default.contents(atPath: dir + "/declared/" + file) == FileManager.default.contents(atPath: dir + "/again/" + file), "\(file)")
        }
        // Shuffled: every figure the same, though printed in another order.
        let shuffledRows = try rows(dir + "/shuffled")
        #expect(shuffledRows.count == declaredRows.count)
        let differing = declaredRows.keys.sorted().filter { declaredRows[$0] != shuffledRows[$0] }
        #expect(differing.isEmpty, "\(differing.prefix(5))")
        let ethnicityTable = try String(contentsOfFile: dir + "/shuffled/tables/transition_by_area_ethnicity.csv", encoding: .utf8)
        #expect(ethnicityTable.split(separator: "\n")[2].hasPrefix("E08900001,M,"), "printed in the declared order")
    }
}
