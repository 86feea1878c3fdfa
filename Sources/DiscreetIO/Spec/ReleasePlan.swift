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
/// table of the cohort uses. Tables of a cohort are its projections (their cells are cells
/// of the cohort table), so they are aggregated once, agree on shared cells, and are
/// protected together: an attacker who reads all of them learns no more than the
/// relations of the cohort table tell.
public struct PlannedCohort: Sendable {
    /// The cohort filter with cohort references expanded; nil for every row.
    public var filter: FilterExpression?
    public var measure: Measure
    /// The summed column of a magnitude cohort.
    public var sumColumn: Int?
    /// Indices into the spec's dimensions, in spec order.
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

    public let spec: ReleaseSpec
    public let cohorts: [PlannedCohort]
    public let tables: [PlannedTable]
    public let indicators: [PlannedIndicator]

    /// Plans the release; fails when the tables of one cohort together need a cohort table
    /// too large to hold.
    public init(spec: ReleaseSpec) throws(SpecProblems) {
        self.spec = spec
        let cohortDefinitions = Dictionary(spec.cohorts.map { ($0.name, $0.expression) }, uniquingKeysWith: { a, _ in a })
        struct Draft {
            var name: String
            var title: String?
            var filter: FilterExpression?
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
                name: t.name, title: t.title, filter: t.filter.map { Self.expand($0, cohortDefinitions) }, sumColumn: t.sum,
                dimensions: dims(t.by), declared: true, location: t.location))
        }
        var indicatorParts: [(IndicatorSpec, Int, Int)] = []
        for i in spec.indicators {
            let d = dims(i.by)
            let n = add(Draft(
                name: "\(i.name).numerator", title: i.title, filter: Self.expand(i.numerator, cohortDefinitions), sumColumn: nil,
                dimensions: d, declared: false, location: i.location))
            let m = add(Draft(
                name: "\(i.name).denominator", title: i.title, filter: Self.expand(i.denominator, cohortDefinitions), sumColumn: nil,
                dimensions: d, declared: false, location: i.location))
            indicatorParts.append((i, n, m))
        }

        // Group the tables by cohort and measure.
        var cohortIndex: [String: Int] = [:]
        var members: [[Int]] = []
        for (t, d) in drafts.enumerated() {
            let key = "\(d.filter?.description ?? "*")|\(d.sumColumn.map(String.init) ?? "count")"
            if let c = cohortIndex[key] {
                members[c].append(t)
            } else {
                cohortIndex[key] = members.count
                members.append([t])
            }
        }
        var problems: [SpecProblem] = []
        var cohorts: [PlannedCohort] = []
        var tables = [PlannedTable?](repeating: nil, count: drafts.count)
        for group in members {
            let first = drafts[group[0]]
            let union = Array(Set(group.flatMap { drafts[$0].dimensions })).sorted()
            let dimensions = union.map { spec.dimensions[$0].dimension }
            let cellCount = dimensions.reduce(1.0) { $0 * Double($1.nodeCount) }
            guard cellCount <= Double(Self.maximumCohortCells), let shape = TableShape(dimensions: dimensions) else {
                let names = group.map { "'\(drafts[$0].name)'" }.joined(separator: ", ")
                problems.append(SpecProblem(
                    first.location,
                    "tables \(names) count the same cohort, so they are linked and protected together over all their dimensions "
                        + "(\(union.map { spec.dimensions[$0].name }.joined(separator: " x "))), which would make \(Int(cellCount)) cells; "
                        + "the limit is \(Self.maximumCohortCells): use fewer dimensions in these tables"))
                continue
            }
            let measure: Measure = first.sumColumn.map { .sum(column: spec.columns[$0].name, places: spec.columns[$0].type.scale) } ?? .count
            var published = [Bool](repeating: false, count: shape.cellCount)
            for t in group {
                let d = drafts[t]
                let tableShape = TableShape(dimensions: d.dimensions.map { spec.dimensions[$0].dimension })!
                let cells = Self.projection(table: tableShape, dimensions: d.dimensions, cohort: shape, cohortDimensions: union)
                for c in cells { published[c] = true }
                tables[t] = PlannedTable(
                    name: d.name, title: d.title, cohort: cohorts.count, dimensions: d.dimensions, shape: tableShape,
                    declared: d.declared, cohortCells: cells)
            }
            cohorts.append(PlannedCohort(
                filter: first.filter, measure: measure, sumColumn: first.sumColumn, dimensions: union, shape: shape,
                tables: group, published: published, label: first.name))
        }
        if !problems.isEmpty { throw SpecProblems(problems: problems) }
        self.cohorts = cohorts
        self.tables = tables.map { $0! }
        indicators = indicatorParts.map { i, n, m in
            PlannedIndicator(spec: i, numerator: n, denominator: m, decimals: i.decimals ?? spec.protection.percentDecimals)
        }
    }

    /// The cohort cell of every table cell: the table's nodes, and the total in the
    /// cohort's other dimensions.
    static func projection(table: TableShape, dimensions: [Int], cohort: TableShape, cohortDimensions: [Int]) -> [Int] {
        var base = 0
        for (k, d) in cohortDimensions.enumerated() where !dimensions.contains(d) {
            base += cohort.dimensions[k].total * cohort.strides[k]
        }
        // The cohort stride of each of the table's dimensions, in the table's order.
        let strides = dimensions.map { d in cohort.strides[cohortDimensions.firstIndex(of: d)!] }
        return (0..<table.cellCount).map { cell in
            zip(table.nodes(of: cell), strides).reduce(base) { $0 + $1.0 * $1.1 }
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
