/// What is wrong with a count table a partner made themselves, as a reader of that table
/// alone sees it: its published figures, the cells it withholds, its margins, and the
/// relations of its shape (each margin the sum of its children), nothing of the data.
public struct SubmittedTableFinding: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A published count the frequency rule (or the zero rule) calls sensitive.
        case smallPublished(Int64)
        /// A published margin that is not the sum of its published children.
        case marginMismatch(total: Int64, sum: Int64)
        /// A withheld cell a reader works out exactly from the rest of the table.
        case recoverable(Int64)
        /// A withheld cell a reader knows to be small: its interval holds no zero and no
        /// count the frequency rule leaves alone.
        case knownSmall(lower: Int64, upper: Int64)
        /// The published figures admit no table at all (negative cells would be needed).
        case contradictory
        /// With a release: the people in the release's figure of this cell and not in the
        /// table's (the release's count less the table's), a small group a reader can tell.
        case othersSmall(lower: Int64, upper: Int64)
        /// An indicator's denominator less its numerator (the people counted in the one and
        /// not the other), a small group a reader can tell.
        case complementSmall(lower: Int64, upper: Int64)
        /// A percentage shown where its numerator or denominator is withheld: with the
        /// other, it gives the withheld figure away, near enough.
        case percentageOfWithheld
        /// A percentage that is not its numerator over its denominator (to its places).
        case percentageMismatch

        /// Whether it is a withheld cell worked out exactly.
        var isRecoverable: Bool { if case .recoverable = self { true } else { false } }
    }

    /// Which of an indicator's figures a finding is about (a table's: `table`).
    public enum Part: String, Sendable, Hashable {
        case table, numerator, denominator, complement, percentage
    }

    public var kind: Kind
    /// The table's cell.
    public var cell: Int
    /// For a recoverable cell: the margins whose only withheld part it is (empty where it
    /// takes several relations together).
    public var givenAwayBy: [Int] = []
    /// Whether it shows only next to an earlier release (`--against`): alone, the table
    /// gives it away no more than it is found here.
    public var withRelease = false
    public var part = Part.table

    public init(kind: Kind, cell: Int, givenAwayBy: [Int] = [], withRelease: Bool = false, part: Part = .table) {
        self.kind = kind
        self.cell = cell
        self.givenAwayBy = givenAwayBy
        self.withRelease = withRelease
        self.part = part
    }

    /// How serious, the most first: a small count in plain sight, then one worked out, then
    /// figures that contradict each other.
    public var severity: Int {
        switch kind {
        case .smallPublished: 0
        case .recoverable: 1
        case .othersSmall, .complementSmall, .percentageOfWithheld: 2
        case .knownSmall: 2
        case .percentageMismatch: 3
        case .marginMismatch: 3
        case .contradictory: 4
        }
    }
}

/// The check of a count table a partner made, before they submit it (`discreet check`): a
/// published count the primary rules call sensitive, a margin that does not add up, and a
/// withheld cell a reader of the table can work out exactly or knows to be small. Intervals
/// are exact (``DisclosureAudit``: elimination, then the exact simplex over the table's
/// relations and non-negativity).
public enum SubmittedTableCheck {
    /// Findings for a table of `shape` showing `values` (nil: withheld, or not in the file)
    /// and withholding `withheld`, under `primary`; `bounds` are what the table states of
    /// withheld cells besides (a cell shown as "fewer than 5"). Most serious first, then in
    /// cell order.
    public static func run(shape: TableShape, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:], primary: PrimaryPolicy) -> [SubmittedTableFinding] {
        var findings: [SubmittedTableFinding] = []
        for cell in 0..<shape.cellCount {
            guard let v = values[cell] else { continue }
            let small = primary.frequency?.fails(contributors: v) ?? false
            if small || (v == 0 && primary.zeros == .withhold) { findings.append(SubmittedTableFinding(kind: .smallPublished(v), cell: cell)) }
        }
        let report = DisclosureAudit.run(PublishedQuantity(shape: shape, values: values, withheld: withheld, bounds: bounds))
        let relations = shape.relations()
        for total in report.inconsistent {
            for relation in relations where relation.total == total {
                let sum = relation.parts.reduce(Int64(0)) { $0 + (values[$1] ?? 0) }
                if sum != values[total]! {
                    findings.append(SubmittedTableFinding(kind: .marginMismatch(total: values[total]!, sum: sum), cell: total))
                    break
                }
            }
        }
        for cell in report.contradicted { findings.append(SubmittedTableFinding(kind: .contradictory, cell: cell)) }
        for (cell, interval) in report.intervals.sorted(by: { $0.key < $1.key }) {
            guard let kind = exposure(interval, primary) else { continue }
            // The margins it is the only withheld part of, each giving it away alone.
            let alone = kind.isRecoverable
                ? relations.filter { r in values[r.total] != nil && r.parts.contains(cell) && r.parts.filter { values[$0] == nil } == [cell] }.map(\.total)
                : []
            findings.append(SubmittedTableFinding(kind: kind, cell: cell, givenAwayBy: alone))
        }
        return findings.sorted { ($0.severity, $0.cell) < ($1.severity, $1.cell) }
    }

    /// What the table gives away next to a release already published that counts its people
    /// and others in the same cells (the combined dashboard a partner's table is part of):
    /// `combined` is that release's figure per cell (nil: withheld, or not published). Each
    /// of the table's cells is then its people plus the others', both never negative, and a
    /// reader subtracts. Reports what the table alone does not give away (as ``run`` finds
    /// it): a withheld cell worked out exactly or known to be small, and the others in a
    /// cell (the release's count less the table's) known to be a small group.
    public static func against(
        shape: TableShape, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:], combined: [Int64?], primary: PrimaryPolicy
    ) -> [SubmittedTableFinding] {
        let n = shape.cellCount
        precondition(values.count == n && combined.count == n)
        let alone = run(shape: shape, values: values, withheld: withheld, bounds: bounds, primary: primary)
        // Unknowns: the table's cells (0..<n), the others' (n..<2n), the release's (2n..<3n).
        let view = nestedView(shape: shape, inner: values, outer: combined, innerBounds: bounds)
        let cells = (0..<n).filter { withheld[$0] }
        let others = (0..<n).filter { values[$0] != nil || withheld[$0] || combined[$0] != nil }
        let found = IntervalAudit.intervals(view, of: cells.map { [($0, Rational.one)] } + others.map { [(n + $0, Rational.one)] })
        var findings: [SubmittedTableFinding] = []
        // A release counting fewer than the table in a cell both publish: they cannot both be
        // true (and no interval follows from figures that contradict each other).
        let contradicted = (0..<n).filter { c in values[c].map { v in combined[c].map { $0 < v } ?? false } ?? false }
        guard contradicted.isEmpty else { return contradicted.map { SubmittedTableFinding(kind: .contradictory, cell: $0, withRelease: true) } }
        let before = Set(alone.map(\.cell))
        for (cell, interval) in zip(cells, found.prefix(cells.count)) where !before.contains(cell) {
            guard let interval else {
                findings.append(SubmittedTableFinding(kind: .contradictory, cell: cell, withRelease: true))
                continue
            }
            if let kind = exposure(interval, primary) { findings.append(SubmittedTableFinding(kind: kind, cell: cell, withRelease: true)) }
        }
        for (cell, interval) in zip(others, found.suffix(others.count)) {
            guard let interval, let range = knownSmall(interval, primary) else { continue }
            findings.append(SubmittedTableFinding(kind: .othersSmall(lower: range.lower, upper: range.upper), cell: cell, withRelease: true))
        }
        return findings.sorted { ($0.severity, $0.cell) < ($1.severity, $1.cell) }
    }

    /// Two tables of one shape, the people of the inner within the outer's (a partner's
    /// table within the combined release; a numerator within its denominator), as one
    /// linear system: unknowns the inner's cells (0..<n), the outer's less the inner's
    /// (n..<2n, never negative), and the outer's (2n..<3n), each block adding up along the
    /// shape's relations; the published figures known, and the bounds each table states.
    static func nestedView(shape: TableShape, inner: [Int64?], outer: [Int64?], innerBounds: [Int: CellBounds], outerBounds: [Int: CellBounds] = [:]) -> LinearView {
        let n = shape.cellCount
        var relations: [[(variable: Int, coefficient: Rational)]] = []
        for block in 0..<3 {
            for r in shape.relations() { relations.append([(block * n + r.total, .one)] + r.parts.map { (block * n + $0, -Rational.one) }) }
        }
        for c in 0..<n { relations.append([(2 * n + c, .one), (c, -.one), (n + c, -.one)]) }
        let known: [Rational?] = inner.map { $0.map { Rational($0) } } + [Rational?](repeating: nil, count: n) + outer.map { $0.map { Rational($0) } }
        var bounds = innerBounds
        for (c, b) in outerBounds { bounds[2 * n + c] = b }
        return LinearView(count: 3 * n, relations: relations, values: known, bounds: bounds)
    }

    /// What a reader learns of a withheld count from its interval: its value (recoverable),
    /// or that it is small (known small), or nothing that matters.
    static func exposure(_ interval: FeasibilityInterval, _ primary: PrimaryPolicy) -> SubmittedTableFinding.Kind? {
        if interval.isExact, let v = interval.lower.floor { return .recoverable(v) }
        return knownSmall(interval, primary).map { .knownSmall(lower: $0.lower, upper: $0.upper) }
    }

    /// The range a count (or a group's) lies in, where it holds no zero and every count in
    /// it fails the frequency rule: a reader knows the group is there, and small.
    static func knownSmall(_ interval: FeasibilityInterval, _ primary: PrimaryPolicy) -> (lower: Int64, upper: Int64)? {
        guard let rule = primary.frequency, let lower = interval.lower.ceiling, lower > 0, let upper = interval.upper?.floor,
            rule.fails(contributors: upper)
        else { return nil }
        return (lower, upper)
    }

    /// An indicator's counts as a submitted table shows them.
    public struct Counts: Sendable {
        public var values: [Int64?]
        public var withheld: [Bool]
        public var bounds: [Int: CellBounds]

        public init(values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:]) {
            self.values = values
            self.withheld = withheld
            self.bounds = bounds
        }
    }

    /// An indicator's check ("No and %"): its numerators and its denominators each as a
    /// table (``run``), then together, each numerator within its denominator: a withheld
    /// figure the two give away only together, a denominator less its numerator that is a
    /// small group, and each percentage shown: of a withheld figure, or not what its figures
    /// give (`percentages`: per cell, the value shown in units of its last decimal place,
    /// and its places).
    public static func indicator(
        shape: TableShape, numerators: Counts, denominators: Counts, percentages: [(units: Int64, places: Int)?], primary: PrimaryPolicy
    ) -> [SubmittedTableFinding] {
        let n = shape.cellCount
        func tagged(_ findings: [SubmittedTableFinding], _ part: SubmittedTableFinding.Part) -> [SubmittedTableFinding] {
            findings.map { f in
                var f = f
                f.part = part
                return f
            }
        }
        var findings = tagged(run(shape: shape, values: numerators.values, withheld: numerators.withheld, bounds: numerators.bounds, primary: primary), .numerator)
            + tagged(run(shape: shape, values: denominators.values, withheld: denominators.withheld, bounds: denominators.bounds, primary: primary), .denominator)
        let contradicted = (0..<n).filter { c in numerators.values[c].map { v in denominators.values[c].map { $0 < v } ?? false } ?? false }
        if !contradicted.isEmpty { return findings + contradicted.map { SubmittedTableFinding(kind: .contradictory, cell: $0, part: .complement) } }
        // Unknowns: numerators (0..<n), complements (n..<2n), denominators (2n..<3n).
        let view = nestedView(shape: shape, inner: numerators.values, outer: denominators.values, innerBounds: numerators.bounds, outerBounds: denominators.bounds)
        let top = (0..<n).filter { numerators.withheld[$0] }
        let bottom = (0..<n).filter { denominators.withheld[$0] }
        let shown = (0..<n).filter { numerators.values[$0] != nil || numerators.withheld[$0] || denominators.values[$0] != nil || denominators.withheld[$0] }
        let objectives = top.map { [($0, Rational.one)] } + bottom.map { [(2 * n + $0, Rational.one)] } + shown.map { [(n + $0, Rational.one)] }
        let found = IntervalAudit.intervals(view, of: objectives)
        let already = Set(findings.map { "\($0.part.rawValue)|\($0.cell)" })
        for (k, (cell, part)) in (top.map { ($0, SubmittedTableFinding.Part.numerator) } + bottom.map { ($0, SubmittedTableFinding.Part.denominator) }).enumerated() {
            guard !already.contains("\(part.rawValue)|\(cell)"), let interval = found[k] else { continue }
            if let kind = exposure(interval, primary) { findings.append(SubmittedTableFinding(kind: kind, cell: cell, part: part)) }
        }
        for (cell, interval) in zip(shown, found.suffix(shown.count)) {
            guard let interval, let range = knownSmall(interval, primary) else { continue }
            findings.append(SubmittedTableFinding(kind: .complementSmall(lower: range.lower, upper: range.upper), cell: cell, part: .complement))
        }
        for c in 0..<n {
            guard c < percentages.count, let shown = percentages[c] else { continue }
            guard let top = numerators.values[c], let bottom = denominators.values[c] else {
                findings.append(SubmittedTableFinding(kind: .percentageOfWithheld, cell: c, part: .percentage))
                continue
            }
            // Within half a unit of its last place of 100 x numerator / denominator.
            let exact = bottom == 0 ? Double.nan : 100 * Double(top) / Double(bottom)
            let half = 0.5 * pow10(-shown.places) + 1e-9
            if !(abs(Double(shown.units) * pow10(-shown.places) - exact) <= half) {
                findings.append(SubmittedTableFinding(kind: .percentageMismatch, cell: c, part: .percentage))
            }
        }
        return findings.sorted { ($0.severity, $0.cell, $0.part.rawValue) < ($1.severity, $1.cell, $1.part.rawValue) }
    }
}

/// 10 to a whole power.
private func pow10(_ k: Int) -> Double {
    var x = 1.0
    for _ in 0..<abs(k) { x *= 10 }
    return k < 0 ? 1 / x : x
}
