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
    }

    public var kind: Kind
    /// The table's cell.
    public var cell: Int
    /// For a recoverable cell: the margins whose only withheld part it is (empty where it
    /// takes several relations together).
    public var givenAwayBy: [Int] = []

    public init(kind: Kind, cell: Int, givenAwayBy: [Int] = []) {
        self.kind = kind
        self.cell = cell
        self.givenAwayBy = givenAwayBy
    }

    /// How serious, the most first: a small count in plain sight, then one worked out, then
    /// figures that contradict each other.
    public var severity: Int {
        switch kind {
        case .smallPublished: 0
        case .recoverable: 1
        case .knownSmall: 2
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
            if interval.isExact, let value = interval.lower.floor {
                // The margins it is the only withheld part of, each giving it away alone.
                let alone = relations.filter { r in
                    values[r.total] != nil && (r.parts.contains(cell) ? r.parts.filter { values[$0] == nil } == [cell] : false)
                }.map(\.total)
                findings.append(SubmittedTableFinding(kind: .recoverable(value), cell: cell, givenAwayBy: alone))
                continue
            }
            guard let rule = primary.frequency, let lower = interval.lower.ceiling, lower > 0, let upper = interval.upper?.floor,
                rule.fails(contributors: upper)
            else { continue }
            findings.append(SubmittedTableFinding(kind: .knownSmall(lower: lower, upper: upper), cell: cell))
        }
        return findings.sorted { ($0.severity, $0.cell) < ($1.severity, $1.cell) }
    }
}
