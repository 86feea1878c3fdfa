import DiscreetCore

/// A table the release computes: a declared table, or the numerator or denominator of an
/// indicator. Identical tables (same cohort, measure and dimensions) are computed once.
public struct PlannedTable: Sendable {
    /// The name in outputs: the declared name, or `indicator.part` for an indicator's own table.
    public var name: String
    public var title: String?
    /// The cohort filter with cohort references expanded; nil for every row.
    public var filter: FilterExpression?
    public var measure: Measure
    /// The summed column of a magnitude table.
    public var sumColumn: Int?
    /// Indices into the spec's dimensions.
    public var dimensions: [Int]
    public var shape: TableShape
    /// Whether the spec declares this table (it is then written as a table of its own).
    public var declared: Bool

    /// A key equal for tables that compute the same cells.
    var identity: String {
        "\(filter?.description ?? "*")|\(sumColumn.map(String.init) ?? "count")|\(dimensions.map(String.init).joined(separator: ","))"
    }
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
    public let spec: ReleaseSpec
    public let tables: [PlannedTable]
    public let indicators: [PlannedIndicator]

    public init(spec: ReleaseSpec) {
        self.spec = spec
        let cohorts = Dictionary(spec.cohorts.map { ($0.name, $0.expression) }, uniquingKeysWith: { a, _ in a })
        var tables: [PlannedTable] = []
        var byIdentity: [String: Int] = [:]
        func add(_ table: PlannedTable) -> Int {
            if let existing = byIdentity[table.identity] {
                if table.declared && !tables[existing].declared {
                    tables[existing].declared = true
                    tables[existing].name = table.name
                    tables[existing].title = table.title
                }
                return existing
            }
            byIdentity[table.identity] = tables.count
            tables.append(table)
            return tables.count - 1
        }
        func dims(_ names: [String]) -> [Int] {
            names.map { name in spec.dimensions.firstIndex { $0.name == name }! }
        }
        func shape(_ dims: [Int]) -> TableShape {
            TableShape(dimensions: dims.map { spec.dimensions[$0].dimension })!
        }
        for t in spec.tables {
            let d = dims(t.by)
            let measure: Measure = t.sum.map { .sum(column: spec.columns[$0].name, places: spec.columns[$0].type.scale) } ?? .count
            _ = add(PlannedTable(
                name: t.name, title: t.title, filter: t.filter.map { Self.expand($0, cohorts) }, measure: measure,
                sumColumn: t.sum, dimensions: d, shape: shape(d), declared: true))
        }
        var indicators: [PlannedIndicator] = []
        for i in spec.indicators {
            let d = dims(i.by)
            let numerator = add(PlannedTable(
                name: "\(i.name).numerator", title: i.title, filter: Self.expand(i.numerator, cohorts), measure: .count,
                sumColumn: nil, dimensions: d, shape: shape(d), declared: false))
            let denominator = add(PlannedTable(
                name: "\(i.name).denominator", title: i.title, filter: Self.expand(i.denominator, cohorts), measure: .count,
                sumColumn: nil, dimensions: d, shape: shape(d), declared: false))
            indicators.append(PlannedIndicator(
                spec: i, numerator: numerator, denominator: denominator, decimals: i.decimals ?? spec.protection.percentDecimals))
        }
        self.tables = tables
        self.indicators = indicators
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

    /// The columns any table, filter or dimension reads (the rest of an extract is skipped).
    public var usedColumns: Set<Int> {
        var used: Set<Int> = [spec.privacyUnit]
        let names = Dictionary(spec.columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for t in tables {
            for d in t.dimensions { used.insert(spec.dimensions[d].column) }
            if let s = t.sumColumn { used.insert(s) }
            for (name, _) in t.filter?.names ?? [] { if let c = names[name] { used.insert(c) } }
        }
        return used
    }
}
