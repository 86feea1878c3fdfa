import DiscreetCore
import Foundation

/// A release directory's problem that stops it from being read.
public struct ReleaseReadError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// One cohort table of a release, reassembled from every table and indicator that
/// publishes a projection of it.
public struct PublishedCohort: Sendable {
    public var id: String
    /// The tables and indicators it was read from, for messages.
    public var sources: [String]
    public var shape: TableShape
    /// The quantities it publishes: the counts, or a magnitude's sums and its contributor
    /// counts; each with its decimal places.
    public var quantities: [(name: String, places: Int, quantity: PublishedQuantity)]
    /// Whether its small counts are shown as such ("fewer than 5") rather than withheld.
    public var showsSmallCounts: Bool
    /// The dimensions (indices into the release's) of each table and indicator publishing it.
    public var tableDimensions: [[Int]]
}

/// Where a published table's figures live.
public struct PublishedTableLink: Sendable {
    /// The id of its cohort.
    public var cohort: String
    /// Its dimensions' names.
    public var dimensions: [String]
}

/// A release as anyone holding its directory sees it.
public struct PublishedRelease: Sendable {
    public var id: String
    public var title: String?
    public var cohorts: [PublishedCohort]
    /// The cohorts as one hidden table (block `c` is cohort `c`): how they relate, as the
    /// release states it (or, for a release written before discreet 0.4, as its indicators
    /// imply: each numerator within its denominator).
    public var layout: CohortLayout
    /// Per global cell of the layout, whether some table or indicator publishes it.
    public var published: [Bool]
    /// Whether the relations were inferred from the indicators (a release written before
    /// discreet 0.4, which did not state them).
    public var inferredRelations: Bool
    /// The primary rules and the protection of small counts, as the manifest states them
    /// (nil where it does not).
    public var primary: PrimaryPolicy?
    public var frequencyProtection: String?
    /// The declared tables by name.
    public var tables: [String: PublishedTableLink]
    /// Things wrong with the directory that do not stop the audit: a file changed since the
    /// manifest was written, two tables disagreeing on a shared cell.
    public var problems: [String]
}

/// Reads `release.json` (and checks the files against `manifest.json`).
public enum ReleaseReader {
    public static func read(directory: String) throws(ReleaseReadError) -> PublishedRelease {
        let path = (directory as NSString).appendingPathComponent("release.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReleaseReadError(description: "\(path): cannot be read (a release written with outputs.json false cannot be audited)")
        }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw ReleaseReadError(description: "") }
            root = object
        } catch {
            throw ReleaseReadError(description: "\(path): not a JSON object")
        }
        func fail(_ what: String) -> ReleaseReadError { ReleaseReadError(description: "\(path): \(what)") }
        var problems = checkManifest(directory)

        // Dimensions, rebuilt from their categories.
        var dimensions: [String: TableDimension] = [:]
        var dimensionList: [TableDimension] = []
        for (i, d) in (root["dimensions"] as? [[String: Any]] ?? []).enumerated() {
            guard let name = d["name"] as? String, let total = d["total"] as? String, let categories = d["categories"] as? [[String: Any]] else {
                throw fail("dimension \(i + 1) needs a name, a total and its categories")
            }
            var entries: [HierarchyEntry] = []
            var totalLabel: String?
            for category in categories {
                guard let code = category["code"] as? String else { throw fail("dimension '\(name)': a category has no code") }
                if code == total {
                    totalLabel = category["label"] as? String
                    continue
                }
                let parent = category["parent"] as? String
                entries.append(HierarchyEntry(code: code, parent: parent == total ? nil : parent, label: category["label"] as? String))
            }
            do {
                dimensions[name] = try TableDimension.build(name: name, label: d["label"] as? String, total: total, totalLabel: totalLabel, entries: entries)
                dimensionList.append(dimensions[name]!)
            } catch {
                throw fail("dimension '\(name)': \(error.problems.map(\.description).joined(separator: "; "))")
            }
        }
        guard let cohortList = root["cohorts"] as? [[String: Any]] else {
            throw fail("has no 'cohorts' (it was written by a version of discreet before 0.2, which did not record how tables link)")
        }

        // How the cohorts relate: as the release states it, or else as its indicators imply.
        var ids: [String: Int] = [:]
        var drafts: [(published: [Int], measure: Measure)] = []
        for (k, c) in cohortList.enumerated() {
            guard let id = c["id"] as? String, let names = c["dimensions"] as? [String] else { throw fail("a cohort needs an id and its dimensions") }
            var published: [Int] = []
            for name in names {
                guard let d = dimensionList.firstIndex(where: { $0.name == name }) else { throw fail("cohort '\(id)' uses the undefined dimension '\(name)'") }
                published.append(d)
            }
            ids[id] = k
            let places = c["decimals"] as? Int ?? 0
            drafts.append((published.sorted(), c["measure"] as? String == "sum" ? .sum(column: c["column"] as? String ?? "", places: places) : .count))
        }
        var relations = CohortRelations()
        let inferred = !cohortList.contains { $0["within"] != nil }
        if inferred {
            for i in root["indicators"] as? [[String: Any]] ?? [] {
                guard let n = (i["numerator_cohort"] as? String).flatMap({ ids[$0] }), let d = (i["denominator_cohort"] as? String).flatMap({ ids[$0] }), n != d else { continue }
                let pair = CohortRelations.Pair(n, d)
                if !relations.within.contains(pair) { relations.within.append(pair) }
            }
        } else {
            for (k, c) in cohortList.enumerated() {
                for outer in c["within"] as? [String] ?? [] {
                    guard let o = ids[outer] else { throw fail("cohort '\(c["id"] as? String ?? "?")' lies within the unknown cohort '\(outer)'") }
                    relations.within.append(.init(k, o))
                }
            }
            for pair in root["disjoint"] as? [[String]] ?? [] {
                guard pair.count == 2, let a = ids[pair[0]], let b = ids[pair[1]] else { throw fail("'disjoint' names an unknown cohort") }
                relations.disjoint.append(.init(a, b))
            }
        }
        // The dimensions each cohort was counted by, where the release says (the relations
        // alone may ask for fewer where the data contradicted some).
        let keep = cohortList.map { c in (c["counted_by"] as? [String] ?? []).compactMap { name in dimensionList.firstIndex { $0.name == name } } }
        // Categories the filters leave empty.
        func facts(_ list: Any?) throws(ReleaseReadError) -> [StructuralZeros.Leaves] {
            var result: [StructuralZeros.Leaves] = []
            for entry in list as? [[String: Any]] ?? [] {
                guard let name = entry["dimension"] as? String, let d = dimensionList.firstIndex(where: { $0.name == name }),
                    let codes = entry["categories"] as? [String]
                else { throw fail("an 'empty' entry needs a known dimension and its categories") }
                var leaves = Set<Int>()
                for code in codes {
                    guard let node = dimensionList[d].node(code), dimensionList[d].isLeaf(node) else { throw fail("'\(code)' is not a category of '\(name)'") }
                    leaves.insert(node)
                }
                result.append(.init(dimension: d, leaves: leaves))
            }
            return result
        }
        var zeros = StructuralZeros()
        for (k, c) in cohortList.enumerated() {
            let found = try facts(c["empty"])
            if !found.isEmpty { zeros.cohorts[k] = found }
        }
        for f in root["families"] as? [[String: Any]] ?? [] {
            let found = try facts(f["rest_empty"])
            guard !found.isEmpty, let p = (f["cohort"] as? String).flatMap({ ids[$0] }) else { continue }
            let parts = (f["parts"] as? [String] ?? []).compactMap { ids[$0] }.sorted()
            zeros.complements[[p] + parts] = found
        }
        let layout = CohortLayout(dimensions: dimensionList, cohorts: drafts, relations: relations, zeros: zeros, keep: keep)

        // Each cohort's quantities, filled in from the tables and indicators.
        struct Building {
            var id: String
            var shape: TableShape
            var places: Int
            var magnitude: Bool
            var showsSmall: Bool
            var sources: [String] = []
            var values: [Int64?]
            var withheld: [Bool]
            var contributors: [Int64?]
            var contributorsWithheld: [Bool]
            /// Cells published within bounds rather than exactly (rounded, or shown as small).
            var bounds: [Int: CellBounds] = [:]
            /// Cells some table or indicator publishes.
            var published: [Bool]
            /// The dimensions of each table and indicator publishing it.
            var tables: [[Int]] = []
        }
        func dimensionSet(_ names: Any?) -> [Int] {
            ((names as? [String]) ?? []).compactMap { name in dimensionList.firstIndex { $0.name == name } }.sorted()
        }
        var cohorts: [Building] = []
        var index: [String: Int] = [:]
        for (k, c) in cohortList.enumerated() {
            let id = c["id"] as! String
            let shape = layout.blocks[k].shape
            let n = shape.cellCount
            index[id] = cohorts.count
            cohorts.append(Building(
                id: id, shape: shape, places: c["decimals"] as? Int ?? 0, magnitude: c["measure"] as? String == "sum",
                showsSmall: c["small_counts_shown"] as? Bool ?? false,
                values: Array(repeating: nil, count: n), withheld: Array(repeating: false, count: n),
                contributors: Array(repeating: nil, count: n), contributorsWithheld: Array(repeating: false, count: n),
                published: Array(repeating: false, count: n)))
        }
        var disagreements = 0

        /// Records one published or withheld figure of a cohort cell; false when another
        /// table published a different figure for it. A figure with bounds (rounded, or a
        /// small count) is an unknown within them.
        func record(_ b: inout Building, cell: Int, value: Any?, bounds: Any? = nil, contributors: Bool) -> Bool {
            b.published[cell] = true
            let scale = contributors ? 1 : pow(10.0, Double(b.places))
            let number = (value as? NSNumber).map { Int64(($0.doubleValue * scale).rounded()) }
            if !contributors, let pair = bounds as? [Any], pair.count == 2 {
                let lower = (pair[0] as? NSNumber).map { Int64(($0.doubleValue * scale).rounded()) }
                let upper = (pair[1] as? NSNumber).map { Int64(($0.doubleValue * scale).rounded()) }
                if b.values[cell] != nil { return false }
                let old = b.bounds[cell] ?? CellBounds()
                b.bounds[cell] = CellBounds(
                    lower: [old.lower, lower].compactMap { $0 }.max(), upper: [old.upper, upper].compactMap { $0 }.min())
                if number == nil { b.withheld[cell] = true }
                return true
            }
            if let number {
                let old = contributors ? b.contributors[cell] : b.values[cell]
                if let old, old != number { return false }
                if !contributors && b.bounds[cell] != nil { return false }
                if contributors { b.contributors[cell] = number } else { b.values[cell] = number }
            } else if contributors {
                b.contributorsWithheld[cell] = true
            } else {
                b.withheld[cell] = true
            }
            return true
        }
        /// The cohort cell of a table cell: its codes, and the total in the cohort's other
        /// dimensions.
        func cohortCell(_ b: Building, _ cell: [String: Any], _ what: String) throws(ReleaseReadError) -> Int {
            var nodes: [Int] = []
            for dim in b.shape.dimensions {
                guard let code = cell[dim.name] as? String else {
                    nodes.append(dim.total)
                    continue
                }
                guard let node = dim.node(code) else { throw fail("\(what): a cell's '\(dim.name)' is not one of its categories") }
                nodes.append(node)
            }
            return b.shape.cell(nodes)
        }

        var links: [String: PublishedTableLink] = [:]
        for t in root["tables"] as? [[String: Any]] ?? [] {
            let name = t["name"] as? String ?? "?"
            guard let id = t["cohort"] as? String, let c = index[id] else { throw fail("table '\(name)' names no known cohort") }
            links[name] = PublishedTableLink(cohort: id, dimensions: t["dimensions"] as? [String] ?? [])
            cohorts[c].sources.append("table '\(name)'")
            cohorts[c].tables.append(dimensionSet(t["dimensions"]))
            for cell in t["cells"] as? [[String: Any]] ?? [] {
                let at = try cohortCell(cohorts[c], cell, "table '\(name)'")
                if !record(&cohorts[c], cell: at, value: cell["value"], bounds: cell["bounds"], contributors: false) { disagreements += 1 }
                if cohorts[c].magnitude && !record(&cohorts[c], cell: at, value: cell["contributors"], contributors: true) { disagreements += 1 }
            }
        }
        for i in root["indicators"] as? [[String: Any]] ?? [] {
            let name = i["name"] as? String ?? "?"
            for part in ["numerator", "denominator"] {
                guard let id = i["\(part)_cohort"] as? String, let c = index[id] else { throw fail("indicator '\(name)' names no known \(part) cohort") }
                cohorts[c].sources.append("indicator '\(name)' (\(part))")
                cohorts[c].tables.append(dimensionSet(i["dimensions"]))
                for cell in i["cells"] as? [[String: Any]] ?? [] {
                    let at = try cohortCell(cohorts[c], cell, "indicator '\(name)'")
                    if !record(&cohorts[c], cell: at, value: cell[part], bounds: cell["\(part)_bounds"], contributors: false) { disagreements += 1 }
                }
            }
        }
        if disagreements > 0 { problems.append("\(disagreements) figures differ between tables that publish the same cell") }
        let result = cohorts.map { b in
            var quantities = [
                (name: b.magnitude ? "sum" : "count", places: b.places, quantity: PublishedQuantity(shape: b.shape, values: b.values, withheld: b.withheld, bounds: b.bounds))
            ]
            if b.magnitude {
                quantities.append((name: "contributors", places: 0, quantity: PublishedQuantity(shape: b.shape, values: b.contributors, withheld: b.contributorsWithheld)))
            }
            return PublishedCohort(
                id: b.id, sources: Array(Set(b.sources)).sorted(), shape: b.shape, quantities: quantities, showsSmallCounts: b.showsSmall,
                tableDimensions: Array(Set(b.tables)).sorted { $0.lexicographicallyPrecedes($1) })
        }
        let policy = Self.policy(directory)
        return PublishedRelease(
            id: root["release_id"] as? String ?? "", title: root["title"] as? String, cohorts: result, layout: layout,
            published: cohorts.flatMap(\.published), inferredRelations: inferred, primary: policy.primary, frequencyProtection: policy.frequency,
            tables: links, problems: problems)
    }

    /// The frequency and zero rules and the protection of small counts the manifest states.
    static func policy(_ directory: String) -> (primary: PrimaryPolicy?, frequency: String?) {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path),
            let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let policy = manifest["policy"] as? [String: Any], let primary = policy["primary"] as? [String: Any]
        else { return (nil, nil) }
        var rule: FrequencyRule?
        if let f = primary["frequency"] as? [String: Any], let threshold = f["threshold"] as? Int, let comparator = (f["comparator"] as? String).flatMap(RuleComparator.init(rawValue:)),
            comparator == .less || comparator == .lessOrEqual
        {
            rule = FrequencyRule(threshold: Int64(threshold), comparator: comparator)
        }
        let zeros = (primary["zeros"] as? String).flatMap(ZeroPolicy.init(rawValue:)) ?? .publish
        let frequency = (policy["secondary"] as? [String: Any])?["frequency_protection"]
        return (PrimaryPolicy(frequency: rule, zeros: zeros), frequency as? String ?? (frequency != nil ? "fixed" : nil))
    }

    /// Files whose checksum differs from the manifest's, or that are missing.
    static func checkManifest(_ directory: String) -> [String] {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path),
            let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return ["\(path): missing or unreadable, so the files cannot be checked against it"] }
        guard let files = manifest["files"] as? [[String: Any]] else { return ["\(path): lists no file checksums (written before discreet 0.2)"] }
        var problems: [String] = []
        for file in files {
            guard let name = file["path"] as? String, let expected = file["sha256"] as? String else { continue }
            guard let bytes = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else {
                problems.append("\(name): listed in the manifest but missing")
                continue
            }
            if SHA256.hex(bytes) != expected { problems.append("\(name): changed since the release was written (its checksum differs from the manifest's)") }
        }
        return problems
    }
}
