import DiscreetCore
import Foundation

/// A count table a partner made themselves (in a spreadsheet or SQL, with their own
/// suppression) and wants checked before they submit it: what it shows, cell by cell of
/// one of the spec's tables.
public struct SubmittedTable: Sendable {
    public var path: String
    /// The spec's table it is (an index into the plan's tables).
    public var table: Int
    public var shape: TableShape
    /// Per cell: the count shown (nil: withheld, or not in the file).
    public var values: [Int64?]
    /// Per cell: shown as withheld (blank, or a symbol).
    public var withheld: [Bool]
    /// What the table states of withheld cells besides (a cell shown as "fewer than 5").
    public var bounds: [Int: CellBounds]
    /// Per cell: where the file shows it (line, field), nil where it does not (a margin
    /// left out).
    public var places: [Place?]
    /// The layout the file was read in.
    public var wide: Bool
    /// For an indicator ("No and %": a numerator column, a denominator column and perhaps
    /// a percentage column): the spec's indicator, and its denominators and percentages (the
    /// numerators are ``values``, ``table`` the numerator's table).
    public var indicator: Int? = nil
    public var denominators: [Int64?] = []
    public var denominatorsWithheld: [Bool] = []
    public var denominatorBounds: [Int: CellBounds] = [:]
    /// Per cell, the percentage shown (nil: none, or withheld), in units of its last
    /// decimal place, and its places.
    public var percentages: [(units: Int64, places: Int)?] = []

    public struct Place: Sendable, Hashable {
        public var line: Int
        public var field: Int
    }

    /// How many cells the file shows, and how many of those are withheld.
    public var shown: Int { places.filter { $0 != nil }.count }
    public var shownWithheld: Int { withheld.filter { $0 }.count }
}

/// A problem with a submitted table: file, line and field, and what was expected. It never
/// holds a field's text that is not a label or code of the spec.
public struct SubmissionProblem: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var field: Int?
    public var message: String

    public var description: String { "\(path):\(line)" + (field.map { ":\($0)" } ?? "") + ": " + message }
}

public struct SubmissionProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [SubmissionProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads a table as partners make them: a column per dimension (named as the spec names
/// the dimension, its label, or its column), and either one value column (the long layout,
/// any row order) or one dimension's categories across the columns (the wide layout of a
/// spreadsheet). Categories by code or label; margins may be there or not. A withheld cell
/// is blank or shows a symbol (``defaultSymbols``, or the caller's), or "fewer than N" /
/// "<N" (withheld, and stated to be below N).
public enum SubmittedTableReader {
    /// What partners write for a withheld cell (compared ignoring case and spaces around).
    public static let defaultSymbols = ["*", "c", "[c]", "x", "[x]", "..", "-", ":", "~", "s", "supp", "suppressed", "n/a", "[low]", "low"]

    /// Column names of an indicator's file ("No and %"), compared ignoring case.
    static let numeratorNames: Set<String> = ["numerator", "number", "no", "no.", "n", "count"]
    static let denominatorNames: Set<String> = ["denominator", "total", "base", "out of", "of"]
    static let percentNames: Set<String> = ["percent", "percentage", "%", "pct", "rate", "per cent"]

    /// Problems past this many stop the reading (the rest are likely the same).
    static let problemLimit = 50

    /// Reads `path` as one of `plan`'s declared tables: `table` names it, or the file's
    /// dimension columns choose it (the one declared table counted by exactly those).
    public static func read(path: String, plan: ReleasePlan, table name: String? = nil, symbols: [String] = defaultSymbols) throws(SubmissionProblems) -> SubmittedTable {
        func fail(_ line: Int, _ field: Int?, _ message: String) -> SubmissionProblems {
            SubmissionProblems(problems: [SubmissionProblem(path: path, line: line, field: field, message: message)])
        }
        let reader = try SheetRows(path: path)
        let header = reader.header.map { $0.trimmingCharacters(in: .whitespaces) }
        let spec = plan.spec
        // A header field names a dimension by its name, its label, or its column's name.
        func dimension(named text: String) -> Int? {
            let t = text.lowercased()
            return spec.dimensions.indices.first { d in
                let dim = spec.dimensions[d]
                return dim.name.lowercased() == t || dim.dimension.label?.lowercased() == t || spec.columns[dim.column].name.lowercased() == t
            }
        }
        let named = header.map(dimension(named:))
        let dimensionFields = named.indices.filter { named[$0] != nil }
        for (k, f) in dimensionFields.enumerated() where dimensionFields[..<k].contains(where: { named[$0] == named[f] }) {
            throw fail(1, f + 1, "dimension '\(spec.dimensions[named[f]!].name)' has two columns")
        }
        let rest = named.indices.filter { named[$0] == nil }
        let shownDimensions = Set(dimensionFields.map { named[$0]! })
        // Count tables only: a partner's sums are checked another way.
        let declared = plan.tables.indices.filter { plan.tables[$0].declared && !plan.cohorts[plan.tables[$0].cohort].measure.isMagnitude }
        guard !rest.isEmpty else {
            throw fail(1, header.count + 1, "expected a value column, or a dimension's categories across the columns, after the dimension columns")
        }
        // An indicator's file: a numerator and a denominator column (and a percentage).
        let words = rest.map { header[$0].lowercased() }
        if (rest.count == 2 || rest.count == 3), numeratorNames.contains(words[0]), denominatorNames.contains(words[1]),
            rest.count == 2 || percentNames.contains(words[2])
        {
            let matching = plan.indicators.indices.filter { i in
                Set(plan.tables[plan.indicators[i].numerator].dimensions) == shownDimensions && (name == nil || plan.indicators[i].spec.name == name)
            }
            guard matching.count == 1 else {
                let by = shownDimensions.sorted().map { spec.dimensions[$0].name }.joined(separator: ", ")
                throw fail(1, nil, matching.isEmpty
                    ? "the file has a numerator and a denominator column, but no indicator of the spec is counted by exactly \(by)" + (name.map { " and named '\($0)'" } ?? "")
                    : "indicators \(matching.map { "'\(plan.indicators[$0].spec.name)'" }.joined(separator: ", ")) are all counted by these dimensions: name one with --table")
            }
            return try readIndicator(reader, path: path, plan: plan, indicator: matching[0], header: header, named: named, rest: rest, symbols: symbols)
        }
        // The layout: one value column, or a dimension across the columns.
        var across: Int?
        if rest.count > 1 || (name.map { n in plan.tables.first { $0.name == n }.map { Set($0.dimensions) != shownDimensions } ?? false } ?? false) {
            let candidates = spec.dimensions.indices.filter { d in
                !shownDimensions.contains(d) && rest.allSatisfy { node(spec.dimensions[d].dimension, header[$0]) != nil }
            }
            guard let d = candidates.first else {
                throw fail(1, rest[0] + 1, "expected one value column, or the categories of one dimension across the columns; the header has \(rest.count) columns that are neither a dimension nor, together, one dimension's categories")
            }
            across = d
        }
        let dimensions = shownDimensions.union(across.map { [$0] } ?? [])
        let matching = declared.filter { Set(plan.tables[$0].dimensions) == dimensions && (name == nil || plan.tables[$0].name == name) }
        guard let t = matching.first else {
            let by = dimensions.sorted().map { spec.dimensions[$0].name }.joined(separator: ", ")
            if let name, !declared.contains(where: { plan.tables[$0].name == name }) { throw fail(1, nil, "the spec has no count table '\(name)'") }
            throw fail(1, nil, name != nil
                ? "table '\(name!)' is not counted by \(by) (the file's dimension columns)"
                : "no table of the spec is counted by exactly \(by) (the file's dimension columns)")
        }
        guard matching.count == 1 else {
            throw fail(1, nil, "tables \(matching.map { "'\(plan.tables[$0].name)'" }.joined(separator: ", ")) are all counted by these dimensions: name one with --table")
        }
        let planned = plan.tables[t]
        let shape = planned.shape
        // Where each of the table's dimensions is in a row (or across the columns).
        let position = planned.dimensions.map { d in dimensionFields.first { named[$0] == d } }
        let acrossNodes = across.map { d in rest.map { node(spec.dimensions[d].dimension, header[$0])! } }
        var values = [Int64?](repeating: nil, count: shape.cellCount)
        var withheld = [Bool](repeating: false, count: shape.cellCount)
        var places = [SubmittedTable.Place?](repeating: nil, count: shape.cellCount)
        var bounds: [Int: CellBounds] = [:]
        var problems: [SubmissionProblem] = []
        func problem(_ line: Int, _ field: Int?, _ message: String) { problems.append(SubmissionProblem(path: path, line: line, field: field, message: message)) }
        let lowered = Set(symbols.map { $0.lowercased() })
        let columns = planned.dimensions.enumerated().map { k, d in (field: position[k], dimension: shape.dimensions[k], name: spec.dimensions[d].name) }
        while problems.count < problemLimit, var nodes = reader.nextCategories(width: header.count, columns: columns, problem: problem) {
            let line = reader.recordLine
            let fields = rest.count == 1 && across == nil ? [rest[0]] : rest
            for (j, f) in fields.enumerated() {
                if let across, let k = planned.dimensions.firstIndex(of: across) { nodes[k] = acrossNodes![j] }
                let cell = shape.cell(nodes)
                if let earlier = places[cell] {
                    problem(line, f + 1, "the same cell as line \(earlier.line), field \(earlier.field): a cell may be given once")
                    continue
                }
                places[cell] = SubmittedTable.Place(line: line, field: f + 1)
                let shown = reader.text(f)
                switch figure(shown, symbols: lowered) {
                case .count(let v): values[cell] = v
                case .withheld(let below):
                    withheld[cell] = true
                    if let below { bounds[cell] = CellBounds(lower: 0, upper: below - 1) }
                case .problem(let message): problem(line, f + 1, message)
                }
            }
        }
        guard problems.isEmpty else { throw SubmissionProblems(problems: problems) }
        return SubmittedTable(path: path, table: t, shape: shape, values: values, withheld: withheld, bounds: bounds, places: places, wide: across != nil)
    }

    /// Reads an indicator's file: per row, the categories, the numerator, the denominator
    /// and perhaps the percentage.
    static func readIndicator(
        _ reader: SheetRows, path: String, plan: ReleasePlan, indicator i: Int, header: [String], named: [Int?], rest: [Int], symbols: [String]
    ) throws(SubmissionProblems) -> SubmittedTable {
        let indicator = plan.indicators[i]
        let planned = plan.tables[indicator.numerator]
        let shape = planned.shape
        let n = shape.cellCount
        var result = SubmittedTable(
            path: path, table: indicator.numerator, shape: shape, values: [Int64?](repeating: nil, count: n), withheld: [Bool](repeating: false, count: n),
            bounds: [:], places: [SubmittedTable.Place?](repeating: nil, count: n), wide: false)
        result.indicator = i
        result.denominators = [Int64?](repeating: nil, count: n)
        result.denominatorsWithheld = [Bool](repeating: false, count: n)
        result.percentages = [(units: Int64, places: Int)?](repeating: nil, count: n)
        let position = planned.dimensions.map { d in named.indices.first { named[$0] == d } }
        var problems: [SubmissionProblem] = []
        func problem(_ line: Int, _ field: Int?, _ message: String) { problems.append(SubmissionProblem(path: path, line: line, field: field, message: message)) }
        let lowered = Set(symbols.map { $0.lowercased() })
        let columns = planned.dimensions.enumerated().map { k, d in (field: position[k], dimension: shape.dimensions[k], name: plan.spec.dimensions[d].name) }
        while problems.count < problemLimit, let nodes = reader.nextCategories(width: header.count, columns: columns, problem: problem) {
            let line = reader.recordLine
            let cell = shape.cell(nodes)
            if let earlier = result.places[cell] {
                problem(line, nil, "the same cell as line \(earlier.line): a cell may be given once")
                continue
            }
            result.places[cell] = SubmittedTable.Place(line: line, field: rest[0] + 1)
            for (part, f) in rest.prefix(2).enumerated() {
                switch figure(reader.text(f), symbols: lowered) {
                case .count(let v):
                    if part == 0 { result.values[cell] = v } else { result.denominators[cell] = v }
                case .withheld(let below):
                    if part == 0 {
                        result.withheld[cell] = true
                        if let below { result.bounds[cell] = CellBounds(lower: 0, upper: below - 1) }
                    } else {
                        result.denominatorsWithheld[cell] = true
                        if let below { result.denominatorBounds[cell] = CellBounds(lower: 0, upper: below - 1) }
                    }
                case .problem(let message): problem(line, f + 1, message)
                }
            }
            if rest.count == 3 {
                let shown = reader.text(rest[2]).replacingOccurrences(of: "%", with: "").trimmingCharacters(in: .whitespaces)
                if shown.isEmpty || lowered.contains(shown.lowercased()) { continue }
                let places = shown.firstIndex(of: ".").map { shown.distance(from: $0, to: shown.endIndex) - 1 } ?? 0
                guard shown.filter({ $0 == "." }).count <= 1, shown.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), places <= 6,
                    let units = Int64(shown.replacingOccurrences(of: ".", with: ""))
                else {
                    problem(line, rest[2] + 1, "not a percentage or a withheld symbol")
                    continue
                }
                result.percentages[cell] = (units, places)
            }
        }
        guard problems.isEmpty else { throw SubmissionProblems(problems: problems) }
        return result
    }

    /// The check of a submitted table (``SubmittedTableCheck/run``), or of an indicator's
    /// file (``SubmittedTableCheck/indicator``), under the spec's primary rules.
    public static func check(_ table: SubmittedTable, plan: ReleasePlan) -> [SubmittedTableFinding] {
        let primary = plan.spec.protection.primary
        guard table.indicator != nil else {
            return SubmittedTableCheck.run(shape: table.shape, values: table.values, withheld: table.withheld, bounds: table.bounds, primary: primary)
        }
        return SubmittedTableCheck.indicator(
            shape: table.shape, numerators: .init(values: table.values, withheld: table.withheld, bounds: table.bounds),
            denominators: .init(values: table.denominators, withheld: table.denominatorsWithheld, bounds: table.denominatorBounds),
            percentages: table.percentages, primary: primary)
    }

    /// `table`'s file again with `cells` withheld (shown as `symbol`) and every other field as
    /// it was: the same layout, columns and rows (blank lines dropped).
    public static func repaired(_ table: SubmittedTable, withholding cells: [Int], symbol: String = "*") throws(SubmissionProblems) -> [UInt8] {
        var replace: [Int: Set<Int>] = [:]
        for c in cells {
            guard let place = table.places[c] else { continue }
            replace[place.line, default: []].insert(place.field - 1)
        }
        let reader = try SheetRows(path: table.path)
        var out = CSVText()
        out.row(reader.header)
        while reader.nextRow() {
            var fields = (0..<reader.fieldCount).map { reader.raw($0) }
            if fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty { continue }
            for f in replace[reader.recordLine] ?? [] where f < fields.count { fields[f] = symbol }
            out.row(fields)
        }
        return out.bytes
    }

    /// The figures a release directory publishes exactly for the table `name`, per cell of
    /// `shape` (nil: withheld, rounded, or not in the release), to check a table against.
    public static func releaseFigures(directory: String, table name: String, shape: TableShape) throws(SubmissionProblems) -> [Int64?] {
        let path = directory + "/release.json"
        func fail(_ message: String) -> SubmissionProblems {
            SubmissionProblems(problems: [SubmissionProblem(path: path, line: 1, field: nil, message: message)])
        }
        let document: ReleaseDocument
        do {
            document = try ReleaseDocument.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw fail("not a release discreet can read: \(describe(error))")
        }
        guard let table = document.tables.first(where: { $0.name == name }) else { throw fail("the release has no table '\(name)'") }
        guard Set(table.dimensions) == Set(shape.dimensions.map(\.name)) else {
            throw fail("the release's table '\(name)' is counted by \(table.dimensions.joined(separator: ", ")), not as the spec counts it")
        }
        var figures = [Int64?](repeating: nil, count: shape.cellCount)
        for cell in table.cells where cell.status == "published" {
            var nodes: [Int] = []
            for dim in shape.dimensions {
                guard let code = cell.codes[dim.name], let node = dim.node(code) else { break }
                nodes.append(node)
            }
            guard nodes.count == shape.dimensions.count, let value = cell.value, case let v = NSDecimalNumber(decimal: value).int64Value, Decimal(v) == value else { continue }
            figures[shape.cell(nodes)] = v
        }
        return figures
    }

    enum Figure: Equatable {
        case count(Int64)
        /// Withheld; where it says so, every count below this.
        case withheld(below: Int64?)
        case problem(String)
    }

    /// What a value field shows: a count (digits, with or without thousands separators), a
    /// withheld cell (blank, a symbol, "fewer than N", "<N"), or a problem (never quoting the field).
    static func figure(_ text: String, symbols: Set<String>) -> Figure {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || symbols.contains(t.lowercased()) { return .withheld(below: nil) }
        let lower = t.lowercased()
        for prefix in ["fewer than ", "less than ", "<"] where lower.hasPrefix(prefix) {
            let n = lower.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            if let v = Int64(n), v > 0 { return .withheld(below: v) }
        }
        let digits = t.replacingOccurrences(of: ",", with: "")
        if let v = Int64(digits) {
            return v < 0 ? .problem("a negative count: expected a count of people (0 or more), or a withheld symbol") : .count(v)
        }
        if Double(digits) != nil { return .problem("a fractional count: expected a whole number of people, or a withheld symbol") }
        return .problem("not a count or a withheld symbol (blank, \(defaultSymbols.prefix(6).map { "'\($0)'" }.joined(separator: ", ")), 'fewer than N' or '<N')")
    }

    /// A dimension's node a field names: a code (exactly), or a label (ignoring case).
    static func node(_ dimension: TableDimension, _ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = dimension.codes.firstIndex(of: t) { return n }
        let l = t.lowercased()
        if let n = dimension.labels.firstIndex(where: { $0?.lowercased() == l }) { return n }
        return dimension.codes.firstIndex { $0.lowercased() == l }
    }

}

/// The rows of a submitted table, from a CSV file or the first sheet of an `.xlsx`
/// workbook (``WorkbookReader``), held in memory (a partner's table is small): the header,
/// then each record with its line (a sheet's row number), its fields, and the CSV reader's
/// issue with it, if any.
final class SheetRows {
    let header: [String]
    private var records: [(line: Int, fields: [String], issue: RowIssue?)] = []
    private var position = -1

    init(path: String) throws(SubmissionProblems) {
        func fail(_ line: Int, _ message: String) -> SubmissionProblems {
            SubmissionProblems(problems: [SubmissionProblem(path: path, line: line, field: nil, message: message)])
        }
        if path.lowercased().hasSuffix(".xlsx") {
            let rows: [(row: Int, fields: [String])]
            do {
                rows = try WorkbookReader.firstSheet(path: path)
            } catch {
                let text = error.description
                throw fail(1, text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
            }
            let content = rows.filter { !$0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
            guard let first = content.first else { throw fail(1, "the sheet is empty: expected a header row") }
            var header = first.fields
            while header.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { header.removeLast() }
            self.header = header
            for row in content.dropFirst() {
                var fields = row.fields
                // A sheet leaves out empty cells at a row's end.
                while fields.count > header.count, fields.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { fields.removeLast() }
                while fields.count < header.count { fields.append("") }
                records.append((row.row, fields, nil))
            }
            return
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(path: path)
        } catch {
            throw fail(1, describe(error))
        }
        defer { reader.close() }
        header = reader.header
        do {
            while try reader.next() {
                records.append((reader.recordLine, (0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) }, reader.issue))
            }
        } catch {
            throw fail(reader.recordLine, describe(error))
        }
    }

    /// Moves to the next record; false at the end.
    func nextRow() -> Bool {
        position += 1
        return position < records.count
    }

    /// Moves to the next record whose categories read and returns them: per column, the
    /// node of its dimension its field names (0 where the file has no field for it).
    /// Records with a problem (a CSV issue, the wrong number of fields, a category the
    /// dimension does not have) are reported through `problem` and passed over; blank lines
    /// are skipped. Nil at the end.
    func nextCategories(
        width: Int, columns: [(field: Int?, dimension: TableDimension, name: String)], problem: (_ line: Int, _ field: Int?, _ message: String) -> Void
    ) -> [Int]? {
        records: while nextRow() {
            if let issue {
                problem(recordLine, issue.field, issue.message(columnName: nil))
                continue
            }
            if fieldCount == 1 && text(0).isEmpty { continue }
            guard fieldCount == width else {
                problem(recordLine, nil, "expected \(width) fields, as the header has, found \(fieldCount)")
                continue
            }
            var nodes = [Int](repeating: 0, count: columns.count)
            for (k, column) in columns.enumerated() {
                guard let f = column.field else { continue }
                guard let n = SubmittedTableReader.node(column.dimension, text(f)) else {
                    problem(recordLine, f + 1, "not a category of dimension '\(column.name)' (its codes or labels, or its total)")
                    continue records
                }
                nodes[k] = n
            }
            return nodes
        }
        return nil
    }

    var recordLine: Int { records[position].line }
    var issue: RowIssue? { records[position].issue }
    var fieldCount: Int { records[position].fields.count }
    /// A field as written.
    func raw(_ i: Int) -> String { records[position].fields[i] }
    /// A field, spaces around it trimmed.
    func text(_ i: Int) -> String { raw(i).trimmingCharacters(in: .whitespaces) }
}
