import DiscreetCore
import Foundation
import Yams

/// Reads and checks a release spec, collecting every problem with its line and column
/// rather than stopping at the first.
public enum SpecReader {
    /// The spec format this version reads.
    public static let formatVersion = 1

    /// Loads the spec at `path`; relative paths inside it are resolved against its directory.
    public static func load(path: String) throws(SpecProblems) -> ReleaseSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecProblems(problems: [SpecProblem(SourceLocation(file: path, line: 0), "cannot read the spec file")])
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(bytes: Array(data), path: path, directory: directory.isEmpty ? "." : directory)
    }

    /// Parses spec text. `path` names it in messages; `directory` resolves relative paths.
    public static func parse(bytes: [UInt8], path: String, directory: String) throws(SpecProblems) -> ReleaseSpec {
        var reader = Reader(file: path, directory: directory)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SpecProblems(problems: [SpecProblem(SourceLocation(file: path, line: 1), "the spec is not valid UTF-8 text")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecProblems(problems: [SpecProblem(SourceLocation(file: path, line: 1), "the spec is empty")])
            }
            root = node
        } catch let problems as SpecProblems {
            throw problems
        } catch let error as YamlError {
            throw SpecProblems(problems: [reader.yamlProblem(error)])
        } catch {
            throw SpecProblems(problems: [SpecProblem(SourceLocation(file: path, line: 1), "cannot read the YAML: \(error)")])
        }
        let spec = reader.readSpec(root, bytes: bytes)
        if !reader.problems.isEmpty || spec == nil {
            // Problems in the spec first, in line order, then those in files it names.
            let ordered = reader.problems.enumerated().sorted { a, b in
                let ka = (a.element.location.file == path ? 0 : 1, a.element.location.line, a.element.location.column, a.offset)
                let kb = (b.element.location.file == path ? 0 : 1, b.element.location.line, b.element.location.column, b.offset)
                return ka < kb
            }
            throw SpecProblems(problems: ordered.map(\.element))
        }
        return spec!
    }
}

/// The walk over the YAML tree.
private struct Reader {
    let file: String
    let directory: String
    var problems: [SpecProblem] = []
    /// Columns and dimensions that are declared but have problems of their own: later
    /// references to them are not reported again.
    var brokenColumns = Set<String>()
    var brokenDimensions = Set<String>()
    /// Every table and indicator filter read, checked against the columns at the end even
    /// when its table has other problems: (what, expression, where).
    var filtersToCheck: [(String, FilterExpression, TextLocation)] = []
    /// Secondary-suppression weights, checked against the dimensions once all are read.
    var weightsToCheck: [(dimension: String, dimensionNode: Node, code: String, codeNode: Node)] = []
    /// `noise: weights` keys, checked once the tables and indicators are known.
    var weightNodes: [String: Node] = [:]
    /// `noise: clamp` entries, checked once the columns are known.
    var clampsToCheck: [(column: String, node: Node, from: (String, Node)?, to: (String, Node)?)] = []
    /// The cell key method's column of record keys, checked once the columns are read.
    var recordKeyToCheck: (column: String, node: Node)?
    /// Rounding levels' dimensions, checked once all are read.
    var levelsToCheck: [(dimension: String, node: Node)] = []
    /// Where the spec gives the base for rounding sums, checked against the summed columns.
    var sumsNode: Node?
    /// Per hierarchy entry of the dimension being read, where its parent is written (a
    /// problem with the parent, such as a cycle, points there).
    var parentLocations: [Int: SourceLocation] = [:]

    init(file: String, directory: String) {
        self.file = file
        self.directory = directory
    }

    // MARK: - Helpers

    func location(_ node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func problem(_ node: Node?, _ message: String) {
        problems.append(SpecProblem(location(node), message))
    }

    func yamlProblem(_ error: YamlError) -> SpecProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return SpecProblem(SourceLocation(file: file, line: mark.line, column: mark.column), "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return SpecProblem(
                SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "a mapping gives \(keys) more than once")
        default:
            return SpecProblem(SourceLocation(file: file, line: 1), "YAML: \(error)")
        }
    }

    /// The key-value pairs of a mapping, reporting duplicate and unknown keys.
    mutating func mapping(_ node: Node, _ what: String, allowed: [String]? = nil) -> [(key: String, keyNode: Node, value: Node)]? {
        guard let map = node.mapping else {
            problem(node, "\(what) must be a mapping of keys to values")
            return nil
        }
        var seen: [String: Node] = [:]
        var pairs: [(String, Node, Node)] = []
        for (k, v) in map {
            guard let key = k.scalar?.string else {
                problem(k, "\(what): a key must be a plain name")
                continue
            }
            if let earlier = seen[key] {
                problem(k, "\(what): '\(key)' is given twice (first at line \(location(earlier).line))")
                continue
            }
            seen[key] = k
            if let allowed, !allowed.contains(key) {
                let hint = Self.closest(key, allowed).map { "; did you mean '\($0)'?" } ?? ""
                problem(k, "\(what): unknown key '\(key)'\(hint) (expected \(allowed.joined(separator: ", ")))")
                continue
            }
            pairs.append((key, k, v))
        }
        return pairs
    }

    static func closest(_ word: String, _ candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let w = Array(word.lowercased())
        let best = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, w.count / 3) else { return nil }
        return best.0
    }

    mutating func string(_ node: Node, _ what: String, allowEmpty: Bool = false) -> String? {
        guard let scalar = node.scalar else {
            problem(node, "\(what) must be a single value, not a list or mapping")
            return nil
        }
        if scalar.string.isEmpty && !allowEmpty && scalar.style == .plain {
            problem(node, "\(what) is empty")
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node, _ what: String, range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, what), let value = Int(text) else {
            if node.scalar != nil { problem(node, "\(what) must be a whole number") }
            return nil
        }
        guard range.contains(value) else {
            problem(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func ratio(_ node: Node, _ what: String, max: Int64?) -> ExactRatio? {
        guard let text = string(node, what) else { return nil }
        guard let ratio = ExactRatio(decimal: text), ratio.numerator > 0 else {
            problem(node, "\(what) must be a positive number")
            return nil
        }
        if let max, ratio.numerator > max * ratio.denominator {
            problem(node, "\(what) must be at most \(max)")
            return nil
        }
        return ratio
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, _: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, what) else { return nil }
        guard let value = T(rawValue: text) else {
            problem(node, "\(what) must be one of \(T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
            return nil
        }
        return value
    }

    mutating func list(_ node: Node, _ what: String) -> [Node]? {
        if let sequence = node.sequence { return Array(sequence) }
        problem(node, "\(what) must be a list")
        return nil
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory == "." ? path : directory + "/" + path)
    }

    /// Parses a filter, reporting a syntax error at its place in the YAML.
    mutating func filter(_ node: Node, _ what: String) -> (String, FilterExpression, TextLocation)? {
        guard let text = string(node, what) else { return nil }
        let place = textLocation(node)
        do {
            return (text, try FilterExpression.parse(text), place)
        } catch {
            problems.append(SpecProblem(place.at(error.position), "\(what): \(error.message)"))
            return nil
        }
    }

    /// Where a scalar's text starts: exact for plain and quoted one-line scalars.
    func textLocation(_ node: Node) -> TextLocation {
        let start = location(node)
        guard let scalar = node.scalar, !scalar.string.contains("\n") else { return TextLocation(start: start, offset: nil) }
        switch scalar.style {
        case .plain: return TextLocation(start: start, offset: 0)
        case .singleQuoted, .doubleQuoted: return TextLocation(start: start, offset: 1)
        default: return TextLocation(start: start, offset: nil)
        }
    }

    // MARK: - The spec

    mutating func readSpec(_ root: Node, bytes: [UInt8]) -> ReleaseSpec? {
        let topKeys = [
            "discreet", "title", "inputs", "columns", "privacy_unit", "conflicts", "on_error", "dimensions", "cohorts",
            "tables", "indicators", "protection", "outputs", "batch",
        ]
        guard let top = mapping(root, "the spec", allowed: topKeys) else { return nil }
        var nodes: [String: (Node, Node)] = [:]
        for pair in top { nodes[pair.key] = (pair.keyNode, pair.value) }

        if let (_, v) = nodes["discreet"], let version = integer(v, "'discreet' (the spec format version)", range: 1...1000),
            version != SpecReader.formatVersion
        {
            problem(v, "this is spec format \(version); this version of discreet reads format \(SpecReader.formatVersion)")
        }
        let title = nodes["title"].flatMap { string($0.1, "title") }
        let inputs = nodes["inputs"].map { readInputs($0.1) } ?? []

        // Columns.
        var columns: [Column] = []
        var declaredValues: [[String]] = []
        var columnNodes: [Node] = []
        if let (k, v) = nodes["columns"] {
            readColumns(v, into: &columns, values: &declaredValues, nodes: &columnNodes)
            if columns.isEmpty && v.mapping != nil { problem(k, "no columns are declared") }
        } else {
            problem(root, "the spec has no 'columns' section: declare the input columns it uses and their types")
        }
        let columnIndex = Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })

        var privacyUnit = -1
        if let (_, v) = nodes["privacy_unit"], let name = string(v, "privacy_unit") {
            if let i = columnIndex[name] {
                if columns[i].type == .identifier {
                    privacyUnit = i
                } else {
                    problem(v, "privacy_unit: column '\(name)' must be declared with type identifier")
                }
            } else {
                problem(v, "privacy_unit: '\(name)' is not a declared column")
            }
        } else if nodes["privacy_unit"] == nil {
            problem(root, "the spec has no 'privacy_unit': name the column that identifies a person (counted once per cell)")
        }
        for (i, column) in columns.enumerated() where column.type == .identifier && i != privacyUnit && privacyUnit >= 0 {
            problem(columnNodes[i], "column '\(column.name)' is an identifier but not the privacy unit: declare it as a category, or leave it out")
        }

        let conflicts = nodes["conflicts"].flatMap { choice($0.1, "conflicts", ConflictPolicy.self) } ?? .error
        let onError = nodes["on_error"].flatMap { choice($0.1, "on_error", ErrorPolicy.self) } ?? .stop

        // Dimensions.
        var dimensions: [DimensionSpec] = []
        if let (_, v) = nodes["dimensions"], let pairs = mapping(v, "dimensions") {
            for pair in pairs {
                if ReleaseDocument.reservedMemberNames.contains(pair.key) {
                    // A cell of a table or indicator names its categories by their dimension.
                    problem(pair.keyNode, "dimension '\(pair.key)': the name is one the release's cells use for themselves (value, status, percent, ...): choose another")
                    brokenDimensions.insert(pair.key)
                    continue
                }
                if let d = readDimension(pair.key, pair.keyNode, pair.value, columns: columns, columnIndex: columnIndex) {
                    dimensions.append(d)
                } else {
                    brokenDimensions.insert(pair.key)
                }
            }
        }
        let dimensionNames = Set(dimensions.map(\.name))

        // Cohorts.
        var cohorts: [CohortSpec] = []
        if let (_, v) = nodes["cohorts"], let pairs = mapping(v, "cohorts") {
            for pair in pairs {
                if columnIndex[pair.key] != nil {
                    problem(pair.keyNode, "cohort '\(pair.key)' has the name of a column: choose another name")
                    continue
                }
                if let (text, expression, place) = filter(pair.value, "cohort '\(pair.key)'") {
                    cohorts.append(CohortSpec(name: pair.key, text: text, expression: expression, location: location(pair.keyNode), textLocation: place))
                }
            }
        }

        // Tables.
        var tables: [TableSpec] = []
        var names: [String: Node] = [:]
        if let (_, v) = nodes["tables"], let pairs = mapping(v, "tables") {
            for pair in pairs {
                guard checkName(pair.key, pair.keyNode, "table", &names) else { continue }
                if let t = readTable(pair.key, pair.keyNode, pair.value, columns: columns, columnIndex: columnIndex, dimensionNames: dimensionNames) {
                    tables.append(t)
                }
            }
        }

        // Indicators.
        var indicators: [IndicatorSpec] = []
        if let (_, v) = nodes["indicators"], let pairs = mapping(v, "indicators") {
            for pair in pairs {
                guard checkName(pair.key, pair.keyNode, "indicator", &names) else { continue }
                if let i = readIndicator(pair.key, pair.keyNode, pair.value, dimensionNames: dimensionNames) { indicators.append(i) }
            }
        }
        if tables.isEmpty && indicators.isEmpty && nodes["tables"] == nil && nodes["indicators"] == nil {
            problem(root, "the spec declares no tables and no indicators: there would be nothing to release")
        }

        // Protection.
        var protection = ProtectionSpec(primary: PrimaryPolicy())
        if let (_, v) = nodes["protection"] {
            protection = readProtection(v)
        } else {
            problem(root, "the spec has no 'protection' section: state the primary rules explicitly")
        }

        var outputs = OutputSpec()
        if let (_, v) = nodes["outputs"] { outputs = readOutputs(v) }
        var batch = BatchSpec()
        if let (_, v) = nodes["batch"], let pairs = mapping(v, "batch", allowed: ["combined_when_partners_missing", "carry_forward", "small_changes"]) {
            for pair in pairs {
                switch pair.key {
                case "combined_when_partners_missing":
                    if let choice = choice(pair.value, "batch: combined_when_partners_missing", BatchSpec.CombinedWhenPartnersMissing.self) {
                        batch.combinedWhenPartnersMissing = choice
                    }
                case "carry_forward":
                    if let choice = choice(pair.value, "batch: carry_forward", BatchSpec.CarryForward.self) { batch.carryForward = choice }
                case "small_changes":
                    if let choice = choice(pair.value, "batch: small_changes", BatchSpec.SmallChanges.self) { batch.smallChanges = choice }
                default: break
                }
            }
        }

        var spec = ReleaseSpec(
            path: file, directory: directory, bytes: bytes, title: title, inputs: inputs, columns: columns,
            declaredValues: declaredValues, privacyUnit: privacyUnit, conflicts: conflicts, onError: onError,
            dimensions: dimensions, cohorts: cohorts, tables: tables, indicators: indicators,
            protection: protection, outputs: outputs)
        spec.batch = batch
        checkFilters(&spec)
        checkWeights(spec)
        checkLevels(spec)
        checkSums(spec)
        checkNoise(&spec)
        return problems.isEmpty ? spec : nil
    }

    mutating func checkName(_ name: String, _ node: Node, _ kind: String, _ names: inout [String: Node]) -> Bool {
        if let earlier = names[name] {
            problem(node, "\(kind) '\(name)': the name is already used at line \(location(earlier).line) (table and indicator names must be unique)")
            return false
        }
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
        if !allowed {
            problem(node, "\(kind) '\(name)': names may use letters, digits, '_' and '-' only (they become file names)")
            return false
        }
        names[name] = node
        return true
    }

    // MARK: Inputs and columns

    mutating func readInputs(_ node: Node) -> [InputSpec] {
        guard let items = list(node, "inputs") else { return [] }
        var inputs: [InputSpec] = []
        for item in items {
            if item.scalar != nil {
                if let path = string(item, "an input path") { inputs.append(InputSpec(path: resolve(path))) }
                continue
            }
            guard let pairs = mapping(item, "an input", allowed: ["path", "format", "table", "partner"]) else { continue }
            var path: String?
            var format: InputSpec.Format?
            var table: String?
            var partner: String?
            for pair in pairs {
                switch pair.key {
                case "path": path = string(pair.value, "input path")
                case "format":
                    if let text = string(pair.value, "input format") {
                        format = InputSpec.Format(rawValue: text)
                        if format == nil { problem(pair.value, "input format must be 'csv' or 'sqlite'") }
                    }
                case "table": table = string(pair.value, "input table")
                default: partner = string(pair.value, "input partner")
                }
            }
            guard let path else {
                problem(item, "an input needs a 'path'")
                continue
            }
            inputs.append(InputSpec(path: resolve(path), format: format, table: table, partner: partner))
        }
        return inputs
    }

    mutating func readColumns(_ node: Node, into columns: inout [Column], values: inout [[String]], nodes: inout [Node]) {
        guard let pairs = mapping(node, "columns") else { return }
        for pair in pairs {
            var typeNode = pair.value
            var placesNode: Node?
            var valuesNode: Node?
            if pair.value.mapping != nil {
                guard let fields = mapping(pair.value, "column '\(pair.key)'", allowed: ["type", "places", "values"]) else {
                    brokenColumns.insert(pair.key)
                    continue
                }
                guard let t = fields.first(where: { $0.key == "type" }) else {
                    problem(pair.value, "column '\(pair.key)' needs a 'type'")
                    brokenColumns.insert(pair.key)
                    continue
                }
                typeNode = t.value
                placesNode = fields.first { $0.key == "places" }?.value
                valuesNode = fields.first { $0.key == "values" }?.value
            }
            guard let typeName = string(typeNode, "the type of column '\(pair.key)'") else {
                brokenColumns.insert(pair.key)
                continue
            }
            let type: ColumnType
            switch typeName {
            case "identifier": type = .identifier
            case "category": type = .category
            case "integer": type = .integer
            case "decimal":
                let places = placesNode.flatMap { integer($0, "places of column '\(pair.key)'", range: 1...9) } ?? 2
                type = .decimal(places: places)
            default:
                problem(typeNode, "column '\(pair.key)': unknown type '\(typeName)' (expected identifier, category, integer or decimal)")
                brokenColumns.insert(pair.key)
                continue
            }
            if placesNode != nil, case .decimal = type {} else if let placesNode {
                problem(placesNode, "column '\(pair.key)': 'places' applies to decimal columns only")
            }
            var declared: [String] = []
            if let valuesNode {
                if type != .category {
                    problem(valuesNode, "column '\(pair.key)': 'values' applies to category columns only")
                } else if let items = list(valuesNode, "values of column '\(pair.key)'") {
                    for item in items {
                        guard let code = string(item, "a value of column '\(pair.key)'") else { continue }
                        if declared.contains(code) {
                            problem(item, "column '\(pair.key)': value '\(code)' is listed twice")
                        } else {
                            declared.append(code)
                        }
                    }
                }
            }
            columns.append(Column(name: pair.key, type: type))
            values.append(declared)
            nodes.append(pair.keyNode)
        }
    }

    // MARK: Dimensions

    mutating func readDimension(_ name: String, _ keyNode: Node, _ node: Node, columns: [Column], columnIndex: [String: Int]) -> DimensionSpec? {
        let what = "dimension '\(name)'"
        guard let pairs = mapping(node, what, allowed: ["column", "label", "total", "categories", "hierarchy", "bands"]) else { return nil }
        var fields: [String: Node] = [:]
        for pair in pairs { fields[pair.key] = pair.value }
        guard let columnNode = fields["column"] else {
            problem(node, "\(what) needs a 'column'")
            return nil
        }
        guard let columnName = string(columnNode, "\(what): column") else { return nil }
        guard let column = columnIndex[columnName] else {
            if !brokenColumns.contains(columnName) { problem(columnNode, "\(what): '\(columnName)' is not a declared column") }
            return nil
        }
        let label = fields["label"].flatMap { string($0, "\(what): label") }
        var totalCode = "Total"
        var totalLabel: String? = "Total"
        if let t = fields["total"] {
            if t.mapping != nil {
                if let parts = mapping(t, "\(what): total", allowed: ["code", "label"]) {
                    for p in parts {
                        if p.key == "code", let c = string(p.value, "\(what): total code") { totalCode = c }
                        if p.key == "label" { totalLabel = string(p.value, "\(what): total label") }
                    }
                    if !parts.contains(where: { $0.key == "code" }) { problem(t, "\(what): the total needs a 'code'") }
                }
            } else if let c = string(t, "\(what): total") {
                totalCode = c
                totalLabel = nil
            }
        }
        let sources = ["categories", "hierarchy", "bands"].filter { fields[$0] != nil }
        guard sources.count == 1 else {
            problem(node, sources.isEmpty
                ? "\(what) needs its categories: 'categories' (a list), 'hierarchy' (a file or list of code/parent) or 'bands'"
                : "\(what): give only one of \(sources.map { "'\($0)'" }.joined(separator: ", "))")
            return nil
        }
        let type = columns[column].type
        var entries: [HierarchyEntry] = []
        var entryLocations: [SourceLocation] = []
        parentLocations = [:]
        var bands: [(lower: Int64, upper: Int64)] = []
        if let bandsNode = fields["bands"] {
            guard type.isNumeric else {
                problem(columnNode, "\(what): bands need a numeric column, and '\(columnName)' is a \(type)")
                return nil
            }
            guard let items = list(bandsNode, "\(what): bands") else { return nil }
            for item in items {
                guard let parts = mapping(item, "\(what): a band", allowed: ["code", "label", "from", "to"]) else { continue }
                var code: String?
                var bandLabel: String?
                var lower = Int64.min + 1
                var upper = Int64.max
                var ok = true
                for p in parts {
                    switch p.key {
                    case "code": code = string(p.value, "\(what): band code")
                    case "label": bandLabel = string(p.value, "\(what): band label")
                    default:
                        guard let text = string(p.value, "\(what): band '\(p.key)'"),
                            let v = ScaledDecimal.parse(Array(text.utf8), places: type.scale)
                        else {
                            if p.value.scalar != nil {
                                problem(p.value, "\(what): '\(p.key)' must be a number with at most \(type.scale) decimal places, like the column")
                            }
                            ok = false
                            continue
                        }
                        if p.key == "from" { lower = v } else { upper = v }
                    }
                }
                guard let code else {
                    problem(item, "\(what): a band needs a 'code'")
                    continue
                }
                if !parts.contains(where: { $0.key == "from" || $0.key == "to" }) {
                    problem(item, "\(what): band '\(code)' needs 'from' or 'to' (both inclusive)")
                    ok = false
                }
                if ok && lower > upper {
                    problem(item, "\(what): band '\(code)' has 'from' greater than 'to'")
                    ok = false
                }
                if ok, let clash = bands.firstIndex(where: { $0.lower <= upper && lower <= $0.upper }) {
                    problem(item, "\(what): band '\(code)' overlaps band '\(entries[clash].code)'")
                    ok = false
                }
                guard ok else { continue }
                bands.append((lower, upper))
                entries.append(HierarchyEntry(code: code, label: bandLabel))
                entryLocations.append(location(item))
            }
        } else {
            guard type == .category else {
                problem(columnNode, "\(what): categories need a category column, and '\(columnName)' is \(type) (use 'bands' to cut numbers)")
                return nil
            }
            if let categoriesNode = fields["categories"] {
                readCategories(categoriesNode, what, &entries, &entryLocations)
            } else if let hierarchyNode = fields["hierarchy"] {
                if hierarchyNode.scalar != nil {
                    guard let path = string(hierarchyNode, "\(what): hierarchy") else { return nil }
                    readHierarchyFile(resolve(path), hierarchyNode, what, &entries, &entryLocations)
                } else {
                    readHierarchyList(hierarchyNode, what, &entries, &entryLocations)
                }
            }
        }
        if entries.isEmpty {
            if problems.isEmpty { problem(node, "\(what) has no categories") }
            return nil
        }
        do {
            let dimension = try TableDimension.build(name: name, label: label, total: totalCode, totalLabel: totalLabel, entries: entries)
            // Band dimensions have no groups: one leaf per band, numbered by code.
            if !bands.isEmpty {
                let declared = Dictionary(uniqueKeysWithValues: zip(entries.map(\.code), bands))
                bands = (0..<dimension.leafCount).map { declared[dimension.codes[$0]]! }
            }
            return DimensionSpec(name: name, column: column, bands: bands, dimension: dimension, location: location(keyNode))
        } catch {
            for p in error.problems {
                var loc = p.entry.map { entryLocations[$0] } ?? location(node)
                switch p.kind {
                case .cycle, .undefinedParent: if let e = p.entry, let at = parentLocations[e] { loc = at }
                default: break
                }
                problems.append(SpecProblem(loc, "\(what): \(p)"))
            }
            return nil
        }
    }

    mutating func readCategories(_ node: Node, _ what: String, _ entries: inout [HierarchyEntry], _ locations: inout [SourceLocation]) {
        if let pairs = node.mapping != nil ? mapping(node, "\(what): categories") : nil {
            for p in pairs {
                entries.append(HierarchyEntry(code: p.key, label: string(p.value, "\(what): label of '\(p.key)'")))
                locations.append(location(p.keyNode))
            }
            return
        }
        guard let items = list(node, "\(what): categories") else { return }
        for item in items {
            if item.mapping != nil {
                guard let parts = mapping(item, "\(what): a category", allowed: ["code", "label"]),
                    let codeNode = parts.first(where: { $0.key == "code" })?.value,
                    let code = string(codeNode, "\(what): category code")
                else {
                    problem(item, "\(what): a category needs a 'code'")
                    continue
                }
                entries.append(HierarchyEntry(code: code, label: parts.first { $0.key == "label" }.flatMap { string($0.value, "\(what): label") }))
            } else if let code = string(item, "\(what): a category", allowEmpty: true) {
                entries.append(HierarchyEntry(code: code))
            } else {
                continue
            }
            locations.append(location(item))
        }
    }

    mutating func readHierarchyList(_ node: Node, _ what: String, _ entries: inout [HierarchyEntry], _ locations: inout [SourceLocation]) {
        guard let items = list(node, "\(what): hierarchy") else { return }
        for item in items {
            guard let parts = mapping(item, "\(what): a hierarchy entry", allowed: ["code", "parent", "label"]) else { continue }
            var entry = HierarchyEntry(code: "")
            for p in parts {
                switch p.key {
                case "code": entry.code = string(p.value, "\(what): code") ?? ""
                case "parent":
                    entry.parent = string(p.value, "\(what): parent", allowEmpty: true)
                    parentLocations[entries.count] = location(p.value)
                default: entry.label = string(p.value, "\(what): label")
                }
            }
            if !parts.contains(where: { $0.key == "code" }) {
                problem(item, "\(what): a hierarchy entry needs a 'code'")
                continue
            }
            entries.append(entry)
            locations.append(location(item))
        }
    }

    /// Reads `code,parent[,label]` rows (a header names the columns) from a CSV file.
    mutating func readHierarchyFile(_ path: String, _ node: Node, _ what: String, _ entries: inout [HierarchyEntry], _ locations: inout [SourceLocation]) {
        do {
            let reader = try CSVReader(path: path)
            let header = reader.header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let codeAt = header.firstIndex(of: "code"), let parentAt = header.firstIndex(of: "parent") else {
                let missing = ["code", "parent"].filter { !header.contains($0) }.map { "'\($0)'" }.joined(separator: " and ")
                problems.append(SpecProblem(
                    SourceLocation(file: path, line: 1, column: header.count + 1),
                    "\(what): expected \(missing) in the hierarchy file's header (it needs 'code' and 'parent' columns, and optionally 'label'); the header has \(header.count) \(header.count == 1 ? "field" : "fields"), none of them named so"))
                return
            }
            let labelAt = header.firstIndex(of: "label")
            func text(_ i: Int) -> String { String(decoding: reader.field(i), as: UTF8.self).trimmingCharacters(in: .whitespaces) }
            while try reader.next() {
                func at(_ field: Int) -> SourceLocation { SourceLocation(file: path, line: reader.recordLine, column: field) }
                if let issue = reader.issue {
                    problems.append(SpecProblem(at(issue.field ?? 1), "\(what): \(issue.message(columnName: nil))"))
                    continue
                }
                if reader.fieldCount != header.count {
                    let issue = RowIssue.fieldCount(expected: header.count, found: reader.fieldCount)
                    problems.append(SpecProblem(
                        at(issue.field!),
                        "\(what): expected \(header.count) fields in the hierarchy file, as its header has, found \(reader.fieldCount)"))
                    continue
                }
                let parent = text(parentAt)
                parentLocations[entries.count] = at(parentAt + 1)
                entries.append(HierarchyEntry(code: text(codeAt), parent: parent.isEmpty ? nil : parent, label: labelAt.map(text).flatMap { $0.isEmpty ? nil : $0 }))
                locations.append(at(codeAt + 1))
            }
        } catch {
            problems.append(SpecProblem(location(node), "\(what): cannot read the hierarchy file: \(describe(error))"))
        }
    }

    // MARK: Tables and indicators

    mutating func dimensionsList(_ node: Node, _ what: String, _ known: Set<String>) -> [String]? {
        let items: [Node]
        if node.scalar != nil { items = [node] } else if let l = list(node, "\(what): by") { items = l } else { return nil }
        var names: [String] = []
        var ok = true
        for item in items {
            guard let name = string(item, "\(what): a dimension") else {
                ok = false
                continue
            }
            if !known.contains(name) {
                ok = false
                if brokenDimensions.contains(name) { continue }
                let hint = Self.closest(name, Array(known)).map { "; did you mean '\($0)'?" } ?? ""
                problem(item, "\(what): '\(name)' is not a declared dimension\(hint)")
            } else if names.contains(name) {
                problem(item, "\(what): dimension '\(name)' is listed twice")
                ok = false
            } else {
                names.append(name)
            }
        }
        return ok ? names : nil
    }

    mutating func readTable(_ name: String, _ keyNode: Node, _ node: Node, columns: [Column], columnIndex: [String: Int], dimensionNames: Set<String>) -> TableSpec? {
        let what = "table '\(name)'"
        guard let pairs = mapping(node, what, allowed: ["title", "cohort", "sum", "by"]) else { return nil }
        var title: String?
        var filterText = ""
        var filterExpression: FilterExpression?
        var filterLocation: TextLocation?
        var sum: Int?
        var by: [String] = []
        var ok = true
        for p in pairs {
            switch p.key {
            case "title": title = string(p.value, "\(what): title")
            case "cohort":
                if let (t, e, l) = filter(p.value, "\(what): cohort") {
                    filterText = t
                    filterExpression = e
                    filterLocation = l
                    filtersToCheck.append(("\(what): cohort", e, l))
                } else {
                    ok = false
                }
            case "sum":
                guard let c = string(p.value, "\(what): sum") else {
                    ok = false
                    continue
                }
                if let i = columnIndex[c], columns[i].type.isNumeric {
                    sum = i
                } else if brokenColumns.contains(c) {
                    ok = false
                } else {
                    problem(p.value, columnIndex[c] == nil ? "\(what): '\(c)' is not a declared column" : "\(what): '\(c)' is not a numeric column, so it cannot be summed")
                    ok = false
                }
            default:
                if let d = dimensionsList(p.value, what, dimensionNames) { by = d } else { ok = false }
            }
        }
        guard ok else { return nil }
        return TableSpec(
            name: name, title: title, filterText: filterText, filter: filterExpression, filterLocation: filterLocation,
            sum: sum, by: by, location: location(keyNode))
    }

    mutating func readIndicator(_ name: String, _ keyNode: Node, _ node: Node, dimensionNames: Set<String>) -> IndicatorSpec? {
        let what = "indicator '\(name)'"
        guard let pairs = mapping(node, what, allowed: ["title", "group", "numerator", "denominator", "by", "decimals"]) else { return nil }
        var title: String?
        var group: String?
        var numerator: (String, FilterExpression, TextLocation)?
        var denominator: (String, FilterExpression, TextLocation)?
        var by: [String] = []
        var decimals: Int?
        var ok = true
        for p in pairs {
            switch p.key {
            case "title": title = string(p.value, "\(what): title")
            case "group": group = string(p.value, "\(what): group")
            case "numerator":
                numerator = filter(p.value, "\(what): numerator")
                if let (_, e, l) = numerator { filtersToCheck.append(("\(what): numerator", e, l)) } else { ok = false }
            case "denominator":
                denominator = filter(p.value, "\(what): denominator")
                if let (_, e, l) = denominator { filtersToCheck.append(("\(what): denominator", e, l)) } else { ok = false }
            case "decimals": decimals = integer(p.value, "\(what): decimals", range: 0...6)
            default:
                if let d = dimensionsList(p.value, what, dimensionNames) { by = d } else { ok = false }
            }
        }
        if ok && numerator == nil { problem(node, "\(what) needs a 'numerator' cohort") }
        if ok && denominator == nil { problem(node, "\(what) needs a 'denominator' cohort") }
        guard ok, let numerator, let denominator else { return nil }
        return IndicatorSpec(
            name: name, title: title, group: group, numeratorText: numerator.0, numerator: numerator.1,
            denominatorText: denominator.0, denominator: denominator.1, numeratorLocation: numerator.2,
            denominatorLocation: denominator.2, by: by, decimals: decimals, location: location(keyNode))
    }

    // MARK: Protection and outputs

    mutating func readProtection(_ given: Node) -> ProtectionSpec {
        var spec = ProtectionSpec(primary: PrimaryPolicy())
        var node = given
        // A preset's settings sit under the spec's own, which override them key by key.
        let presetNode = given.mapping?.first(where: { $0.key.scalar?.string == "preset" })?.value
        if let presetNode {
            spec.preset = choice(presetNode, "preset", ProtectionPreset.self)
            if let preset = spec.preset, let settings = try? Yams.compose(yaml: preset.settings) {
                node = Self.merge(Self.marked(settings, presetNode.mark), under: given)
            }
        }
        let keys = ["preset", "primary", "secondary", "rounding", "display", "percentages", "noise", "cell_key"]
        guard let pairs = mapping(node, "protection", allowed: keys) else { return spec }
        if let cellKey = pairs.first(where: { $0.key == "cell_key" }) {
            spec.cellKey = readCellKey(cellKey.value)
            // The perturbation protects every figure; suppression or rounding beside it, or
            // noise, would be a second method the audit does not combine.
            readAlone(
                pairs, node: node, presetNode: presetNode, refusing: ["preset", "primary", "secondary", "rounding", "noise"], into: &spec,
                refusal: { "protection: 'cell_key' perturbs every count by itself: leave '\($0)' out" },
                presetRefusal: "protection: 'cell_key' perturbs every count by itself: leave the preset out",
                smallRefusal: "display: 'small' is for withheld small counts; the cell key method withholds none: leave it out")
            return spec
        }
        if let noise = pairs.first(where: { $0.key == "noise" }) {
            spec.noise = readNoise(noise.value)
            // Suppressing or rounding true counts is not differentially private: a withheld
            // cell tells that its true count is small, whatever the noise.
            readAlone(
                pairs, node: node, presetNode: presetNode, refusing: ["preset", "primary", "secondary", "rounding"], into: &spec,
                refusal: {
                    "protection: '\($0)' works on true counts, which is not differentially private; a release with 'noise' protects every figure by its noise alone: leave '\($0)' out"
                },
                presetRefusal: "protection: a preset works on true counts, which is not differentially private: leave it out of a release with 'noise'",
                smallRefusal: "display: 'small' shows true small counts, which a release with 'noise' never knows it has: leave it out")
            return spec
        }
        var sawPrimary = false
        var roundingNode: Node?
        for p in pairs {
            switch p.key {
            case "primary":
                sawPrimary = true
                spec.primary = readPrimary(p.value)
            case "secondary":
                spec.secondary = readSecondary(p.value)
            case "rounding":
                roundingNode = p.value
                spec.rounding = readRounding(p.value)
            case "display":
                spec.display = readDisplay(p.value)
            case "percentages":
                readPercentages(p.value, into: &spec)
            default:
                break
            }
        }
        // An unknown preset is reported already; its rules are not missing as well.
        if !sawPrimary && presetNode == nil { problem(node, "protection needs a 'primary' section with the primary rules") }
        if spec.display.small != nil && spec.secondary.frequency != .band {
            problem(node, "display: 'small' shows small counts as such, which tells everyone they lie between 1 and the threshold; set secondary: {frequency_protection: band} so that nobody can narrow that range down")
        }
        if spec.secondary.frequency == .band && spec.display.small == nil {
            problem(node, "secondary: frequency_protection 'band' is for releases that show small counts as such; set display: {small: \"fewer than {threshold}\"}, or use 'threshold'")
        }
        if spec.display.small != nil && spec.primary.zeros == .withhold {
            problem(node, "display: 'small' with zeros withheld would let a withheld figure mean either 0 or at least the threshold; publish zeros, or leave 'small' out")
        }
        if let rounding = spec.rounding, rounding.margins == .recomputed, spec.primary.canWithhold {
            problem(roundingNode, "rounding: margins 'recomputed' makes each margin the sum of its rounded children, which would give away the rounded value of a withheld child; with primary rules, use margins 'rounded' or controlled rounding")
        }
        return spec
    }

    /// The rest of a protection section whose method stands alone (noise, the cell key
    /// method): the keys that may not go beside it refused (a preset's too), the display
    /// symbols and percentages read, a small-count display refused.
    mutating func readAlone(
        _ pairs: [(key: String, keyNode: Node, value: Node)], node: Node, presetNode: Node?, refusing: Set<String>, into spec: inout ProtectionSpec,
        refusal: (String) -> String, presetRefusal: String, smallRefusal: String
    ) {
        for p in pairs where refusing.contains(p.key) { problem(p.keyNode, refusal(p.key)) }
        if presetNode != nil && !pairs.contains(where: { $0.key == "preset" }) { problem(presetNode, presetRefusal) }
        for p in pairs where p.key == "display" { spec.display = readDisplay(p.value) }
        for p in pairs where p.key == "percentages" { readPercentages(p.value, into: &spec) }
        if spec.display.small != nil { problem(node, smallRefusal) }
    }

    mutating func readPercentages(_ node: Node, into spec: inout ProtectionSpec) {
        guard let parts = mapping(node, "protection: percentages", allowed: ["decimals", "whole_below"]) else { return }
        for part in parts {
            if part.key == "decimals" {
                spec.percentDecimals = integer(part.value, "percentages: decimals", range: 0...6) ?? spec.percentDecimals
            } else {
                spec.percentWholeBelow = integer(part.value, "percentages: whole_below", range: 1...1_000_000_000).map(Int64.init)
            }
        }
    }

    /// An exact positive rational: `1/2`, `0.25`, `3`.
    mutating func rational(_ node: Node, _ what: String) -> Rational? {
        guard let text = string(node, what) else { return nil }
        guard let value = Rational(text), value > .zero else {
            problem(node, "\(what) must be a positive number, exactly as a fraction or a decimal (1/2, 0.25, 3)")
            return nil
        }
        return value
    }

    /// `protection: cell_key`: where the record keys come from (a secret file, or a column of
    /// the extract) and the perturbation table (a file, or the built-in one).
    mutating func readCellKey(_ node: Node) -> CellKeySpec? {
        guard let pairs = mapping(node, "cell_key", allowed: ["secret", "record_key", "ptable"]) else { return nil }
        var keys: [CellKeySpec.RecordKeys] = []
        var result = CellKeySpec(recordKeys: .secret(""))
        for p in pairs {
            guard let text = string(p.value, "cell_key: \(p.key)") else { continue }
            if p.key == "record_key" {
                keys.append(.column(text))
                recordKeyToCheck = (text, p.value)
                continue
            }
            let path = text.hasPrefix("/") ? text : (directory as NSString).appendingPathComponent(text)
            if p.key == "secret" {
                keys.append(.secret(path))
                continue
            }
            do {
                result.table = try PerturbationTableReader.read(path: path)
                result.tableSource = text
                result.tableSHA256 = FileManager.default.contents(atPath: path).map { SHA256.hex(Array($0)) }
            } catch {
                problems += error.problems
            }
        }
        guard keys.count == 1 else {
            problem(node, keys.isEmpty
                ? "cell_key needs a 'secret': a file of at least 16 random bytes, readable by its owner only, from which each person's record key is computed (e.g. head -c 32 /dev/urandom > cell-key.secret; chmod 600 cell-key.secret); or 'record_key': the extract's column of record keys"
                : "cell_key takes a 'secret' or a 'record_key' column, not both")
            return nil
        }
        result.recordKeys = keys[0]
        return result
    }

    /// `protection: noise`: the mechanism, the release's spend, the dataset's budget, the
    /// ledger and the post-processing.
    mutating func readNoise(_ node: Node) -> NoiseSpec? {
        let allowed = ["mechanism", "epsilon", "rho", "budget", "requester", "ledger", "figures", "confidence", "clamp", "suppress_below", "strategy", "weights"]
        guard let pairs = mapping(node, "noise", allowed: allowed) else { return nil }
        var mechanism: String?
        var amounts: [(key: String, node: Node, value: Rational?)] = []
        var dataset: String?
        var total: Rational?
        var requester = "not named"
        var ledger = NoiseSpec.defaultLedger
        var figures = NoisePostProcessing.raw
        var confidence: Rational = 95
        var suppressBelow: Int64?
        var strategy = NoiseStrategy.finest
        var strategyNode: Node?
        var weights: [String: Rational] = [:]
        var figuresGiven = false
        var ok = true
        for p in pairs {
            switch p.key {
            case "mechanism":
                mechanism = string(p.value, "noise: mechanism")
                if let m = mechanism, !["laplace", "gaussian"].contains(m) {
                    problem(p.value, "noise: mechanism must be 'laplace' (pure ε-differential privacy) or 'gaussian' (ρ-zero-concentrated)")
                    ok = false
                }
            case "epsilon", "rho":
                amounts.append((p.key, p.keyNode, rational(p.value, "noise: \(p.key)")))
            case "budget":
                guard let parts = mapping(p.value, "noise: budget", allowed: ["dataset", "total"]) else {
                    ok = false
                    continue
                }
                for part in parts {
                    if part.key == "dataset" { dataset = string(part.value, "noise: budget: dataset") } else { total = rational(part.value, "noise: budget: total") }
                }
                if dataset == nil || total == nil {
                    problem(p.value, "noise: budget needs 'dataset' (the name the ledger counts spend under) and 'total' (its whole budget)")
                    ok = false
                }
            case "requester": requester = string(p.value, "noise: requester") ?? requester
            case "ledger": ledger = string(p.value, "noise: ledger") ?? ledger
            case "figures":
                figures = choice(p.value, "noise: figures", NoisePostProcessing.self) ?? figures
                figuresGiven = true
            case "weights":
                for weight in mapping(p.value, "noise: weights") ?? [] {
                    if let w = rational(weight.value, "noise: weights: \(weight.key)") {
                        weights[weight.key] = w
                        weightNodes[weight.key] = weight.keyNode
                    }
                }
            case "strategy":
                strategy = choice(p.value, "noise: strategy", NoiseStrategy.self) ?? strategy
                strategyNode = p.value
            case "suppress_below":
                suppressBelow = integer(p.value, "noise: suppress_below", range: 1...1_000_000).map(Int64.init)
            case "clamp":
                for column in mapping(p.value, "noise: clamp") ?? [] {
                    guard let ends = mapping(column.value, "noise: clamp: \(column.key)", allowed: ["from", "to"]) else { continue }
                    func end(_ key: String) -> (String, Node)? {
                        ends.first { $0.key == key }.flatMap { e in e.value.scalar.map { ($0.string, e.value) } }
                    }
                    clampsToCheck.append((column.key, column.keyNode, end("from"), end("to")))
                }
            default:
                if let c = rational(p.value, "noise: confidence") {
                    if c >= 100 || c < 50 {
                        problem(p.value, "noise: confidence is a percentage from 50 up to, not including, 100")
                    } else {
                        confidence = c
                    }
                }
            }
        }
        guard let mechanism else {
            if ok { problem(node, "noise needs a 'mechanism': 'laplace' (with epsilon) or 'gaussian' (with rho)") }
            return nil
        }
        let accounting: PrivacyAccounting = mechanism == "laplace" ? .pure : .zCDP
        let wanted = accounting == .pure ? "epsilon" : "rho"
        guard amounts.count == 1, amounts[0].key == wanted else {
            if ok && (mechanism == "laplace" || mechanism == "gaussian") {
                problem(node, "noise: the \(mechanism) mechanism spends '\(wanted)': give it, and only it (e.g. \(wanted): 1/2)")
            }
            return nil
        }
        guard ok, let amount = amounts[0].value, let dataset, let total else {
            if ok && dataset == nil { problem(node, "noise needs a 'budget': {dataset: NAME, total: \(wanted.uppercased())}") }
            return nil
        }
        if amount > total { problem(amounts[0].node, "noise: this release would spend \(wanted) = \(amount), more than the dataset's whole budget (\(total))") }
        var noise = NoiseSpec(
            accounting: accounting, amount: amount, dataset: dataset, total: total, requester: requester,
            ledger: ledger.hasPrefix("/") ? ledger : (directory as NSString).appendingPathComponent(ledger), postProcessing: figures, confidence: confidence)
        noise.suppressBelow = suppressBelow
        noise.strategy = strategy
        noise.weights = weights
        if strategy == .levels {
            // Reconciling is the least-squares fit to non-negative whole numbers.
            if figuresGiven && figures == .raw {
                problem(strategyNode, "noise: strategy 'levels' reconciles the noisy figures into non-negative whole numbers that add up: leave out 'figures: raw'")
            }
            noise.postProcessing = .nonNegative
        }
        return noise
    }

    /// A preset's settings, every node placed at the spec's `preset` value (for messages).
    static func marked(_ node: Node, _ mark: Mark?) -> Node {
        switch node {
        case .scalar(var scalar):
            scalar.mark = mark
            return .scalar(scalar)
        case .mapping(let mapping):
            var result = Node.Mapping(mapping.map { (marked($0.key, mark), marked($0.value, mark)) }, mapping.tag, mapping.style)
            result.mark = mark
            return .mapping(result)
        case .sequence(let sequence):
            var result = Node.Sequence(sequence.map { marked($0, mark) }, sequence.tag, sequence.style)
            result.mark = mark
            return .sequence(result)
        case .alias:
            return node
        }
    }

    /// `base` with `top` laid over it: mappings merge key by key, anything else in `top` replaces.
    static func merge(_ base: Node, under top: Node) -> Node {
        guard let b = base.mapping, let t = top.mapping else { return top }
        var pairs: [(Node, Node)] = []
        for (key, value) in b {
            if let own = t.first(where: { $0.key.scalar?.string == key.scalar?.string }) {
                pairs.append((own.key, merge(value, under: own.value)))
            } else {
                pairs.append((key, value))
            }
        }
        for (key, value) in t where !b.contains(where: { $0.key.scalar?.string == key.scalar?.string }) { pairs.append((key, value)) }
        var result = Node.Mapping(pairs, t.tag, t.style)
        result.mark = t.mark
        return .mapping(result)
    }

    mutating func readRounding(_ node: Node) -> RoundingPolicy? {
        guard let parts = mapping(node, "rounding", allowed: ["method", "base", "margins", "levels", "sums"]) else { return nil }
        var sums: ExactRatio?
        var method: RoundingMethod?
        var base: Int?
        var margins = RoundedMargins.rounded
        var marginsNode: Node?
        var levels: RoundingLevels?
        var levelsNode: Node?
        for part in parts {
            switch part.key {
            case "method": method = choice(part.value, "rounding: method", RoundingMethod.self)
            case "sums":
                sums = ratio(part.value, "rounding: sums (the base for sums, in the summed column's units)", max: nil)
                if sums != nil { sumsNode = part.value }
            case "base": base = integer(part.value, "rounding: base", range: 2...1_000_000)
            case "margins":
                marginsNode = part.value
                margins = choice(part.value, "rounding: margins", RoundedMargins.self) ?? margins
            default:
                levelsNode = part.value
                guard let items = mapping(part.value, "rounding: levels", allowed: ["dimension", "depth"]) else { continue }
                let dimension = items.first { $0.key == "dimension" }.flatMap { string($0.value, "rounding: levels: dimension") }
                let depth = items.first { $0.key == "depth" }.flatMap { integer($0.value, "rounding: levels: depth", range: 0...20) }
                if !items.contains(where: { $0.key == "dimension" }) {
                    problem(part.value, "rounding: levels needs 'dimension': the dimension (a geography) whose total and top levels are rounded")
                }
                if !items.contains(where: { $0.key == "depth" }) {
                    problem(part.value, "rounding: levels needs 'depth': 0 rounds the dimension's total only, 1 its top-level groups too, and so on")
                }
                if let dimension, let depth {
                    levels = RoundingLevels(dimension: dimension, depth: depth)
                    levelsToCheck.append((dimension, part.value))
                }
            }
        }
        if !parts.contains(where: { $0.key == "method" }) { problem(node, "rounding needs a 'method': conventional, random or controlled") }
        if !parts.contains(where: { $0.key == "base" }) { problem(node, "rounding needs a 'base' (5 or 10, say)") }
        if method == .controlled && margins == .recomputed {
            problem(marginsNode, "rounding: controlled rounding makes every margin the sum of its rounded children by itself; leave 'margins' out")
        }
        if let levelsNode, method == .controlled || margins == .recomputed {
            problem(levelsNode, "rounding: 'levels' rounds some cells and not others, so margins cannot add up; it needs conventional or random rounding with margins 'rounded'")
        }
        guard let method, let base else { return nil }
        return RoundingPolicy(method: method, base: Int64(base), margins: margins, levels: levels, sums: sums)
    }

    mutating func readDisplay(_ node: Node) -> DisplaySymbols {
        if node.scalar != nil {
            guard let name = string(node, "display") else { return DisplaySymbols() }
            if name != "gss" { problem(node, "display must be 'gss' (the Government Statistical Service symbols) or a mapping of symbols") }
            return .gss
        }
        var display = DisplaySymbols()
        guard let parts = mapping(node, "display", allowed: ["symbols", "withheld", "small", "not_applicable", "rounds_to_zero"]) else { return display }
        if let set = parts.first(where: { $0.key == "symbols" }) {
            if string(set.value, "display: symbols") == "gss" { display = .gss } else { problem(set.value, "display: symbols must be 'gss'") }
        }
        for part in parts {
            let what = "display: \(part.key)"
            switch part.key {
            case "withheld": display.withheld = string(part.value, what) ?? display.withheld
            case "small": display.small = string(part.value, what)
            case "not_applicable": display.notApplicable = string(part.value, what) ?? display.notApplicable
            case "rounds_to_zero": display.roundsToZero = string(part.value, what)
            default: break
            }
        }
        return display
    }

    mutating func comparator(_ parts: [(key: String, keyNode: Node, value: Node)], _ node: Node, _ what: String, allowed: [RuleComparator]) -> RuleComparator? {
        guard let c = parts.first(where: { $0.key == "comparator" }) else {
            problem(node, "\(what) needs an explicit 'comparator' (\(allowed.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")))")
            return nil
        }
        guard let text = string(c.value, "\(what): comparator") else { return nil }
        guard let value = RuleComparator(rawValue: text), allowed.contains(value) else {
            problem(c.value, "\(what): comparator must be \(allowed.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))")
            return nil
        }
        return value
    }

    mutating func readPrimary(_ node: Node) -> PrimaryPolicy {
        var policy = PrimaryPolicy()
        guard let pairs = mapping(node, "primary rules", allowed: ["frequency", "zeros", "dominance", "p_percent", "pq"]) else { return policy }
        for p in pairs {
            switch p.key {
            case "frequency":
                let what = "frequency rule"
                guard let parts = mapping(p.value, what, allowed: ["threshold", "comparator"]) else { continue }
                let threshold = parts.first { $0.key == "threshold" }.flatMap { integer($0.value, "\(what): threshold", range: 1...1_000_000) }
                if !parts.contains(where: { $0.key == "threshold" }) { problem(p.value, "\(what) needs a 'threshold'") }
                let cmp = comparator(parts, p.value, what, allowed: [.less, .lessOrEqual])
                if let threshold, let cmp { policy.frequency = FrequencyRule(threshold: Int64(threshold), comparator: cmp) }
            case "zeros":
                policy.zeros = choice(p.value, "zeros", ZeroPolicy.self) ?? policy.zeros
            case "dominance":
                let items = p.value.sequence.map(Array.init) ?? [p.value]
                for item in items {
                    let what = "dominance rule"
                    guard let parts = mapping(item, what, allowed: ["n", "k", "comparator"]) else { continue }
                    let n = parts.first { $0.key == "n" }.flatMap { integer($0.value, "\(what): n", range: 1...100) }
                    let k = parts.first { $0.key == "k" }.flatMap { ratio($0.value, "\(what): k (a percentage)", max: 100) }
                    if !parts.contains(where: { $0.key == "n" }) || !parts.contains(where: { $0.key == "k" }) {
                        problem(item, "\(what) needs 'n' (how many largest contributions) and 'k' (their share, in percent)")
                    }
                    let cmp = comparator(parts, item, what, allowed: [.greater, .greaterOrEqual])
                    if let n, let k, let cmp { policy.dominance.append(DominanceRule(n: n, k: k, comparator: cmp)) }
                }
            case "p_percent":
                let what = "p% rule"
                guard let parts = mapping(p.value, what, allowed: ["p", "comparator"]) else { continue }
                let value = parts.first { $0.key == "p" }.flatMap { ratio($0.value, "\(what): p", max: 100) }
                if !parts.contains(where: { $0.key == "p" }) { problem(p.value, "\(what) needs 'p' (in percent)") }
                let cmp = comparator(parts, p.value, what, allowed: [.less, .lessOrEqual])
                if let value, let cmp { policy.pPercent = PPercentRule(p: value, comparator: cmp) }
            default:
                let what = "(p,q) rule"
                guard let parts = mapping(p.value, what, allowed: ["p", "q", "comparator"]) else { continue }
                let pv = parts.first { $0.key == "p" }.flatMap { ratio($0.value, "\(what): p", max: 100) }
                let qv = parts.first { $0.key == "q" }.flatMap { ratio($0.value, "\(what): q", max: 100) }
                if !parts.contains(where: { $0.key == "p" }) || !parts.contains(where: { $0.key == "q" }) {
                    problem(p.value, "\(what) needs 'p' and 'q' (in percent)")
                }
                let cmp = comparator(parts, p.value, what, allowed: [.less, .lessOrEqual])
                if let pv, let qv, Int128(pv.numerator) * Int128(qv.denominator) >= Int128(qv.numerator) * Int128(pv.denominator) {
                    problem(p.value, "\(what): p must be smaller than q")
                } else if let pv, let qv, let cmp {
                    policy.pq = PQRule(p: pv, q: qv, comparator: cmp)
                }
            }
        }
        return policy
    }

    mutating func readSecondary(_ node: Node) -> SecondaryPolicy {
        var policy = SecondaryPolicy()
        guard let pairs = mapping(node, "secondary suppression", allowed: ["method", "frequency_protection", "singletons", "cost", "weights", "effort"]) else { return policy }
        for p in pairs {
            switch p.key {
            case "frequency_protection":
                if p.value.scalar != nil {
                    switch string(p.value, "frequency_protection") {
                    case "threshold": policy.frequency = .reachThreshold
                    case "band": policy.frequency = .band
                    case nil: break
                    default: problem(p.value, "frequency_protection must be 'threshold', 'band' or a mapping with 'upper' (and optionally 'lower')")
                    }
                    continue
                }
                guard let parts = mapping(p.value, "frequency_protection", allowed: ["upper", "lower"]) else { continue }
                let upper = parts.first { $0.key == "upper" }.flatMap { integer($0.value, "frequency_protection: upper", range: 1...1_000_000) }
                let lower = parts.first { $0.key == "lower" }.flatMap { integer($0.value, "frequency_protection: lower", range: 0...1_000_000) } ?? 0
                if let upper { policy.frequency = .fixed(upper: Int64(upper), lower: Int64(lower)) } else if !parts.contains(where: { $0.key == "upper" }) {
                    problem(p.value, "frequency_protection needs 'upper': how far above the true count the attacker's interval must reach")
                }
            case "method":
                policy.method = choice(p.value, "method", SuppressionMethod.self) ?? policy.method
            case "effort":
                policy.effort = integer(p.value, "effort", range: 0...1_000_000_000) ?? policy.effort
            case "weights":
                guard let dims = mapping(p.value, "weights") else { continue }
                for dim in dims {
                    guard let codes = mapping(dim.value, "weights: \(dim.key)") else { continue }
                    for code in codes {
                        guard let weight = integer(code.value, "the weight of '\(code.key)'", range: 1...1_000_000) else { continue }
                        policy.weights[dim.key, default: [:]][code.key] = weight
                        weightsToCheck.append((dim.key, dim.keyNode, code.key, code.keyNode))
                    }
                }
            case "singletons":
                switch string(p.value, "singletons") {
                case "protect": policy.singletons = true
                case "ignore": policy.singletons = false
                case nil: break
                default: problem(p.value, "singletons must be 'protect' (a lone contributor knows its own value) or 'ignore'")
                }
            default:
                policy.cost = choice(p.value, "cost", SuppressionCost.self) ?? policy.cost
            }
        }
        return policy
    }

    mutating func readOutputs(_ node: Node) -> OutputSpec {
        var outputs = OutputSpec(csv: false, json: false)
        guard let pairs = mapping(node, "outputs", allowed: ["formats"]) else { return OutputSpec() }
        for p in pairs {
            guard let items = list(p.value, "outputs: formats") else { continue }
            for item in items {
                switch string(item, "an output format") {
                case "csv": outputs.csv = true
                case "json": outputs.json = true
                case nil: break
                case let other?: problem(item, "unknown output format '\(other)' (expected csv or json)")
                }
            }
        }
        return outputs
    }

    // MARK: Cross-checks

    /// A sum's sensitivity needs bounds on each person's contribution: every summed column
    /// of a release with noise is clamped, between two numbers of the column's precision.
    mutating func checkNoise(_ spec: inout ReleaseSpec) {
        if let (name, node) = recordKeyToCheck {
            // A key per person: a decimal in [0, 1) or a whole number below 2^32.
            if let c = spec.column(named: name) {
                if !spec.columns[c].type.isNumeric || spec.columns[c].type.scale > 18 {
                    problem(node, "cell_key: record_key: column '\(name)' holds record keys: declare it 'decimal' (keys in [0, 1), as the ONS and the cellKey R package store them) or 'integer' (keys 0 to 4294967295)")
                }
            } else {
                problem(node, "cell_key: record_key: '\(name)' is not a declared column")
            }
        }
        if spec.protection.cellKey != nil {
            for table in spec.tables where table.sum != nil {
                problems.append(SpecProblem(table.location, "table '\(table.name)': the cell key method perturbs counts; sums need a table of their own kind, which is not supported yet"))
            }
        }
        guard spec.protection.noise != nil else { return }
        for entry in clampsToCheck {
            guard let c = spec.column(named: entry.column), spec.columns[c].type.isNumeric else {
                problem(entry.node, "noise: clamp: '\(entry.column)' is not a declared number column")
                continue
            }
            let places = spec.columns[c].type.scale
            func value(_ end: (String, Node)?, _ name: String) -> Int64? {
                guard let (text, node) = end else {
                    problem(entry.node, "noise: clamp: '\(entry.column)' needs '\(name)' (each person's contribution is clamped between 'from' and 'to')")
                    return nil
                }
                guard let v = ScaledDecimal.parse(Array(text.utf8), places: places) else {
                    problem(node, "noise: clamp: '\(entry.column)': '\(name)' must be a number with at most \(places) decimal places, like the column")
                    return nil
                }
                return v
            }
            guard let from = value(entry.from, "from"), let to = value(entry.to, "to") else { continue }
            guard from < to else {
                problem(entry.node, "noise: clamp: '\(entry.column)': 'from' must be below 'to'")
                continue
            }
            spec.protection.noise?.clamps[c] = from...to
            if from < 0 && spec.protection.noise?.strategy == .levels {
                problem(entry.node, "noise: clamp: '\(entry.column)': strategy 'levels' reconciles into non-negative figures, which a sum of negative contributions is not: clamp from 0 or more, or use strategy 'finest'")
            }
        }
        let names = Set(spec.tables.map(\.name) + spec.indicators.map(\.name))
        for (name, node) in weightNodes.sorted(by: { $0.key < $1.key }) where !names.contains(name) {
            let hint = Self.closest(name, names.sorted()).map { "; did you mean '\($0)'?" } ?? ""
            problem(node, "noise: weights: there is no table or indicator '\(name)'\(hint)")
        }
        for table in spec.tables {
            guard let column = table.sum, spec.protection.noise?.clamps[column] == nil else { continue }
            let name = spec.columns[column].name
            problems.append(SpecProblem(
                table.location,
                "table '\(table.name)' sums '\(name)': with noise, each person's contribution must be clamped to declared bounds, which set the noise; add under noise: clamp: {\(name): {from: 0, to: ...}}"))
        }
    }

    /// The base for sums must be a whole number of every summed column's smallest units.
    mutating func checkSums(_ spec: ReleaseSpec) {
        guard let rounding = spec.protection.rounding, rounding.sums != nil, let sumsNode else { return }
        for column in Set(spec.tables.compactMap(\.sum)).sorted() {
            let places = spec.columns[column].type.scale
            if rounding.forSums(places: places) == nil {
                problem(sumsNode, "rounding: sums must be a whole number of at least two of the smallest units of column '\(spec.columns[column].name)' (\(ScaledDecimal.format(1, places: places)))")
            }
        }
    }

    /// Rounding levels must name a dimension.
    mutating func checkLevels(_ spec: ReleaseSpec) {
        for (name, node) in levelsToCheck where !brokenDimensions.contains(name) && spec.dimension(named: name) == nil {
            let hint = Self.closest(name, spec.dimensions.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            problem(node, "rounding: levels: there is no dimension '\(name)'\(hint)")
        }
    }

    /// Weights must name a dimension and one of its categories.
    mutating func checkWeights(_ spec: ReleaseSpec) {
        for w in weightsToCheck where !brokenDimensions.contains(w.dimension) {
            guard let d = spec.dimension(named: w.dimension) else {
                problem(w.dimensionNode, "weights: there is no dimension '\(w.dimension)'")
                continue
            }
            if d.dimension.node(w.code) == nil { problem(w.codeNode, "weights: '\(w.code)' is not a category of dimension '\(w.dimension)'") }
        }
    }

    /// Compiles every filter against the columns, checking names, types and category codes.
    mutating func checkFilters(_ spec: inout ReleaseSpec) {
        let checker = FilterChecker(spec: spec, brokenColumns: brokenColumns)
        // Cohorts first, each alone, so that references to a broken cohort are not reported twice.
        var valid: [String: FilterExpression] = [:]
        var broken = Set<String>()
        let cohortByName = Dictionary(spec.cohorts.map { ($0.name, $0.expression) }, uniquingKeysWith: { a, _ in a })
        for cohort in spec.cohorts {
            let errors = checker.check(cohort.expression, cohorts: cohortByName, broken: [])
            if errors.isEmpty { valid[cohort.name] = cohort.expression } else { broken.insert(cohort.name) }
        }
        for cohort in spec.cohorts where broken.contains(cohort.name) {
            for e in checker.check(cohort.expression, cohorts: cohortByName, broken: []) {
                problems.append(SpecProblem(cohort.textLocation.at(e.position), "cohort '\(cohort.name)': \(e.message)"))
            }
        }
        for (what, expression, place) in filtersToCheck {
            for e in checker.check(expression, cohorts: valid, broken: broken) {
                problems.append(SpecProblem(place.at(e.position), "\(what): \(e.message)"))
            }
        }
        spec.cohorts = spec.cohorts.filter { !broken.contains($0.name) }
        // Table sizes.
        for table in spec.tables {
            let dims = table.by.compactMap { spec.dimension(named: $0)?.dimension }
            if TableShape(dimensions: dims) == nil {
                problems.append(SpecProblem(table.location, "table '\(table.name)' would have more than \(TableShape.maximumCellCount) cells"))
            }
        }
    }
}

/// Compiles filters at spec time, with category codes numbered as the reader will.
struct FilterChecker {
    let spec: ReleaseSpec
    /// Columns with problems of their own: filters naming them are not judged.
    let brokenColumns: Set<String>
    /// Per column: the codes the column can hold (declared values, or the categories of
    /// dimensions over it); empty when unknown.
    let known: [[String]]
    /// Per column: group and total codes of dimensions over it (never in the data).
    let groups: [Set<String>]

    init(spec: ReleaseSpec, brokenColumns: Set<String> = []) {
        self.spec = spec
        self.brokenColumns = brokenColumns
        var known = spec.declaredValues
        var groups = [Set<String>](repeating: [], count: spec.columns.count)
        for d in spec.dimensions where !d.isBanded {
            let dim = d.dimension
            if known[d.column].isEmpty { known[d.column] = Array(dim.codes[0..<dim.leafCount]) }
            groups[d.column].formUnion(dim.codes[dim.leafCount...])
        }
        self.known = known
        self.groups = groups
    }

    func check(_ expression: FilterExpression, cohorts: [String: FilterExpression], broken: Set<String>) -> [FilterError] {
        if expression.names.contains(where: { brokenColumns.contains($0.name) }) { return [] }
        var columns: [String: (slot: Int, type: ColumnType)] = [:]
        for (i, c) in spec.columns.enumerated() { columns[c.name] = (i, c.type) }
        var literalErrors: [FilterError] = []
        let context = FilterProgram.Context(columns: columns, cohorts: cohorts, brokenCohorts: broken) { slot, code in
            0
        }
        var compileErrors: [FilterError] = []
        do {
            _ = try FilterProgram.compile(expression, context: context)
        } catch {
            compileErrors = error.errors
        }
        // Category literals the column can never hold match nothing: almost always a typo.
        func walk(_ e: FilterExpression) {
            switch e {
            case .and(let a, let b), .or(let a, let b):
                walk(a)
                walk(b)
            case .not(let a): walk(a)
            case .compare(let name, _, let literal, let position): checkLiteral(name, [literal], position)
            case .member(let name, let literals, _, let position): checkLiteral(name, literals, position)
            case .reference, .missing: break  // cohorts are checked on their own
            }
        }
        func checkLiteral(_ name: String, _ literals: [FilterLiteral], _ position: Int) {
            guard let column = columns[name], column.type == .category else { return }
            for literal in literals {
                if groups[column.slot].contains(literal.code) {
                    literalErrors.append(FilterError(
                        position: position,
                        message: "'\(literal.code)' is a group or total of a dimension over '\(name)': rows hold its categories, so list them with 'in (...)'"))
                } else if !known[column.slot].isEmpty && !known[column.slot].contains(literal.code) {
                    literalErrors.append(FilterError(
                        position: position, message: "'\(literal.code)' is not one of the values of column '\(name)'"))
                }
            }
        }
        walk(expression)
        return (compileErrors + literalErrors).sorted { $0.position < $1.position }
    }
}

/// A message for an error from a reader, without any record's values.
func describe(_ error: any Error) -> String {
    switch error {
    case let e as CSVError:
        switch e {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .readFailed(let path, let reason): return "cannot read \(path): \(reason)"
        case .empty(let path): return "\(path) is empty: expected a header row"
        case .unterminatedQuote(let path, let line, let column):
            return "\(path):\(line):\(column): a quote opens this header field and nothing closes it: expected a closing quote before the end of the line"
        case .recordTooLong(let path, let line): return "\(path):\(line): a record longer than \(CSVReader.maximumRecordLength) bytes: expected a line end before it"
        }
    case let e as SQLiteError:
        switch e {
        case .cannotOpen(let path, let reason): return "cannot open the SQLite database \(path): \(reason)"
        case .noSuchTable(let path, let table, let available):
            return "\(path) has no table or view '\(table)' (it has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .ambiguousTable(let path, let available):
            return "\(path) holds \(available.count) tables or views (\(available.joined(separator: ", "))): name one as \(path)#TABLE"
        case .queryFailed(let path, let reason): return "cannot read \(path): \(reason)"
        }
    default:
        return "\(error)"
    }
}
