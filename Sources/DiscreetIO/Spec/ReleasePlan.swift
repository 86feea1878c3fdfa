import DiscreetCore

/// A table the release publishes: a declared table, or the numerator or denominator of an
/// indicator. Identical tables (same cohort, measure and dimensions) are one table.
public struct PlannedTable: Sendable {
    /// The name in outputs: the declared name, or `indicator.part` for an indicator's own table.
    public var name: String
    public var title: String?
    /// The cohort table this table is a projection of.
    public var cohort: Int
    /// Indices into the spec's dimensions, in spec order.
    public var dimensions: [Int]
    public var shape: TableShape
    /// Whether the spec declares this table (it is then written as a table of its own).
    public var declared: Bool
    /// For every cell of this table, the cell of its cohort table holding the same figure.
    public var cohortCells: [Int]
}

/// Everyone in one cohort, measured one way, cross-classified by every dimension that any
/// table of the cohort uses, and by those that link it to the cohorts it relates to (see
/// ``CohortLayout``). Tables of a cohort are its projections (their cells are cells of the
/// cohort table), so they are aggregated once, agree on shared cells, and are protected
/// together with every cohort related to it.
public struct PlannedCohort: Sendable {
    /// The cohort filter with cohort references expanded; nil for every row.
    public var filter: FilterExpression?
    /// The filter as the spec writes it (empty for every row).
    public var text: String
    public var measure: Measure
    /// The summed column of a magnitude cohort.
    public var sumColumn: Int?
    /// The dimensions its tables publish (indices into the spec's dimensions, ascending).
    public var publishedDimensions: [Int]
    /// The dimensions it is counted by: the published ones and those linking it to other
    /// cohorts (indices into the spec's dimensions, ascending).
    public var dimensions: [Int]
    public var shape: TableShape
    /// The planned tables that are projections of this cohort.
    public var tables: [Int]
    /// Whether each cell belongs to some published table (the rest are never published).
    public var published: [Bool]

    /// A name for messages: the first table's name.
    public var label: String
}

/// An indicator and the tables holding its numerator and denominator.
public struct PlannedIndicator: Sendable {
    public var spec: IndicatorSpec
    public var numerator: Int
    public var denominator: Int
    public var decimals: Int
}

/// Everything a release computes, derived from a checked spec.
public struct ReleasePlan: Sendable {
    /// The most cells a cohort table may have.
    public static let maximumCohortCells = 50_000_000

    public internal(set) var spec: ReleaseSpec
    public let cohorts: [PlannedCohort]
    public let tables: [PlannedTable]
    public let indicators: [PlannedIndicator]
    /// The cohorts as one hidden table: how they relate, and the dimensions each is
    /// counted by. Block `c` is cohort `c`.
    public let layout: CohortLayout
    /// Containments an indicator states (its numerator within its denominator) that the
    /// filters alone do not prove: the data must bear them out.
    public let stated: [CohortRelations.Pair]
    /// Relations discreet could not work out from the filters (the cohorts are then
    /// treated as unrelated there), for the manifest.
    public let notes: [String]
    /// Cells whose status an earlier release still published fixes (a batch's unchanged
    /// partners): per cohort, per cell of its cohort table, whether it is withheld. The
    /// protection keeps them so.
    public var kept: [Int: [Int: Bool]] = [:]
    /// Cells the previous release of the same figures withheld (a batch's releases, from
    /// its ledger): per cohort, cells of its cohort table. Withholding them again costs less.
    public var preferred: [Int: Set<Int>] = [:]

    /// Plans the release; fails when the tables of one cohort together need a cohort table
    /// too large to hold.
    public init(spec: ReleaseSpec) throws(SpecProblems) {
        self.spec = spec
        let cohortDefinitions = Dictionary(spec.cohorts.map { ($0.name, $0.expression) }, uniquingKeysWith: { a, _ in a })
        struct Draft {
            var name: String
            var title: String?
            var filter: FilterExpression?
            var text: String
            var sumColumn: Int?
            var dimensions: [Int]
            var declared: Bool
            var location: SourceLocation
        }
        var drafts: [Draft] = []
        var byIdentity: [String: Int] = [:]
        func add(_ d: Draft) -> Int {
            let identity = "\(d.filter?.description ?? "*")|\(d.sumColumn.map(String.init) ?? "count")|\(d.dimensions.map(String.init).joined(separator: ","))"
            if let existing = byIdentity[identity] {
                if d.declared && !drafts[existing].declared {
                    drafts[existing].declared = true
                    drafts[existing].name = d.name
                    drafts[existing].title = d.title
                }
                return existing
            }
            byIdentity[identity] = drafts.count
            drafts.append(d)
            return drafts.count - 1
        }
        // In the order the spec lists them under 'by': the order of the table's columns.
        func dims(_ names: [String]) -> [Int] {
            names.map { name in spec.dimensions.firstIndex { $0.name == name }! }
        }
        for t in spec.tables {
            _ = add(Draft(
                name: t.name, title: t.title, filter: t.filter.map { Self.expand($0, cohortDefinitions) }, text: t.filterText, sumColumn: t.sum,
                dimensions: dims(t.by), declared: true, location: t.location))
        }
        var indicatorParts: [(IndicatorSpec, Int, Int)] = []
        for i in spec.indicators {
            let d = dims(i.by)
            let n = add(Draft(
                name: "\(i.name).numerator", title: i.title, filter: Self.expand(i.numerator, cohortDefinitions), text: i.numeratorText,
                sumColumn: nil, dimensions: d, declared: false, location: i.location))
            let m = add(Draft(
                name: "\(i.name).denominator", title: i.title, filter: Self.expand(i.denominator, cohortDefinitions), text: i.denominatorText,
                sumColumn: nil, dimensions: d, declared: false, location: i.location))
            indicatorParts.append((i, n, m))
        }

        // Group the tables by cohort and measure: the same filter, or filters that select
        // the same rows however they are written.
        let logic = Self.logic(spec)
        var notes: [String] = []
        var members: [[Int]] = []
        var cohortOf = [Int](repeating: -1, count: drafts.count)
        for (t, d) in drafts.enumerated() {
            let same = members.firstIndex { group in
                let first = drafts[group[0]]
                guard first.sumColumn == d.sumColumn else { return false }
                if first.filter?.description == d.filter?.description { return true }
                return logic.implies(first.filter, d.filter) == true && logic.implies(d.filter, first.filter) == true
            }
            if let same {
                members[same].append(t)
                cohortOf[t] = same
            } else {
                cohortOf[t] = members.count
                members.append([t])
            }
        }
        // What the filters say of each pair of cohorts; an indicator's numerator lies within
        // its denominator whatever its filters say (the percentage states it).
        let filters = members.map { drafts[$0[0]].filter }
        var within: [CohortRelations.Pair] = []
        var disjoint: [CohortRelations.Pair] = []
        var stated: [CohortRelations.Pair] = []
        let names = members.map { "'\(drafts[$0[0]].name)'" }
        for a in members.indices {
            for b in members.indices where a != b {
                switch logic.implies(filters[a], filters[b]) {
                case .some(true): within.append(.init(a, b))
                case .some(false): break
                case nil: notes.append("could not work out from their filters whether the cohort of \(names[a]) lies within that of \(names[b]); they are protected as unrelated there")
                }
                guard a < b else { continue }
                switch logic.disjoint(filters[a], filters[b]) {
                case .some(true): disjoint.append(.init(a, b))
                case .some(false): break
                case nil: notes.append("could not work out from their filters whether the cohorts of \(names[a]) and \(names[b]) can share people; they are protected as if they could")
                }
            }
        }
        for (_, n, m) in indicatorParts {
            let pair = CohortRelations.Pair(cohortOf[n], cohortOf[m])
            if pair.first != pair.second && !within.contains(pair) {
                within.append(pair)
                stated.append(pair)
            }
        }
        var problems: [SpecProblem] = []
        let publishedDims = members.map { group in Array(Set(group.flatMap { drafts[$0].dimensions })).sorted() }
        let cohortsDrafts = members.indices.map { c in (published: publishedDims[c], measure: Self.measure(spec, drafts[members[c][0]].sumColumn)) }
        let relations = CohortRelations(within: within, disjoint: disjoint)
        let zeros = Self.structuralZeros(
            spec, logic: logic, filters: filters, layout: CohortLayout(dimensions: spec.dimensions.map(\.dimension), cohorts: cohortsDrafts, relations: relations))
        let layout = CohortLayout(dimensions: spec.dimensions.map(\.dimension), cohorts: cohortsDrafts, relations: relations, zeros: zeros)
        var cohorts: [PlannedCohort] = []
        var tables = [PlannedTable?](repeating: nil, count: drafts.count)
        for (c, group) in members.enumerated() {
            let first = drafts[group[0]]
            let block = layout.blocks[c]
            let cellCount = block.dimensions.reduce(1.0) { $0 * Double(layout.dimensions[$1].nodeCount) }
            guard cellCount <= Double(Self.maximumCohortCells) else {
                let names = group.map { "'\(drafts[$0].name)'" }.joined(separator: ", ")
                let linking = block.dimensions.count > publishedDims[c].count ? " and those linking them to related cohorts" : ""
                problems.append(SpecProblem(
                    first.location,
                    "\(group.count == 1 ? "table" : "tables") \(names) count the same cohort, so they are linked and protected together over all their dimensions\(linking) "
                        + "(\(block.dimensions.map { spec.dimensions[$0].name }.joined(separator: " x "))), which would make \(Int(cellCount)) cells; "
                        + "the limit is \(Self.maximumCohortCells): use fewer dimensions in these tables"))
                continue
            }
            var published = [Bool](repeating: false, count: block.shape.cellCount)
            for t in group {
                let d = drafts[t]
                let tableShape = TableShape(dimensions: d.dimensions.map { spec.dimensions[$0].dimension })!
                let cells = Self.projection(table: tableShape, dimensions: d.dimensions, cohort: block.shape, cohortDimensions: block.dimensions)
                for cell in cells { published[cell] = true }
                tables[t] = PlannedTable(
                    name: d.name, title: d.title, cohort: c, dimensions: d.dimensions, shape: tableShape, declared: d.declared, cohortCells: cells)
            }
            cohorts.append(PlannedCohort(
                filter: first.filter, text: first.text, measure: block.measure, sumColumn: first.sumColumn, publishedDimensions: publishedDims[c],
                dimensions: block.dimensions, shape: block.shape, tables: group, published: published, label: first.name))
        }
        if !problems.isEmpty { throw SpecProblems(problems: problems) }
        self.cohorts = cohorts
        self.tables = tables.map { $0! }
        self.layout = layout
        self.stated = stated
        self.notes = notes
        indicators = indicatorParts.map { i, n, m in
            PlannedIndicator(spec: i, numerator: n, denominator: m, decimals: i.decimals ?? spec.protection.percentDecimals)
        }
    }

    /// Where the filters leave a cohort, or a family's complement, empty in some categories
    /// of a dimension whose column they test (aged 18 or over: nobody in the 14-17 band),
    /// for the dimensions of each cohort's component.
    static func structuralZeros(_ spec: ReleaseSpec, logic: FilterLogic, filters: [FilterExpression?], layout: CohortLayout) -> StructuralZeros {
        var tested = Set<String>()
        for f in filters { for (name, _) in f?.names ?? [] { tested.insert(name) } }
        var componentDims: [Int: Set<Int>] = [:]
        for (c, block) in layout.blocks.enumerated() { componentDims[layout.components[c], default: []].formUnion(block.published) }
        /// The leaves of dimension `d` where no row passes `filter` and fails every one of `excluded`.
        func empty(_ filter: FilterExpression?, excluding excluded: [FilterExpression?], _ d: Int) -> Set<Int> {
            let dim = spec.dimensions[d]
            let column = spec.columns[dim.column].name
            var leaves = Set<Int>()
            for leaf in 0..<dim.dimension.leafCount {
                let restriction: FilterLogic.Restriction = dim.isBanded
                    ? .range(dim.bands[leaf].lower, dim.bands[leaf].upper) : .codes([dim.dimension.codes[leaf]])
                if logic.satisfiable(filter, excluding: excluded, where: [column: restriction]) == false { leaves.insert(leaf) }
            }
            return leaves.count < dim.dimension.leafCount ? leaves : []
        }
        var zeros = StructuralZeros()
        for c in layout.blocks.indices {
            for d in componentDims[layout.components[c]]!.sorted() where tested.contains(spec.columns[spec.dimensions[d].column].name) {
                let leaves = empty(filters[c], excluding: [], d)
                if !leaves.isEmpty { zeros.cohorts[c, default: []].append(.init(dimension: d, leaves: leaves)) }
            }
        }
        for family in layout.families where family.emptyComplement == nil {
            for d in componentDims[layout.components[family.parent]]!.sorted() where tested.contains(spec.columns[spec.dimensions[d].column].name) {
                let leaves = empty(filters[family.parent], excluding: family.parts.map { filters[$0] }, d)
                if !leaves.isEmpty { zeros.complements[[family.parent] + family.parts.sorted(), default: []].append(.init(dimension: d, leaves: leaves)) }
            }
        }
        return zeros
    }

    /// The measure of a table summing `column` (nil: counting people).
    static func measure(_ spec: ReleaseSpec, _ column: Int?) -> Measure {
        column.map { .sum(column: spec.columns[$0].name, places: spec.columns[$0].type.scale) } ?? .count
    }

    /// What the spec's filters can be compared with: each column's type and declared values.
    public static func logic(_ spec: ReleaseSpec) -> FilterLogic {
        var domains: [String: FilterLogic.Domain] = [:]
        for (i, column) in spec.columns.enumerated() {
            switch column.type {
            case .identifier: continue
            case .category: domains[column.name] = .category(values: spec.declaredValues[i].isEmpty ? nil : spec.declaredValues[i])
            case .integer, .decimal: domains[column.name] = .number(places: column.type.scale)
            }
        }
        // One person can be in several partners' extracts.
        return FilterLogic(domains: domains, rowVarying: spec.partnerColumn.map { [spec.columns[$0].name] } ?? [])
    }

    /// The cohort cell of every table cell: the table's categories, and the total in the
    /// cohort's other dimensions. (Categories are matched by code: a cohort's dimension may
    /// have a hidden leaf the table's lacks.)
    static func projection(table: TableShape, dimensions: [Int], cohort: TableShape, cohortDimensions: [Int]) -> [Int] {
        var base = 0
        for (k, d) in cohortDimensions.enumerated() where !dimensions.contains(d) {
            base += cohort.dimensions[k].total * cohort.strides[k]
        }
        // Per table dimension, its stride in the cohort and each node's cohort node.
        let positions = dimensions.map { d in cohortDimensions.firstIndex(of: d)! }
        let strides = positions.map { cohort.strides[$0] }
        let nodes = zip(table.dimensions, positions).map { dim, k in dim.codes.map { cohort.dimensions[k].node($0)! } }
        return (0..<table.cellCount).map { cell in
            var result = base
            for (j, node) in table.nodes(of: cell).enumerated() { result += nodes[j][node] * strides[j] }
            return result
        }
    }

    /// Replaces cohort references by their definitions (the spec has no cycles by now).
    static func expand(_ e: FilterExpression, _ cohorts: [String: FilterExpression]) -> FilterExpression {
        switch e {
        case .and(let a, let b): return .and(expand(a, cohorts), expand(b, cohorts))
        case .or(let a, let b): return .or(expand(a, cohorts), expand(b, cohorts))
        case .not(let a): return .not(expand(a, cohorts))
        case .reference(let name, _): return cohorts[name].map { expand($0, cohorts) } ?? e
        case .compare, .member, .missing: return e
        }
    }

    /// The tables of a cohort, for messages: "table 'x'" or "tables 'x', 'y'".
    public func describe(cohort c: Int) -> String {
        let names = cohorts[c].tables.map { "'\(tables[$0].name)'" }
        return (names.count == 1 ? "table " : "tables ") + names.joined(separator: ", ")
    }

    /// The tables of a component (cohorts linked by relations, classified together), for
    /// messages: its first three tables, and how many more.
    public func describe(component k: Int) -> String {
        let names = cohorts.indices.filter { component[$0] == k }.flatMap { cohorts[$0].tables }.map { "'\(tables[$0].name)'" }
        if names.count <= 3 { return (names.count == 1 ? "table " : "tables ") + names.joined(separator: ", ") }
        return "tables " + names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more linked to them"
    }

    /// A group counted by subtraction, for messages: "indicator 'x' (denominator minus
    /// numerator)" or "group 'a' minus 'b', 'c'" (each cohort by its first table).
    public func describe(group plus: Int, minus: [Int]) -> String {
        if minus.count == 1, let indicator = indicators.first(where: { tables[$0.numerator].cohort == minus[0] && tables[$0.denominator].cohort == plus }) {
            return "indicator '\(indicator.spec.name)' (denominator minus numerator)"
        }
        return "group '\(cohorts[plus].label)' minus " + minus.map { "'\(cohorts[$0].label)'" }.joined(separator: ", ")
    }

    /// Per cohort, its component: cohorts linked by relations, numbered from 0.
    public var component: [Int] {
        var numbers: [Int: Int] = [:]
        return layout.components.map { root in
            if let n = numbers[root] { return n }
            numbers[root] = numbers.count
            return numbers.count - 1
        }
    }

    /// The true values of a table: its cells of the cohort table.
    public func project(_ cohort: AggregatedTable, table t: Int) -> AggregatedTable {
        let table = tables[t]
        let cells = table.cohortCells
        let k = cohort.topCount
        var top: [Int64] = []
        if k > 0 {
            top.reserveCapacity(cells.count * k)
            for c in cells { top.append(contentsOf: cohort.top[(c * k)..<((c + 1) * k)]) }
        }
        return AggregatedTable(
            shape: table.shape, measure: cohort.measure, values: cells.map { cohort.values[$0] },
            contributorCounts: cohort.measure.isMagnitude ? cells.map { cohort.contributorCounts[$0] } : [], topCount: k, top: top)
    }

    /// The columns any table, filter or dimension reads.
    public var usedColumns: Set<Int> {
        var used: Set<Int> = [spec.privacyUnit]
        let names = Dictionary(spec.columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for c in cohorts {
            for d in c.dimensions { used.insert(spec.dimensions[d].column) }
            if let s = c.sumColumn { used.insert(s) }
            for (name, _) in c.filter?.names ?? [] { if let i = names[name] { used.insert(i) } }
        }
        return used
    }
}
