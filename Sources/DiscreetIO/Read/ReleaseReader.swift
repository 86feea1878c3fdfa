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
    /// release.json as written.
    public var document: ReleaseDocument
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
    /// The protection settings, as release.json (or, before schema 2, the manifest) states them.
    public var policy: ReleaseDocument.Policy?
    /// The frequency and zero rules and the protection of small counts, as the release
    /// states them (nil where it does not).
    public var primary: PrimaryPolicy?
    public var frequencyProtection: String?
    /// The declared tables by name.
    public var tables: [String: PublishedTableLink]
    /// Things wrong with the directory that do not stop the audit: a file changed since the
    /// manifest was written, two tables disagreeing on a shared cell.
    public var problems: [String]
}

/// Reads `release.json` (and checks the files against `manifest.json`), with the types
/// that write them.
public enum ReleaseReader {
    public static func read(directory: String) throws(ReleaseReadError) -> PublishedRelease {
        let path = (directory as NSString).appendingPathComponent("release.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReleaseReadError(description: "\(path): cannot be read (a release written with outputs.json false cannot be audited)")
        }
        let document: ReleaseDocument
        do {
            document = try ReleaseDocument.decode(data)
        } catch {
            throw ReleaseReadError(description: "\(path): not a release document (\(Self.describe(error)))")
        }
        let manifest = Self.manifest(directory)
        var published = try Self.release(document, path: path, policy: document.policy ?? manifest.listing?.policy)
        published.problems = manifest.problems + published.problems
        return published
    }

    /// What `manifest.json` lists: its files, and (before schema 2) the policy.
    struct Listing: Decodable {
        var files: [ReleaseManifest.File]?
        var policy: ReleaseDocument.Policy?
    }

    /// The manifest's listing, and the files whose checksum differs from it, or that are missing.
    static func manifest(_ directory: String) -> (listing: Listing?, problems: [String]) {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path), let listing = try? JSONDecoder().decode(Listing.self, from: data) else {
            return (nil, ["\(path): missing or unreadable, so the files cannot be checked against it"])
        }
        guard let files = listing.files else { return (listing, ["\(path): lists no file checksums (written before discreet 0.2)"]) }
        var problems: [String] = []
        for file in files {
            guard let bytes = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(file.path)) else {
                problems.append("\(file.path): listed in the manifest but missing")
                continue
            }
            if SHA256.hex(bytes) != file.sha256 { problems.append("\(file.path): changed since the release was written (its checksum differs from the manifest's)") }
        }
        return (listing, problems)
    }

    /// A decoding error in a few words: where, and what.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "at the top" : "at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        case .valueNotFound(_, let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "\(at(c.codingPath)): '\(key.stringValue)' is missing"
        case .dataCorrupted(let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The release a document describes: its cohorts as one hidden table, and every figure
    /// its tables and indicators publish, cell by cell.
    static func release(_ root: ReleaseDocument, path: String, policy: ReleaseDocument.Policy?) throws(ReleaseReadError) -> PublishedRelease {
        func fail(_ what: String) -> ReleaseReadError { ReleaseReadError(description: "\(path): \(what)") }
        var problems: [String] = []

        // Dimensions, rebuilt from their categories.
        var dimensionList: [TableDimension] = []
        for d in root.dimensions {
            var entries: [HierarchyEntry] = []
            var totalLabel: String?
            for category in d.categories {
                if category.code == d.total {
                    totalLabel = category.label
                    continue
                }
                entries.append(HierarchyEntry(code: category.code, parent: category.parent == d.total ? nil : category.parent, label: category.label))
            }
            do {
                dimensionList.append(try TableDimension.build(name: d.name, label: d.label, total: d.total, totalLabel: totalLabel, entries: entries))
            } catch {
                throw fail("dimension '\(d.name)': \(error.problems.map(\.description).joined(separator: "; "))")
            }
        }
        guard let cohortList = root.cohorts else {
            throw fail("has no 'cohorts' (it was written by a version of discreet before 0.2, which did not record how tables link)")
        }
        func dimension(_ name: String) -> Int? { dimensionList.firstIndex { $0.name == name } }

        // How the cohorts relate: as the release states it, or else as its indicators imply.
        var ids: [String: Int] = [:]
        var drafts: [(published: [Int], measure: Measure)] = []
        for (k, c) in cohortList.enumerated() {
            var published: [Int] = []
            for name in c.dimensions {
                guard let d = dimension(name) else { throw fail("cohort '\(c.id)' uses the undefined dimension '\(name)'") }
                published.append(d)
            }
            ids[c.id] = k
            let places = c.decimals ?? 0
            drafts.append((published.sorted(), c.measure == "sum" ? .sum(column: c.column ?? "", places: places) : .count))
        }
        var relations = CohortRelations()
        let inferred = !cohortList.contains { $0.within != nil }
        if inferred {
            for i in root.indicators {
                guard let n = i.numeratorCohort.flatMap({ ids[$0] }), let d = i.denominatorCohort.flatMap({ ids[$0] }), n != d else { continue }
                let pair = CohortRelations.Pair(n, d)
                if !relations.within.contains(pair) { relations.within.append(pair) }
            }
        } else {
            for (k, c) in cohortList.enumerated() {
                for outer in c.within ?? [] {
                    guard let o = ids[outer] else { throw fail("cohort '\(c.id)' lies within the unknown cohort '\(outer)'") }
                    relations.within.append(.init(k, o))
                }
            }
            for pair in root.disjoint ?? [] {
                guard pair.count == 2, let a = ids[pair[0]], let b = ids[pair[1]] else { throw fail("'disjoint' names an unknown cohort") }
                relations.disjoint.append(.init(a, b))
            }
        }
        // The dimensions each cohort was counted by, where the release says (the relations
        // alone may ask for fewer where the data contradicted some).
        let keep = cohortList.map { c in (c.countedBy ?? []).compactMap(dimension) }
        // Categories the filters leave empty.
        func facts(_ list: [ReleaseDocument.Categories]?) throws(ReleaseReadError) -> [StructuralZeros.Leaves] {
            var result: [StructuralZeros.Leaves] = []
            for entry in list ?? [] {
                guard let d = dimension(entry.dimension) else { throw fail("an 'empty' entry names the unknown dimension '\(entry.dimension)'") }
                var leaves = Set<Int>()
                for code in entry.categories {
                    guard let node = dimensionList[d].node(code), dimensionList[d].isLeaf(node) else { throw fail("'\(code)' is not a category of '\(entry.dimension)'") }
                    leaves.insert(node)
                }
                result.append(.init(dimension: d, leaves: leaves))
            }
            return result
        }
        var zeros = StructuralZeros()
        for (k, c) in cohortList.enumerated() {
            let found = try facts(c.empty)
            if !found.isEmpty { zeros.cohorts[k] = found }
        }
        for f in root.families ?? [] {
            let found = try facts(f.restEmpty)
            guard !found.isEmpty, let p = ids[f.cohort] else { continue }
            zeros.complements[[p] + f.parts.compactMap { ids[$0] }.sorted()] = found
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
            /// Figures with more decimal places than the cohort's.
            var unreadable = 0
        }
        func dimensionSet(_ names: [String]) -> [Int] { names.compactMap(dimension).sorted() }
        var cohorts: [Building] = []
        for (k, c) in cohortList.enumerated() {
            let shape = layout.blocks[k].shape
            let n = shape.cellCount
            cohorts.append(Building(
                id: c.id, shape: shape, places: c.decimals ?? 0, magnitude: c.measure == "sum", showsSmall: c.smallCountsShown ?? false,
                values: Array(repeating: nil, count: n), withheld: Array(repeating: false, count: n),
                contributors: Array(repeating: nil, count: n), contributorsWithheld: Array(repeating: false, count: n),
                published: Array(repeating: false, count: n)))
        }
        var disagreements = 0

        /// Records one published or withheld figure of a cohort cell; false when another
        /// table published a different figure for it. A figure with bounds (rounded, or a
        /// small count) is an unknown within them.
        func units(_ d: Decimal?, _ b: inout Building) -> Int64? {
            guard let d else { return nil }
            guard let u = d.units(places: b.places) else {
                b.unreadable += 1
                return nil
            }
            return u
        }
        func record(_ b: inout Building, cell: Int, value: Decimal?, bounds: ReleaseDocument.Bounds?) -> Bool {
            b.published[cell] = true
            let number = units(value, &b)
            if let bounds {
                if b.values[cell] != nil { return false }
                let old = b.bounds[cell] ?? CellBounds()
                let lower = units(bounds.lower, &b)
                let upper = units(bounds.upper, &b)
                b.bounds[cell] = CellBounds(lower: [old.lower, lower].compactMap { $0 }.max(), upper: [old.upper, upper].compactMap { $0 }.min())
                if number == nil { b.withheld[cell] = true }
                return true
            }
            if let number {
                if let old = b.values[cell], old != number { return false }
                if b.bounds[cell] != nil { return false }
                b.values[cell] = number
                // Withheld by another table: the figure is out, and the tables disagree.
                if b.withheld[cell] {
                    b.withheld[cell] = false
                    return false
                }
            } else {
                if b.values[cell] != nil { return false }
                b.withheld[cell] = true
            }
            return true
        }
        func recordContributors(_ b: inout Building, cell: Int, count: Int64?) -> Bool {
            if let count {
                if let old = b.contributors[cell], old != count { return false }
                b.contributors[cell] = count
            } else {
                b.contributorsWithheld[cell] = true
            }
            return true
        }
        /// The cohort cell of a table cell: its codes, and the total in the cohort's other
        /// dimensions.
        /// Only the dimensions a table lists may break its cells down: the audit relates a
        /// table's figures through them.
        func cohortCell(_ b: Building, _ codes: [String: String], listed: [String], _ what: String) throws(ReleaseReadError) -> Int {
            var nodes: [Int] = []
            for dim in b.shape.dimensions {
                guard let code = codes[dim.name] else {
                    nodes.append(dim.total)
                    continue
                }
                guard listed.contains(dim.name) || code == dim.codes[dim.total] else {
                    throw fail("\(what): a cell is broken down by '\(dim.name)', which is not one of the dimensions it lists")
                }
                guard let node = dim.node(code) else { throw fail("\(what): a cell's '\(dim.name)' is not one of its categories") }
                nodes.append(node)
            }
            return b.shape.cell(nodes)
        }

        var links: [String: PublishedTableLink] = [:]
        for t in root.tables {
            guard let id = t.cohort, let c = ids[id] else { throw fail("table '\(t.name)' names no known cohort") }
            for name in t.dimensions where !cohorts[c].shape.dimensions.contains(where: { $0.name == name }) {
                throw fail("table '\(t.name)' lists dimension '\(name)', which its cohort does not have")
            }
            links[t.name] = PublishedTableLink(cohort: id, dimensions: t.dimensions)
            cohorts[c].sources.append("table '\(t.name)'")
            cohorts[c].tables.append(dimensionSet(t.dimensions))
            for cell in t.cells {
                let at = try cohortCell(cohorts[c], cell.codes, listed: t.dimensions, "table '\(t.name)'")
                if !record(&cohorts[c], cell: at, value: cell.value, bounds: cell.bounds) { disagreements += 1 }
                if cohorts[c].magnitude && !recordContributors(&cohorts[c], cell: at, count: cell.contributors) { disagreements += 1 }
            }
        }
        for i in root.indicators {
            for (part, cohort) in [("numerator", i.numeratorCohort), ("denominator", i.denominatorCohort)] {
                guard let id = cohort, let c = ids[id] else { throw fail("indicator '\(i.name)' names no known \(part) cohort") }
                for name in i.dimensions where !cohorts[c].shape.dimensions.contains(where: { $0.name == name }) {
                    throw fail("indicator '\(i.name)' lists dimension '\(name)', which its \(part) cohort does not have")
                }
                cohorts[c].sources.append("indicator '\(i.name)' (\(part))")
                cohorts[c].tables.append(dimensionSet(i.dimensions))
                for cell in i.cells {
                    let at = try cohortCell(cohorts[c], cell.codes, listed: i.dimensions, "indicator '\(i.name)'")
                    let figure = part == "numerator" ? cell.numerator : cell.denominator
                    if !record(&cohorts[c], cell: at, value: figure.value, bounds: figure.bounds) { disagreements += 1 }
                }
            }
        }
        if disagreements > 0 {
            problems.append("\(disagreements) \(disagreements == 1 ? "figure differs" : "figures differ") between tables that publish the same cell")
        }
        let unreadable = cohorts.reduce(0) { $0 + $1.unreadable }
        if unreadable > 0 {
            problems.append("\(unreadable) \(unreadable == 1 ? "figure has" : "figures have") more decimal places than their cohort's 'decimals'")
        }
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
        return PublishedRelease(
            id: root.releaseID, title: root.title, document: root, cohorts: result, layout: layout, published: cohorts.flatMap(\.published),
            inferredRelations: inferred, policy: policy, primary: policy?.frequencyAndZeros, frequencyProtection: policy?.secondary?.frequencyProtection?.name,
            tables: links, problems: problems)
    }
}
