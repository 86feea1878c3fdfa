import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// Every file of a release is published, so every number in it must follow from the
/// published figures and the settings. This test reads every file of the example's release
/// under the default spec and every preset, as any reader would (CSV split by commas, JSON
/// by its own small parser), and accounts for each number: a figure must be the one the
/// table's CSV publishes; a stated range must be the same for every cell showing the same
/// figure in one table (a range that depended on the true value would differ); a percentage must be the
/// one its published numerator and denominator give; a count of cells must be what the
/// statuses count; anything else must be a setting of the spec. What it cannot account for
/// is reported by file and member. Written apart from the production audit
/// (``StatedFigureAudit``); the negative control is the release version 0.3.0 made under
/// the NHS preset, whose manifest states the people read and the share of true totals withheld.
@Suite struct ReleaseStatesOnlyWhatIsPublishedTests {
    /// Any JSON value, numbers as written.
    indirect enum JSON: Decodable {
        case null, bool(Bool), number(Decimal), string(String), array([JSON]), object([String: JSON])

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
            } else if let a = try? c.decode([JSON].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: JSON].self))
            }
        }

        subscript(_ key: String) -> JSON? {
            if case .object(let m) = self { return m[key] }
            return nil
        }

        var text: String? {
            if case .string(let s) = self { return s }
            return nil
        }

        var number: Decimal? {
            if case .number(let n) = self { return n }
            return nil
        }

        /// Every number with its path; array elements as `[]`, and the `name` (or `path`) of
        /// the object that holds them.
        func numbers(_ path: [String] = [], names: [String] = []) -> [(path: String, names: [String], number: Decimal)] {
            switch self {
            case .object(let m):
                return m.keys.sorted().flatMap { m[$0]!.numbers(path + [$0], names: names) }
            case .array(let items):
                return items.flatMap { item in
                    item.numbers(path + ["[]"], names: names + [(item["name"] ?? item["path"])?.text ?? ""])
                }
            case .number(let n):
                return [(path.joined(separator: "."), names, n)]
            default:
                return []
            }
        }
    }

    /// A CSV file as rows of fields.
    static func csv(_ path: String) throws -> [[String]] { try PresetReleaseTests.Written.rows(path) }

    /// A published figure of a CSV row, keyed by its table and categories.
    struct Figure: Equatable {
        var value: String
        var display: String
        var status: String
        var contributors: String?
    }

    /// The numbers in the spec's settings (and counts the release lists itself).
    static func settings(_ plan: ReleasePlan, _ layout: CohortLayout) -> Set<Decimal> {
        let p = plan.spec.protection
        var numbers: [Decimal] = [Decimal(p.percentDecimals)]
        if let f = p.primary.frequency { numbers.append(Decimal(f.threshold)) }
        for d in p.primary.dominance { numbers += [Decimal(d.n), Decimal(string: d.k.description)!] }
        if let r = p.primary.pPercent { numbers.append(Decimal(string: r.p.description)!) }
        if let r = p.primary.pq { numbers += [Decimal(string: r.p.description)!, Decimal(string: r.q.description)!] }
        if case .fixed(let upper, let lower) = p.secondary.frequency { numbers += [Decimal(upper), Decimal(lower)] }
        for (_, codes) in p.secondary.weights { numbers += codes.values.map { Decimal($0) } }
        numbers.append(Decimal(p.secondary.effort))
        if let r = p.rounding {
            numbers.append(Decimal(r.base))
            if let l = r.levels { numbers.append(Decimal(l.depth)) }
            if let s = r.sums { numbers.append(Decimal(string: s.description)!) }
        }
        if let w = p.percentWholeBelow { numbers.append(Decimal(w)) }
        numbers += plan.cohorts.map { Decimal($0.measure.places) }
        numbers += [Decimal(layout.relations.within.count + layout.relations.disjoint.count), Decimal(layout.families.count)]
        return Set(numbers)
    }

    /// Every number in the release in `directory` that the published figures and the
    /// settings do not account for, as "file: member (names): problem".
    static func unaccounted(_ directory: String, plan: ReleasePlan, settings: Set<Decimal>) throws -> [String] {
        var problems: [String] = []
        let symbols = plan.spec.protection.display
        let symbolTexts = Set([symbols.withheld, symbols.notApplicable, symbols.roundsToZero].compactMap { $0 }
            + (plan.spec.protection.primary.frequency.flatMap { symbols.small(upTo: FrequencyProtection.largestSmall($0)) }.map { [$0] } ?? []))
        let withheld: Set<String> = ["primary", "secondary"]

        // The tables' CSV files: what a dashboard shows.
        var figures: [String: [[String]: Figure]] = [:]
        let tableFiles = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tables")) ?? []
        for file in tableFiles.sorted() where file.hasSuffix(".csv") {
            let rows = try csv(directory + "/tables/" + file)
            let header = rows[0]
            let v = header.firstIndex(of: "value")!
            let name = String(file.dropLast(4))
            var table: [[String]: Figure] = [:]
            for row in rows.dropFirst() {
                let figure = Figure(value: row[v], display: row[v + 1], status: row[v + 2], contributors: header.count > v + 3 ? row[v + 3] : nil)
                table[Array(row[..<v])] = figure
                if withheld.contains(figure.status) != figure.value.isEmpty { problems.append("tables/\(file): a figure whose status does not say so") }
                if figure.display != figure.value && !symbolTexts.contains(figure.display) { problems.append("tables/\(file): a display that is not its figure") }
                if let c = figure.contributors, c.isEmpty != figure.value.isEmpty { problems.append("tables/\(file): contributors of a withheld cell") }
            }
            figures[name] = table
        }
        // indicators.csv: numerators, denominators, and percentages from them.
        var indicatorRows: [String: [[String]: (n: Figure, d: Figure, percent: String, status: String)]] = [:]
        let decimals = plan.spec.protection.percentDecimals
        if FileManager.default.fileExists(atPath: directory + "/indicators.csv") {
            let rows = try csv(directory + "/indicators.csv")
            let header = rows[0]
            let n = header.firstIndex(of: "numerator")!
            for row in rows.dropFirst() {
                let nf = Figure(value: row[n], display: row[n + 1], status: row[n + 2])
                let df = Figure(value: row[n + 3], display: row[n + 4], status: row[n + 5])
                indicatorRows[row[0], default: [:]][Array(row[2..<n])] = (nf, df, row[n + 6], row[n + 8])
                for f in [nf, df] where withheld.contains(f.status) != f.value.isEmpty { problems.append("indicators.csv: a figure whose status does not say so") }
                guard !row[n + 6].isEmpty else { continue }
                guard let top = Int64(nf.value), let bottom = Int64(df.value), bottom > 0 else {
                    problems.append("indicators.csv: a percentage of figures not published")
                    continue
                }
                let places = plan.spec.protection.percentWholeBelow.map { bottom < $0 ? 0 : decimals } ?? decimals
                // 100 · n / d, rounded half up, by hand.
                let scale = Int64(pow(10.0, Double(places)))
                let units = (200 * scale * top + bottom) / (2 * bottom)
                let expected = places == 0 ? String(units) : "\(units / scale).\(String(units % scale + scale).dropFirst())"
                if row[n + 6] != expected { problems.append("indicators.csv: percentage \(row[n + 6]) is not its figures' \(expected)") }
            }
        }

        // release.json.
        let releaseJSON = try JSONDecoder().decode(JSON.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/release.json")))
        // A stated range must be the same for every cell showing the same figure.
        var ranges: [String: String] = [:]
        func range(_ key: String, _ bounds: JSON?) {
            guard case .array(let pair)? = bounds else { return }
            let text = pair.map { $0.number.map { "\($0)" } ?? "null" }.joined(separator: ",")
            if let old = ranges[key], old != text {
                problems.append("release.json: two cells showing \(key) state different ranges")
            }
            ranges[key] = text
        }
        func cellKey(_ cell: JSON, dimensions: [String]) -> [String] { dimensions.map { cell[$0]?.text ?? "" } }
        for number in releaseJSON.numbers() {
            switch number.path {
            case "schema_version":
                if number.number != 2 { problems.append("release.json: schema_version") }
            case let p where p.hasPrefix("policy.") || p.hasPrefix("rounding.") || ["cohorts.[].decimals", "tables.[].decimals", "indicators.[].decimals"].contains(p):
                if !settings.contains(number.number) { problems.append("release.json: \(p) (\(number.names.joined(separator: ", "))) is no setting of the spec") }
            case "tables.[].cells.[].value", "tables.[].cells.[].contributors", "tables.[].cells.[].bounds.[]",
                "indicators.[].cells.[].numerator", "indicators.[].cells.[].denominator", "indicators.[].cells.[].percent",
                "indicators.[].cells.[].numerator_bounds.[]", "indicators.[].cells.[].denominator_bounds.[]":
                break  // Checked cell by cell below.
            default:
                problems.append("release.json: \(number.path) (\(number.names.joined(separator: ", "))) is neither a figure nor a setting")
            }
        }
        if case .array(let tables)? = releaseJSON["tables"] {
            for table in tables {
                let name = table["name"]!.text!
                guard case .array(let dims)? = table["dimensions"], case .array(let cells)? = table["cells"] else { continue }
                let dimensions = dims.compactMap(\.text)
                for cell in cells {
                    guard let figure = figures[name]?[cellKey(cell, dimensions: dimensions)] else {
                        problems.append("release.json: table \(name) has a cell its CSV file does not")
                        continue
                    }
                    let value = cell["value"]?.number.map { "\($0)" } ?? ""
                    if value != (figure.value.isEmpty ? "" : "\(Decimal(string: figure.value)!)") { problems.append("release.json: table \(name): a value its CSV file does not show") }
                    if let c = cell["contributors"]?.number, "\(c)" != figure.contributors { problems.append("release.json: table \(name): contributors its CSV file does not show") }
                    range("\(name)|\(figure.value)|\(figure.display)|\(figure.status)", cell["bounds"])
                }
            }
        }
        if case .array(let indicators)? = releaseJSON["indicators"] {
            for indicator in indicators {
                let name = indicator["name"]!.text!
                guard case .array(let dims)? = indicator["dimensions"], case .array(let cells)? = indicator["cells"] else { continue }
                // The CSV names every indicator dimension (totals for those it is not broken down by).
                let allDims = Array((try csv(directory + "/indicators.csv"))[0][2...]).prefix { $0 != "numerator" }
                for cell in cells {
                    let key = allDims.map { d in dims.contains { $0.text == d } ? cell[d]?.text ?? "" : "" }
                    guard let row = indicatorRows[name]?.first(where: { k, _ in zip(k, key).allSatisfy { $1.isEmpty || $0 == $1 } })?.value else {
                        problems.append("release.json: indicator \(name) has a cell indicators.csv does not")
                        continue
                    }
                    for (part, figure) in [("numerator", row.n), ("denominator", row.d)] {
                        let value = cell[part]?.number.map { "\($0)" } ?? ""
                        if value != figure.value { problems.append("release.json: indicator \(name): a \(part) indicators.csv does not show") }
                        // (Per cohort: where small counts are shown as such, a withheld
                        // count is known not to be small.)
                        range("\(name) \(part)|\(figure.value)|\(figure.display)|\(figure.status)", cell["\(part)_bounds"])
                    }
                    let percent = cell["percent"]?.number.map { "\($0)" } ?? ""
                    if percent != (row.percent.isEmpty ? "" : "\(Decimal(string: row.percent)!)") { problems.append("release.json: indicator \(name): a percentage indicators.csv does not show") }
                }
            }
        }

        // manifest.json: settings, file sizes, and counts of statuses.
        let manifest = try JSONDecoder().decode(JSON.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
        func statuses(table: String) -> [String]? { figures[table].map { $0.values.map(\.status) } }
        func statuses(indicator: String, part: String) -> [String]? {
            indicatorRows[indicator].map { $0.values.map { part == "numerator" ? $0.n.status : part == "denominator" ? $0.d.status : $0.status } }
        }
        func count(_ list: [String]?, _ what: String) -> Decimal? {
            guard let list else { return nil }
            switch what {
            case "cells": return Decimal(list.count)
            case "published": return Decimal(list.filter { !withheld.contains($0) }.count)
            case "rounded": return Decimal(list.filter { $0 == "rounded" }.count)
            case "withheld.primary": return Decimal(list.filter { $0 == "primary" }.count)
            case "withheld.secondary": return Decimal(list.filter { $0 == "secondary" }.count)
            case "information_loss.share_of_cells_withheld":
                let share = (10_000 * list.filter(withheld.contains).count + list.count / 2) / list.count
                return Decimal(share) / 10_000
            default: return nil
            }
        }
        for number in manifest.numbers() {
            let p = number.path
            var accounted = false
            if p == "schema_version" {
                accounted = number.number == 2
            } else if p.hasPrefix("policy.") {
                accounted = settings.contains(number.number)
            } else if p == "files.[].bytes" {
                let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + number.names[0]))?[.size] as? NSNumber
                accounted = size.map { Decimal($0.intValue) } == number.number
            } else if p.hasPrefix("tables.[].") {
                let what = String(p.dropFirst("tables.[].".count))
                if what == "withheld.secondary_for_related_cohorts" {
                    accounted = count(statuses(table: number.names[0]), "withheld.secondary").map { number.number <= $0 } ?? false
                } else {
                    accounted = count(statuses(table: number.names[0]), what) == number.number
                }
            } else if p.hasPrefix("indicators.[].") {
                let what = String(p.dropFirst("indicators.[].".count))
                let indicator = number.names[0]
                if what == "cells" {
                    accounted = count(statuses(indicator: indicator, part: "percent"), "cells") == number.number
                } else if what.hasPrefix("percentages.") {
                    let status = String(what.dropFirst("percentages.".count))
                    accounted = statuses(indicator: indicator, part: "percent").map { Decimal($0.filter { $0 == status }.count) } == number.number
                } else {
                    for part in ["numerator", "denominator"] where what.hasPrefix(part + ".") {
                        let rest = String(what.dropFirst(part.count + 1))
                        if rest == "withheld.secondary_for_related_cohorts" {
                            accounted = count(statuses(indicator: indicator, part: part), "withheld.secondary").map { number.number <= $0 } ?? false
                        } else {
                            accounted = count(statuses(indicator: indicator, part: part), rest) == number.number
                        }
                    }
                }
            }
            if !accounted { problems.append("manifest.json: \(p) (\(number.names.joined(separator: ", "))) is unaccounted for") }
        }
        // Every file is one of these.
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for file in files where !file.hasPrefix("tables/") && !["tables", "indicators.csv", "release.json", "manifest.json"].contains(file) {
            problems.append("\(file): a file this test does not know")
        }
        return problems
    }

    @Test(arguments: ["spec", "preset-nhs", "preset-dfe", "preset-ofqual", "preset-ons-srs"])
    func everyNumberFollowsFromThePublishedFigures(spec: String) throws {
        let (dir, out, made) = try BundledExampleAttackTests.protect(spec)
        _ = dir
        let problems = try Self.unaccounted(out, plan: made.plan, settings: Self.settings(made.plan, made.layout))
        #expect(problems == [], "\(spec): \(problems.prefix(5))")
        // The figures the release withholds or rounds, and the people read, appear in no
        // JSON file as such beside a member that is not a figure: checked above; and the
        // audit, which reads every file, passes it.
        let audit = try PublishedAudit.run(directory: out)
        #expect(audit.findings.isEmpty, "\(audit.findings.prefix(3))")
    }

    /// Negative control: version 0.3.0's release under the NHS preset states, in its
    /// manifest, the people read and the share of each true total withheld.
    @Test func theCheckFindsWhatVersion0_3Stated() throws {
        let plan = try ReleasePipeline.plan(specPath: PresetReleaseTests.root + "/fixtures/transitions/preset-nhs.yaml")
        let layout = plan.layout
        let problems = try Self.unaccounted(PresetReleaseTests.root + "/fixtures/releases/transitions-nhs-0.3.0", plan: plan, settings: Self.settings(plan, layout))
        #expect(problems.contains("manifest.json: people () is unaccounted for"))
        #expect(problems.contains("manifest.json: tables.[].information_loss.share_of_total_withheld (transition_by_area_age) is unaccounted for"))
        #expect(problems.contains("manifest.json: inputs.[].rows (fixtures/transitions/extracts/council.csv) is unaccounted for"))
    }
}
