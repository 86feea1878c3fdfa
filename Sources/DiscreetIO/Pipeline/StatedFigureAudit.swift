import DiscreetCore
import Foundation

/// The audit of everything a release's files state besides its figures. Every file of a
/// release is published, so every number in it is something an attacker knows: the
/// published figures and their bounds enter the attacker's linear system (see
/// ``PublishedAudit``); every other number must follow from them and from the settings,
/// and this check recomputes each one. A number it cannot account for (the people read,
/// the rows a partner sent, the share of a true total withheld: figures computed from the
/// data) is a finding that names its file and member. The tables' CSV files and the
/// indicators' must say what release.json says.
public enum StatedFigureAudit {
    /// Findings for the release in `directory`, whose release.json is `document`.
    public static func run(directory: String, document: ReleaseDocument, policy: ReleaseDocument.Policy?) -> [String] {
        var findings: [String] = []
        findings += figures(document, policy: policy)
        findings += files(directory, document)
        if let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent("manifest.json")),
            let manifest = try? JSONDecoder().decode(JSONValue.self, from: data)
        {
            findings += Self.manifest(manifest, directory: directory, document: document)
        }
        return findings
    }

    // MARK: - release.json

    /// What each cell shows agrees with its figure, and each percentage is the one its
    /// published numerator and denominator give.
    static func figures(_ document: ReleaseDocument, policy: ReleaseDocument.Policy?) -> [String] {
        var findings: [String] = []
        let symbols = Set([document.display?.withheld, document.display?.small, document.display?.roundsToZero, document.display?.notApplicable].compactMap { $0 })
        func where_(_ what: String, _ codes: [String: String]) -> String {
            "release.json: \(what), cell (\(codes.keys.sorted().map { codes[$0]! }.joined(separator: ", ")))"
        }
        func shows(_ value: Decimal?, _ display: String?, places: Int) -> Bool {
            guard let display else { return true }
            if symbols.contains(display) { return true }
            guard let value else { return false }
            return ReleaseFiles.text(value, places: places) == display
        }
        for table in document.tables {
            for cell in table.cells where !shows(cell.value, cell.display, places: table.decimals ?? 0) {
                findings.append("\(where_("table '\(table.name)'", cell.codes)): its display shows a figure that is not its published value")
            }
        }
        let wholeBelow = policy?.percentages?.wholeNumbersBelowDenominator
        // Noisy non-negative figures agree between cohorts (``CohortAgreement``).
        let agreeing = document.cellKey == nil && document.noise?.figures == NoisePostProcessing.nonNegative.rawValue
        for indicator in document.indicators {
            let decimals = indicator.decimals ?? policy?.percentages?.decimals ?? 1
            guard (0...6).contains(decimals) else {
                findings.append("release.json: indicator '\(indicator.name)': its percentages have \(decimals) decimal places, not 0 to 6")
                continue
            }
            for cell in indicator.cells {
                for (part, figure) in [("numerator", cell.numerator), ("denominator", cell.denominator)] where !shows(figure.value, figure.display, places: 0) {
                    findings.append("\(where_("indicator '\(indicator.name)'", cell.codes)): its \(part)'s display shows a figure that is not its published value")
                }
                if agreeing, let top = cell.numerator.value, let bottom = cell.denominator.value, top > bottom {
                    findings.append("\(where_("indicator '\(indicator.name)'", cell.codes)): the numerator exceeds its denominator, where the release's non-negative figures agree between cohorts")
                }
                guard let percent = cell.percent else {
                    if let shown = cell.percentDisplay, !symbols.contains(shown) {
                        findings.append("\(where_("indicator '\(indicator.name)'", cell.codes)): a percentage is shown that the release does not publish")
                    }
                    continue
                }
                var n = cell.numerator.value?.units(places: 0)
                let d = cell.denominator.value?.units(places: 0)
                // Noisy or perturbed figures' percentages are taken with the numerator within 0
                // and the denominator (the two were perturbed apart).
                if document.noise != nil || document.cellKey != nil, let top = n, let bottom = d, bottom > 0 { n = min(max(top, 0), bottom) }
                let places = wholeBelow.map { (d ?? 0) < $0 ? 0 : decimals } ?? decimals
                // (A negative figure is a finding of its own elsewhere; no percentage follows.)
                let expected = (n ?? 0) < 0 || (d ?? 0) < 0 ? nil : try? Percentage.of(numerator: n, denominator: d, decimals: places)
                let matches: Bool
                if case .value(let v, let p)? = expected { matches = Decimal(units: v, places: p) == percent && (cell.percentDisplay ?? expected!.text) == expected!.text } else { matches = false }
                if !matches {
                    findings.append("\(where_("indicator '\(indicator.name)'", cell.codes)): the percentage is not the one its published numerator and denominator give")
                }
            }
        }
        return findings
    }

    // MARK: - The CSV files

    /// Each table's CSV file and indicators.csv, where the release has them, say exactly
    /// what release.json says.
    static func files(_ directory: String, _ document: ReleaseDocument) -> [String] {
        var findings: [String] = []
        func check(_ path: String, _ expected: [UInt8]) {
            guard let bytes = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(path)) else { return }
            if Array(bytes) != expected { findings.append("\(path): differs from what release.json publishes") }
        }
        for table in document.tables { check("tables/\(table.name).csv", ReleaseFiles.tableCSV(table)) }
        if !document.indicators.isEmpty { check("indicators.csv", ReleaseFiles.indicatorsCSV(document)) }
        return findings
    }

    // MARK: - manifest.json

    /// One step into a JSON document: a member's name, or an element's position.
    enum Step: CustomStringConvertible {
        case member(String)
        case element(Int, name: String?)

        var description: String {
            switch self {
            case .member(let key): return key
            case .element(let i, let name): return name.map { "[\($0)]" } ?? "[\(i)]"
            }
        }
    }

    /// Any JSON value, numbers exact.
    indirect enum JSONValue: Decodable {
        case null, bool(Bool), number(Decimal), string(String), array([JSONValue]), object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let n = try? c.decode(Decimal.self) {
                self = .number(n)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let a = try? c.decode([JSONValue].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: JSONValue].self))
            }
        }

        subscript(_ key: String) -> JSONValue? {
            if case .object(let members) = self { return members[key] }
            return nil
        }

        var text: String? {
            if case .string(let s) = self { return s }
            return nil
        }
    }

    static func manifest(_ root: JSONValue, directory: String, document: ReleaseDocument) -> [String] {
        // The statuses of every figure the manifest may count: a declared table's cells, an
        // indicator's numerators, denominators and percentages, under every name a manifest
        // has used for them.
        var statuses: [String: [String]] = [:]
        for table in document.tables { statuses[table.name] = table.cells.map(\.status) }
        var percentages: [String: [String]] = [:]
        for indicator in document.indicators {
            statuses[indicator.name + "/numerator"] = indicator.cells.map(\.numerator.status)
            statuses[indicator.name + "/denominator"] = indicator.cells.map(\.denominator.status)
            percentages[indicator.name] = indicator.cells.map(\.percentStatus)
        }
        // Schema 1 named the tables behind indicators, and each indicator its tables.
        if case .array(let indicators)? = root["indicators"] {
            for i in indicators {
                guard let name = i["name"]?.text else { continue }
                for part in ["numerator", "denominator"] {
                    if let table = i["\(part)_table"]?.text, statuses[table] == nil { statuses[table] = statuses[name + "/" + part] }
                }
            }
        }
        let relations = (document.cohorts ?? []).reduce(0) { $0 + ($1.within?.count ?? 0) } + (document.disjoint?.count ?? 0)

        // Problems by member (elements of a list together), in the order first met.
        var problems: [(member: String, problem: String, count: Int)] = []
        func walk(_ value: JSONValue, _ path: [Step]) {
            switch value {
            case .object(let members):
                for key in members.keys.sorted() { walk(members[key]!, path + [.member(key)]) }
            case .array(let elements):
                for (i, element) in elements.enumerated() { walk(element, path + [.element(i, name: (element["name"] ?? element["path"])?.text)]) }
            case .number(let number):
                if let problem = account(for: number, at: path) {
                    let member = path.map { step -> String in
                        if case .member(let key) = step { return key }
                        return "[]"
                    }.joined(separator: ".").replacingOccurrences(of: ".[]", with: "[]")
                    if let k = problems.firstIndex(where: { $0.member == member && $0.problem == problem }) {
                        problems[k].count += 1
                    } else {
                        problems.append((member, problem, 1))
                    }
                }
            case .null, .bool, .string: break
            }
        }

        /// Why a number may not stand, or nil where it follows from the release.
        func account(for number: Decimal, at path: [Step]) -> String? {
            let whole = number.units(places: 0).map(Int.init)
            let keys = path.map { step -> String in
                if case .member(let key) = step { return key }
                return "*"
            }
            let leaked = "a figure computed from the data, not from the published figures: with them it can give away withheld or rounded figures"
            func name(_ k: Int) -> String? {
                if case .element(_, let name) = path[k] { return name }
                return nil
            }
            func counts(_ list: [String]?, _ what: [String]) -> String? {
                guard let list else { return "a count of figures the release does not publish" }
                let expected: Decimal
                switch what {
                case ["cells"]: expected = Decimal(list.count)
                case ["published"]: expected = Decimal(list.filter { !ReleaseManifest.withheldStatuses.contains($0) }.count)
                case ["rounded"]: expected = Decimal(list.filter { $0 == "rounded" }.count)
                case ["withheld", "primary"]: expected = Decimal(list.filter { $0 == "primary" }.count)
                case ["withheld", "secondary"]: expected = Decimal(list.filter { $0 == "secondary" }.count)
                case ["withheld", "below_threshold"]: expected = Decimal(list.filter { $0 == "below_threshold" }.count)
                case ["withheld", "secondary_for_related_cohorts"], ["secondary_for_related_cohorts"]:
                    // Which secondary cells protect related cohorts the statuses do not
                    // show; a count of cells, at most the secondary ones.
                    let secondary = list.filter { $0 == "secondary" }.count
                    return whole.map { $0 >= 0 && $0 <= secondary } == true ? nil : "more cells than the release withholds as secondary"
                case ["information_loss", "share_of_cells_withheld"]:
                    let withheld = list.filter { ReleaseManifest.withheldStatuses.contains($0) }.count
                    let share = list.isEmpty ? 0 : (10_000 * withheld + list.count / 2) / list.count
                    return number.units(places: 4) == Int64(share) ? nil : "not the share of the table's cells its statuses show withheld"
                default: return leaked
                }
                return number == expected ? nil : "not what the release's statuses count"
            }
            switch keys.first {
            case "schema_version": return nil
            case "policy":
                if keys == ["policy", "related_cohorts", "relations"] { return whole == relations ? nil : "not the number of relations release.json states" }
                if keys == ["policy", "related_cohorts", "families"] { return whole == (document.families?.count ?? 0) ? nil : "not the number of families release.json states" }
                // Settings, from the spec.
                return nil
            case "files":
                guard keys == ["files", "*", "bytes"], let file = name(1) else { return leaked }
                let size = (try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(file)))?[.size] as? NSNumber
                return size.map(\.intValue) == whole ? nil : "not the size of the file"
            case "tables":
                guard keys.count >= 3 else { return leaked }
                return counts(name(1).flatMap { statuses[$0] }, Array(keys.dropFirst(2)))
            case "indicators":
                guard keys.count >= 3, let indicator = name(1) else { return leaked }
                let rest = Array(keys.dropFirst(2))
                if rest == ["cells"] { return counts(percentages[indicator], rest) }
                if rest.first == "percentages", rest.count == 2, let list = percentages[indicator] {
                    return whole == list.filter({ $0 == rest[1] }).count ? nil : "not what the release's percentages count"
                }
                for part in ["numerator", "denominator"] {
                    if rest.first == part { return counts(statuses[indicator + "/" + part], Array(rest.dropFirst())) }
                    if rest == ["\(part)_secondary_for_related_cohorts"] { return counts(statuses[indicator + "/" + part], ["secondary_for_related_cohorts"]) }
                }
                return leaked
            default:
                return leaked
            }
        }
        walk(root, [])
        return problems.map { "manifest.json: '\($0.member)'" + ($0.count > 1 ? " (\($0.count) of them)" : "") + ": \($0.problem)" }
    }
}
