import DiscreetCore
import Testing
@testable import DiscreetIO

/// A small valid spec, used by several suites.
let minimalSpec = """
    discreet: 1
    title: Test release
    inputs:
      - data.csv
    columns:
      id: identifier
      ward: category
      age: integer
      sex: {type: category, values: [F, M]}
      cost: {type: decimal, places: 2}
      outcome: category
    privacy_unit: id
    dimensions:
      area:
        column: ward
        total: {code: CITY, label: The city}
        hierarchy:
          - {code: N, label: North}
          - {code: S}
          - {code: w1, parent: N}
          - {code: w2, parent: N}
          - {code: w3, parent: S}
      band:
        column: age
        total: ALL
        bands:
          - {code: "14-17", from: 14, to: 17}
          - {code: "18-25", from: 18, to: 25}
      sex:
        column: sex
        categories: {F: Female, M: Male}
    cohorts:
      young: age >= 14 and age <= 25
    tables:
      people:
        cohort: young
        by: [area, band]
      costs:
        cohort: young and cost is not missing
        sum: cost
        by: area
    indicators:
      neet:
        group: Education
        numerator: young and outcome == "NEET"
        denominator: young
        by: [sex]
    protection:
      primary:
        frequency: {threshold: 3, comparator: "<"}
        zeros: publish
        dominance: {n: 1, k: 80, comparator: ">"}
      percentages: {decimals: 1}
    """

func parseSpec(_ text: String, directory: String = "/tmp") throws(SpecProblems) -> ReleaseSpec {
    try SpecReader.parse(bytes: Array(text.utf8), path: "spec.yaml", directory: directory)
}

func problems(_ text: String, directory: String = "/tmp") -> [String] {
    do {
        _ = try parseSpec(text, directory: directory)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

@Suite struct SpecReaderTests {
    @Test func readsAValidSpec() throws {
        let spec = try parseSpec(minimalSpec)
        #expect(spec.title == "Test release")
        #expect(spec.inputs == [InputSpec(path: "/tmp/data.csv")])
        #expect(spec.columns.map(\.name) == ["id", "ward", "age", "sex", "cost", "outcome"])
        #expect(spec.columns[4].type == .decimal(places: 2))
        #expect(spec.privacyUnit == 0)
        #expect(spec.declaredValues[3] == ["F", "M"])
        #expect(spec.conflicts == .error)
        #expect(spec.onError == .stop)
        let area = try #require(spec.dimension(named: "area"))
        #expect(area.dimension.codes == ["w1", "w2", "w3", "N", "S", "CITY"])
        #expect(area.dimension.labels[5] == "The city")
        let band = try #require(spec.dimension(named: "band"))
        #expect(band.bands.map(\.lower) == [14, 18])
        #expect(band.bands.map(\.upper) == [17, 25])
        #expect(spec.dimension(named: "sex")?.dimension.codes == ["F", "M", "Total"])
        #expect(spec.tables.map(\.name) == ["people", "costs"])
        #expect(spec.tables[1].sum == 4)
        #expect(spec.tables[1].by == ["area"])
        #expect(spec.indicators[0].group == "Education")
        #expect(spec.protection.primary.frequency == FrequencyRule(threshold: 3, comparator: .less))
        #expect(spec.protection.primary.dominance == [DominanceRule(n: 1, k: ExactRatio(80), comparator: .greater)])
        #expect(spec.protection.percentDecimals == 1)
        #expect(spec.outputs == OutputSpec(csv: true, json: true))
    }

    @Test func planSharesIdenticalTables() throws {
        var text = minimalSpec
        text = text.replacingOccurrences(of: "    by: [sex]\n", with: "    by: [area, band]\n")
        let plan = try ReleasePlan(spec: try parseSpec(text))
        // The indicator's denominator (young, by area and band) is the declared table 'people'.
        #expect(plan.tables.map(\.name) == ["people", "costs", "neet.numerator"])
        #expect(plan.indicators[0].denominator == 0)
        #expect(plan.cohorts[plan.tables[1].cohort].measure == .sum(column: "cost", places: 2))
        #expect(plan.tables[0].shape.cellCount == 6 * 3)
    }

    @Test func readsSecondarySuppressionSettings() throws {
        #expect(try parseSpec(minimalSpec).protection.secondary == SecondaryPolicy())
        let text = minimalSpec.replacingOccurrences(of: "  percentages: {decimals: 1}", with: """
              secondary:
                method: products
                frequency_protection: {upper: 2, lower: 1}
                singletons: ignore
                cost: value
                weights: {area: {CITY: 20, N: 5}}
                effort: 0
              percentages: {decimals: 1}
            """)
        let secondary = try parseSpec(text).protection.secondary
        #expect(secondary == SecondaryPolicy(
            method: .products, frequency: .fixed(upper: 2, lower: 1), singletons: false, cost: .value, weights: ["area": ["CITY": 20, "N": 5]], effort: 0))
        #expect(problems(text.replacingOccurrences(of: "effort: 0", with: "effort: -3")) == ["spec.yaml:59:13: effort must be between 0 and 1000000000"])
        let unknown = problems(text.replacingOccurrences(of: "{area: {CITY: 20, N: 5}}", with: "{area: {TOWN: 20}, colour: {red: 2}, sex: {F: 0}}"))
        #expect(unknown == [
            "spec.yaml:58:22: weights: 'TOWN' is not a category of dimension 'area'",
            "spec.yaml:58:33: weights: there is no dimension 'colour'",
            "spec.yaml:58:60: the weight of 'F' must be between 1 and 1000000",
        ])
        let bad = problems(text.replacingOccurrences(of: "method: products", with: "method: gauss"))
        #expect(bad == ["spec.yaml:54:13: method must be one of 'cycles', 'products'"])
    }

    @Test func reportsEveryProblemWithItsLine() {
        let text = """
            discreet: 1
            colums: {}
            columns:
              id: identifier
              age: integr
              ward: category
            privacy_unit: id
            dimensions:
              band2:
                column: ward
                bands:
                  - {code: x, from: 10, to: 5}
              area:
                column: wardd
                categories: [a, b]
              band:
                column: age
                bands:
                  - {code: x, from: 10, to: 5}
            tables:
              t:
                cohort: age >= 14 and
                by: [area, sexx]
            protection:
              primary:
                frequency: {threshold: 3}
                dominance: {n: 2, k: 120, comparator: ">"}
            """
        let found = problems(text)
        let expected = [
            "spec.yaml:2:1: the spec: unknown key 'colums'; did you mean 'columns'? (expected discreet, title, inputs, columns, privacy_unit, conflicts, on_error, dimensions, cohorts, tables, indicators, protection, outputs, batch)",
            "spec.yaml:5:8: column 'age': unknown type 'integr' (expected identifier, category, integer or decimal)",
            "spec.yaml:10:13: dimension 'band2': bands need a numeric column, and 'ward' is a category",
            "spec.yaml:14:13: dimension 'area': 'wardd' is not a declared column",
            "spec.yaml:22:26: table 't': cohort: expected a column or cohort name, found the end of the filter",
            "spec.yaml:23:16: table 't': 'sexx' is not a declared dimension",
            "spec.yaml:26:16: frequency rule needs an explicit 'comparator' (\"<\" or \"<=\")",
            "spec.yaml:27:26: dominance rule: k (a percentage) must be at most 100",
        ]
        #expect(found == expected)
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirPlace() {
        let found = problems("columns:\n  id: identifier\n bad: [\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("spec.yaml:3:"))
        #expect(found[0].contains("YAML syntax"))
    }

    @Test func checksHierarchies() {
        let text = minimalSpec.replacingOccurrences(of: "      - {code: w3, parent: S}", with: "      - {code: w3, parent: SS}\n      - {code: w1, parent: S}")
        let found = problems(text)
        #expect(found == [
            "spec.yaml:22:28: dimension 'area': the parent 'SS' of 'w3' is not a category of this hierarchy (incomplete hierarchy)",
            "spec.yaml:23:9: dimension 'area': category 'w1' is declared more than once",
        ])
    }

    @Test func readsHierarchyFilesAndPointsIntoThem() throws {
        let dir = TemporaryDirectory()
        dir.file("wards.csv", "code,parent,label\nN,,North\nw1,N,One\nw2,N,Two\nw3,Q,Three\nw4,w5,\nw5,w4,\nw6,N\n")
        var text = minimalSpec
        let start = try #require(text.range(of: "    hierarchy:\n")).lowerBound
        let end = try #require(text.range(of: "  band:")).lowerBound
        text.replaceSubrange(start..<end, with: "    hierarchy: wards.csv\n")
        let found = problems(text, directory: dir.path)
        // Each problem at its line and field: a parent's problems at the parent field.
        #expect(found.contains("\(dir.path)/wards.csv:5:2: dimension 'area': the parent 'Q' of 'w3' is not a category of this hierarchy (incomplete hierarchy)"))
        #expect(found.contains(
            "\(dir.path)/wards.csv:6:2: dimension 'area': the hierarchy has a cycle: 'w4' -> 'w5' -> 'w4': expected each category's parents to lead up to the total"))
        #expect(found.contains("\(dir.path)/wards.csv:8:3: dimension 'area': expected 3 fields in the hierarchy file, as its header has, found 2"))
        // Quoting problems name their field, and the lines after them are still read.
        dir.file("wards.csv", "code,parent,label\nN,,North\nw1,\"N,One\nw2,N,Two\nw3,w3,\"Three\"x\n")
        let quoting = problems(text, directory: dir.path)
        #expect(quoting.contains("\(dir.path)/wards.csv:3:2: dimension 'area': " + RowIssue(.unclosedQuote).message(columnName: nil)))
        #expect(quoting.contains("\(dir.path)/wards.csv:5:3: dimension 'area': " + RowIssue(.malformedQuoting, found: 2).message(columnName: nil)))
        // A header without the columns names where it ends.
        dir.file("wards.csv", "code,label\nN,North\n")
        #expect(problems(text, directory: dir.path).contains(
            "\(dir.path)/wards.csv:1:3: dimension 'area': expected 'parent' in the hierarchy file's header (it needs 'code' and 'parent' columns, and optionally 'label'); the header has 2 fields, none of them named so"))
        dir.file("wards.csv", "code,parent,label\nN,,North\nw1,N,One\nw2,N,Two\n")
        let spec = try parseSpec(text, directory: dir.path)
        #expect(spec.dimension(named: "area")?.dimension.codes == ["w1", "w2", "N", "CITY"])
        #expect(spec.dimension(named: "area")?.dimension.labels == ["One", "Two", "North", "The city"])
    }

    @Test func checksFilterNamesTypesAndCodes() {
        let text = minimalSpec
            .replacingOccurrences(of: "numerator: young and outcome == \"NEET\"", with: "numerator: young and sex == \"X\" and agge > 3")
            .replacingOccurrences(of: "cohort: young and cost is not missing", with: "cohort: young and ward == \"N\"")
        let found = problems(text)
        // Every problem of a filter at once, each at its character.
        #expect(found == [
            "spec.yaml:39:23: table 'costs': cohort: 'N' is a group or total of a dimension over 'ward': rows hold its categories, so list them with 'in (...)'",
            "spec.yaml:45:26: indicator 'neet': numerator: 'X' is not one of the values of column 'sex'",
            "spec.yaml:45:41: indicator 'neet': numerator: unknown column 'agge'",
        ])
    }

    @Test func requiresExplicitRulesAndPrivacyUnit() {
        let found = problems("columns:\n  id: identifier\ntables:\n  t: {}\n")
        #expect(found.contains("spec.yaml:1:1: the spec has no 'privacy_unit': name the column that identifies a person (counted once per cell)"))
        #expect(found.contains("spec.yaml:1:1: the spec has no 'protection' section: state the primary rules explicitly"))
    }

    @Test func rejectsDuplicateKeysAndNames() {
        let text = minimalSpec.replacingOccurrences(of: "  costs:\n", with: "  people:\n")
        #expect(problems(text) == ["spec.yaml:35:3: a mapping gives 'people' more than once"])
        let dup = problems(minimalSpec.replacingOccurrences(of: "title: Test release", with: "title: a\ntitle: b"))
        #expect(dup == ["spec.yaml:2:1: a mapping gives 'title' more than once"])
        // A table and an indicator may not share a name either (both become file names).
        let clash = problems(minimalSpec.replacingOccurrences(of: "  neet:\n", with: "  people:\n"))
        #expect(clash == ["spec.yaml:43:3: indicator 'people': the name is already used at line 35 (table and indicator names must be unique)"])
        // A dimension may not take a name the release's cells use for themselves.
        let reserved = problems(minimalSpec.replacingOccurrences(of: "  sex:\n    column: sex", with: "  status:\n    column: sex")
            .replacingOccurrences(of: "by: [sex]", with: "by: [status]"))
        #expect(reserved == ["spec.yaml:29:3: dimension 'status': the name is one the release's cells use for themselves (value, status, percent, ...): choose another"])
    }

    @Test func commandLineInputsAcceptSQLiteTables() {
        #expect(InputSpec(argument: "x.csv") == InputSpec(path: "x.csv", format: .csv))
        #expect(InputSpec(argument: "db.sqlite#extract") == InputSpec(path: "db.sqlite", format: .sqlite, table: "extract"))
        #expect(InputSpec(argument: "weird#name.csv").path == "weird#name.csv")
    }
}
