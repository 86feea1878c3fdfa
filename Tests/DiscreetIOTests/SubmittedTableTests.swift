import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// `discreet check`: tables partners make themselves, read in their layouts and symbols,
/// and checked for what a reader of the table alone can learn.
@Suite struct SubmittedTableTests {
    /// Area (North: Ashfield, Blackwater; South: Carrow) by sex, frequency rule "fewer than 5".
    static let spec = """
        discreet: 1
        inputs: [data.csv]
        columns:
          id: identifier
          ward: category
          sex: {type: category, values: [F, M]}
          kind: {type: category, values: [x, y, z]}
        privacy_unit: id
        dimensions:
          area:
            column: ward
            label: Area
            total: {code: CITY, label: The city}
            hierarchy:
              - {code: N, label: North}
              - {code: S, label: South}
              - {code: w1, parent: N, label: Ashfield}
              - {code: w2, parent: N, label: Blackwater}
              - {code: w3, parent: S, label: Carrow}
          flat:
            column: ward
            total: ALL
            categories: [w1, w2, w3]
          sex:
            column: sex
            label: Sex
            total: {code: all, label: All}
            categories: {F: Female, M: Male}
          need:
            column: kind
            total: all
            categories: [x, y, z]
        tables:
          people:
            by: [area, sex]
          grid:
            by: [flat, need]
          pairs:
            by: [flat, sex]
        indicators:
          women:
            numerator: sex == "F"
            denominator: sex is not missing
            by: [flat]
        protection:
          primary:
            frequency: {threshold: 5, comparator: "<"}
        """

    struct Setup {
        let dir = TemporaryDirectory()
        let plan: ReleasePlan
        init() throws {
            dir.file("data.csv", "id,ward,sex,kind\n")
            plan = try ReleasePlan(spec: try SpecReader.parse(bytes: Array(SubmittedTableTests.spec.utf8), path: dir.path + "/spec.yaml", directory: dir.path))
        }
        func read(_ name: String, _ text: String, table: String? = nil) throws(SubmissionProblems) -> SubmittedTable {
            dir.file(name, text)
            return try SubmittedTableReader.read(path: dir.path + "/" + name, plan: plan, table: table)
        }
        func check(_ t: SubmittedTable) -> [SubmittedTableFinding] {
            SubmittedTableCheck.run(shape: t.shape, values: t.values, withheld: t.withheld, bounds: t.bounds, primary: plan.spec.protection.primary)
        }
        func cell(_ t: SubmittedTable, _ codes: String...) -> Int {
            t.shape.cell(zip(t.shape.dimensions, codes).map { $0.node($1)! })
        }
    }

    /// A safe table: Ashfield's 3 women withheld with the rest of the North's rectangle;
    /// the North's margins published. Each withheld cell could still be 0 or 5 and more.
    @Test func aProtectedTableIsSafe() throws {
        let s = try Setup()
        let t = try s.read("safe.csv", """
            area,sex,n
            w1,F,*
            w1,M,*
            w2,F,*
            w2,M,*
            w3,F,6
            w3,M,7
            N,F,11
            N,M,19
            w1,all,13
            w2,all,17
            S,F,6
            S,M,7
            CITY,all,43
            """)
        #expect(t.shown == 13 && t.shownWithheld == 4 && !t.wide)
        #expect(s.check(t) == [])
    }

    /// A published 3, and a margin that does not add up.
    @Test func aSmallPublishedCellAndABadMarginAreFound() throws {
        let s = try Setup()
        let t = try s.read("small.csv", "area,sex,n\nw1,F,3\nw1,M,10\nw1,all,14\n")
        #expect(s.check(t) == [
            SubmittedTableFinding(kind: .smallPublished(3), cell: s.cell(t, "w1", "F")),
            SubmittedTableFinding(kind: .marginMismatch(total: 14, sum: 13), cell: s.cell(t, "w1", "all")),
        ])
    }

    /// Two withheld cells in every row and every column, and still every one is pinned: the
    /// six form one cycle (each row's and column's two move together, in opposite ways), and
    /// two withheld zeros on opposite sides leave it no room. Linear algebra alone finds
    /// nothing; non-negativity does.
    @Test func twoSuppressionsPerRowAndColumnStillPinEveryCell() throws {
        let s = try Setup()
        // Rows w1, w2, w3 by x, y, z; withheld: (w1,x)=0 (w1,y)=4 (w2,x)=7 (w2,z)=5 (w3,y)=6 (w3,z)=0.
        let t = try s.read("grid.csv", """
            flat,need,n
            w1,x,*
            w1,y,*
            w1,z,9
            w2,x,*
            w2,y,8
            w2,z,*
            w3,x,10
            w3,y,*
            w3,z,*
            w1,all,13
            w2,all,20
            w3,all,16
            ALL,x,17
            ALL,y,18
            ALL,z,14
            ALL,all,49
            """)
        let found = s.check(t)
        let values: [(String, String, Int64)] = [("w1", "x", 0), ("w1", "y", 4), ("w2", "x", 7), ("w2", "z", 5), ("w3", "y", 6), ("w3", "z", 0)]
        #expect(Set(found.map(\.kind)) == Set(values.map { SubmittedTableFinding.Kind.recoverable($0.2) }))
        for (r, c, v) in values {
            let finding = try #require(found.first { $0.cell == s.cell(t, r, c) })
            #expect(finding.kind == .recoverable(v))
            // No single margin gives any of them away.
            #expect(finding.givenAwayBy.isEmpty)
        }
        #expect(LinearDisclosure.determined(shape: t.shape, unknown: t.values.map { $0 == nil }).isEmpty)
    }

    /// A cell shown as "fewer than 5", whose row and column leave it between 2 and 4: a
    /// small count all the same (the others withheld could still be 0, or large).
    @Test func aCellTheTableShowsToBeSmallIsFound() throws {
        let s = try Setup()
        let t = try s.read("pairs.csv", """
            flat,sex,n
            w1,F,fewer than 5
            w1,M,*
            w2,F,*
            w2,M,*
            w1,all,10
            w2,all,10
            ALL,F,12
            ALL,M,8
            """)
        #expect(s.check(t) == [SubmittedTableFinding(kind: .knownSmall(lower: 2, upper: 4), cell: s.cell(t, "w1", "F"))])
    }

    /// The wide layout of a spreadsheet (sex across the columns, labels instead of codes)
    /// reads as the long one does.
    @Test func wideAndLongLayoutsReadAlike() throws {
        let s = try Setup()
        let wide = try s.read("wide.csv", "Area,Female,Male,All\nAshfield,10,*,18\nBlackwater,12,9,21\nThe city,29,37,66\n")
        let long = try s.read("long.csv", "sex,ward,value\nF,w1,10\nM,w1,x\nall,w1,18\nF,w2,12\nM,w2,9\nall,w2,21\nF,CITY,29\nM,CITY,37\nall,CITY,66\n")
        #expect(wide.wide && !long.wide)
        #expect(wide.values == long.values && wide.withheld == long.withheld)
        #expect(s.check(wide) == [SubmittedTableFinding(kind: .recoverable(8), cell: s.cell(wide, "w1", "M"), givenAwayBy: [s.cell(wide, "w1", "all")])])
    }

    /// Every usual symbol withholds a cell; "fewer than N" and "<N" also say it is below N.
    @Test func everySymbolWithholds() throws {
        let s = try Setup()
        for symbol in SubmittedTableReader.defaultSymbols + ["", "  C ", "[C]", "fewer than 5", "<5", "< 10"] {
            let t = try s.read("symbol.csv", "area,sex,n\nw1,F,\"\(symbol)\"\n")
            let cell = s.cell(t, "w1", "F")
            #expect(t.withheld[cell] && t.values[cell] == nil, "'\(symbol)'")
            let below: Int64? = symbol.contains("10") ? 9 : symbol.contains("5") ? 4 : nil
            #expect(t.bounds[cell]?.upper == below, "'\(symbol)'")
        }
    }

    /// Hostile input: each problem named by file, line and field, never quoting the field,
    /// and every problem of the file at once.
    @Test func badTablesAreReportedByLineAndField() throws {
        let s = try Setup()
        do {
            _ = try s.read("bad.csv", "area,sex,n\nZedville,F,3\nw1,F,-2\nw1,M,2.5\nw2,F,secret\nw2,M,4,extra\nw2,all,5\nw3,F,7\nw3,F,8\n")
            Issue.record("a bad table was read")
        } catch {
            let p = error.problems.map { "\($0.line):\($0.field.map(String.init) ?? "-") \($0.message)" }
            #expect(p.count == 6, "\(p)")
            #expect(p[0].hasPrefix("2:1 not a category of dimension 'area'"))
            #expect(p[1].hasPrefix("3:3 a negative count"))
            #expect(p[2].hasPrefix("4:3 a fractional count"))
            #expect(p[3].hasPrefix("5:3 not a count or a withheld symbol"))
            #expect(p[4].hasPrefix("6:- expected 3 fields"))
            #expect(p[5].hasPrefix("9:3 the same cell as line 8"))
            #expect(!error.description.contains("Zedville") && !error.description.contains("secret"))
        }
        // The header: no value column; a dimension twice; no table by those dimensions.
        for (text, expected) in [
            ("area,sex\nw1,F\n", "bad.csv:1:3: expected a value column"),
            ("area,ward,n\nw1,w1,3\n", "bad.csv:1:2: dimension 'area' has two columns"),
            ("area,need,n\nw1,x,3\n", "no table of the spec is counted by exactly area, need"),
        ] {
            do {
                _ = try s.read("bad.csv", text)
                Issue.record("'\(text)' was read")
            } catch {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
    }

    /// Next to a release that counts the table's people and others: Ashfield's total is 10
    /// and both its cells withheld, safe alone; the release shows no men in Ashfield, so the
    /// table's men are 0 and its women 10. The release's 12 women in Blackwater against the
    /// table's 9 leave 3 others, a small group (and so in Blackwater's total); its 14 men
    /// against 14, nobody.
    @Test func whatATableGivesAwayNextToARelease() throws {
        let s = try Setup()
        let t = try s.read("partner.csv", "area,sex,n\nw1,F,*\nw1,M,*\nw1,all,10\nw2,F,9\nw2,M,14\nw2,all,23\n")
        #expect(s.check(t) == [])
        var combined = [Int64?](repeating: nil, count: t.shape.cellCount)
        combined[s.cell(t, "w1", "M")] = 0
        combined[s.cell(t, "w2", "F")] = 12
        combined[s.cell(t, "w2", "M")] = 14
        let found = SubmittedTableCheck.against(
            shape: t.shape, values: t.values, withheld: t.withheld, bounds: t.bounds, combined: combined, primary: s.plan.spec.protection.primary)
        #expect(found == [
            SubmittedTableFinding(kind: .recoverable(10), cell: s.cell(t, "w1", "F"), withRelease: true),
            SubmittedTableFinding(kind: .recoverable(0), cell: s.cell(t, "w1", "M"), withRelease: true),
            SubmittedTableFinding(kind: .othersSmall(lower: 3, upper: 3), cell: s.cell(t, "w2", "F"), withRelease: true),
            SubmittedTableFinding(kind: .othersSmall(lower: 3, upper: 3), cell: s.cell(t, "w2", "all"), withRelease: true),
        ])
        // A release counting fewer than the table: no table fits both.
        combined[s.cell(t, "w2", "F")] = 8
        #expect(SubmittedTableCheck.against(
            shape: t.shape, values: t.values, withheld: t.withheld, bounds: t.bounds, combined: combined, primary: s.plan.spec.protection.primary
        ) == [SubmittedTableFinding(kind: .contradictory, cell: s.cell(t, "w2", "F"), withRelease: true)])
    }

    /// "No and %": a numerator, a denominator and a percentage per row. Checked each as a
    /// table and together: w1's 12 of 14 leave 2 outside the numerator, a small group; w2's
    /// percentage is not 9 of 10 (and 1 is outside it); w3's is shown with its numerator
    /// withheld; w3's numerator and the total's, both withheld, move together and stay
    /// hidden (the total's complement, 15 less w3's numerator, is 3 or more).
    @Test func anIndicatorsFileIsCheckedWithItsComplements() throws {
        let s = try Setup()
        let t = try s.read("women.csv", """
            flat,number,total,percent
            w1,12,14,85.7
            w2,9,10,80
            w3,*,12,50.0
            ALL,*,36,
            """)
        #expect(t.indicator != nil && t.shown == 4)
        let found = SubmittedTableReader.check(t, plan: s.plan)
        let cell = { (code: String) in t.shape.cell([t.shape.dimensions[0].node(code)!]) }
        #expect(Set(found) == [
            SubmittedTableFinding(kind: .complementSmall(lower: 2, upper: 2), cell: cell("w1"), part: .complement),
            SubmittedTableFinding(kind: .complementSmall(lower: 1, upper: 1), cell: cell("w2"), part: .complement),
            SubmittedTableFinding(kind: .percentageMismatch, cell: cell("w2"), part: .percentage),
            SubmittedTableFinding(kind: .percentageOfWithheld, cell: cell("w3"), part: .percentage),
        ], "\(found)")
        // The numerators withheld are not given away: w3 and the total move together.
        #expect(!found.contains { $0.part == .numerator })
        // A percentage rounded right passes; one place less precise, within its half unit, too.
        let right = try s.read("right.csv", "flat,no,of,%\nw1,12,30,40.0\nw2,10,30,33\nw3,20,30,66.7\n")
        #expect(SubmittedTableReader.check(right, plan: s.plan).isEmpty)
    }

    /// A workbook as Excel saves one (fixtures/check/partner-table.xlsx, made by the script
    /// beside it: deflated parts, shared strings with a rich-text run, a formula's cached
    /// value, an inline string, an empty cell left out, a row skipped) reads as the CSV
    /// file with the same cells does, its lines the sheet's row numbers; its repair is CSV
    /// in the sheet's layout.
    @Test func anXlsxWorkbookReadsAsItsCSV() throws {
        let s = try Setup()
        let workbook = try SubmittedTableReader.read(path: PresetReleaseTests.root + "/fixtures/check/partner-table.xlsx", plan: s.plan)
        let csv = try s.read("same.csv", "Area,Female,Male,All\nAshfield,10,[c],18\nBlackwater,12,9,21\nThe city,22,,39\n")
        #expect(workbook.wide && workbook.values == csv.values && workbook.withheld == csv.withheld)
        let found = s.check(workbook)
        #expect(found == [
            SubmittedTableFinding(kind: .recoverable(8), cell: s.cell(workbook, "w1", "M"), givenAwayBy: [s.cell(workbook, "w1", "all")]),
            SubmittedTableFinding(kind: .recoverable(17), cell: s.cell(workbook, "CITY", "M"), givenAwayBy: [s.cell(workbook, "CITY", "all")]),
        ])
        #expect(workbook.places[s.cell(workbook, "CITY", "M")]?.line == 5)
        let repaired = try SubmittedTableReader.repaired(workbook, withholding: [s.cell(workbook, "w1", "F")], symbol: "*")
        #expect(String(decoding: repaired, as: UTF8.self) == "Area,Female,Male,All \nAshfield,*,[c],18\nBlackwater,12,9,21\nThe city,22,,39\n")
        // Not a workbook: named, not a crash.
        s.dir.file("fake.xlsx", "area,sex,n\n")
        do {
            _ = try SubmittedTableReader.read(path: s.dir.path + "/fake.xlsx", plan: s.plan)
            Issue.record("a CSV named .xlsx was read as a workbook")
        } catch {
            #expect(error.description == s.dir.path + "/fake.xlsx:1: not an .xlsx workbook (no ZIP directory)")
        }
    }
}
