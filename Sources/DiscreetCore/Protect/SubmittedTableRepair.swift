/// Repairs a count table a partner made (`discreet check --fix`): the published counts the
/// primary rules call sensitive are withheld, then further published cells, few and
/// small, until ``SubmittedTableCheck`` finds nothing: no withheld cell a reader works out
/// exactly or knows to be small.
///
/// The secondary suppressor proposes the pattern, on the table completed where it shows no
/// count (each unknown cell set in turn to the least count the rest allows, 1 where that
/// allows it, so that a cell the partner withheld counts as small): with every count
/// known (a first draft with nothing withheld), it is what `discreet protect` withholds.
/// The exact check is the judge, since the completion may not be the truth: while it
/// finds a cell exposed, the published cell sharing a relation with it that leaves fewest
/// findings (then the smallest, then the first) is withheld too; a last pass publishes
/// again each complementary cell, the largest first, where the check still finds nothing.
/// Whatever it returns passes the check; it is not proven the least.
public enum SubmittedTableRepair {
    /// Why a table cannot be repaired by withholding more.
    public enum Failure: Error, Sendable, Equatable {
        /// A margin is not the sum of its children: the figures need correcting first.
        case marginsDoNotAddUp(Int)
        /// No cell can be withheld to protect this one.
        case noRepair(Int)
    }

    /// The cells to withhold besides those already withheld, in the order chosen: first the
    /// sensitive published counts, then the complementary cells.
    public static func additionalSuppressions(
        shape: TableShape, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:], primary: PrimaryPolicy,
        secondary: SecondaryPolicy = SecondaryPolicy()
    ) throws(Failure) -> [Int] {
        let input = values
        var values = values
        var withheld = withheld
        func check() -> [SubmittedTableFinding] {
            SubmittedTableCheck.run(shape: shape, values: values, withheld: withheld, bounds: bounds, primary: primary)
        }
        var added: [Int] = []
        let first = check()
        if let bad = first.first(where: { if case .marginMismatch = $0.kind { true } else { false } }) { throw .marginsDoNotAddUp(bad.cell) }
        for finding in first {
            guard case .smallPublished = finding.kind else { continue }
            values[finding.cell] = nil
            withheld[finding.cell] = true
            added.append(finding.cell)
        }
        let sensitive = added.count
        // The suppressor's pattern, on the table completed.
        if let complete = completion(shape: shape, values: input, bounds: bounds) {
            let shown = (0..<shape.cellCount).map { input[$0] != nil || withheld[$0] }
            var problem = SuppressionProblem(
                table: AggregatedTable(shape: shape, measure: .count, values: complete), published: shown, primary: primary, secondary: secondary)
            for c in 0..<shape.cellCount where withheld[c] && input[c] == nil { problem.keep(c, withheld: true) }
            var suppressor = SecondarySuppressor(problem: problem, policy: secondary)
            if (try? suppressor.run()) != nil {
                for c in 0..<shape.cellCount where suppressor.statuses[c].disposition.isWithheld && values[c] != nil {
                    values[c] = nil
                    withheld[c] = true
                    added.append(c)
                }
            }
        }
        let relations = shape.relations()
        // Per cell, the cells it shares a relation with.
        var neighbours = [Set<Int>](repeating: [], count: shape.cellCount)
        for r in relations {
            let cells = [r.total] + r.parts
            for c in cells { neighbours[c].formUnion(cells) }
        }
        var findings = check()
        while let target = findings.first {
            if case .contradictory = target.kind { throw .noRepair(target.cell) }
            var best: (count: Int, value: Int64, cell: Int)?
            // Cells sharing a relation with it; failing those, any published cell.
            var candidates = neighbours[target.cell].filter { $0 != target.cell && values[$0] != nil }.sorted()
            if candidates.isEmpty { candidates = (0..<shape.cellCount).filter { values[$0] != nil } }
            for c in candidates {
                guard let v = values[c] else { continue }
                values[c] = nil
                withheld[c] = true
                let left = check().count
                values[c] = v
                withheld[c] = false
                if best.map({ (left, v, c) < ($0.count, $0.value, $0.cell) }) ?? true { best = (left, v, c) }
            }
            guard let best else { throw .noRepair(target.cell) }
            values[best.cell] = nil
            withheld[best.cell] = true
            added.append(best.cell)
            findings = check()
        }
        // Publish again what is not needed, the largest first.
        var needed = Set(added)
        for c in added[sensitive...].sorted(by: { (input[$0]!, $0) > (input[$1]!, $1) }) {
            values[c] = input[c]
            withheld[c] = false
            if check().isEmpty {
                needed.remove(c)
            } else {
                values[c] = nil
                withheld[c] = true
            }
        }
        return added.filter(needed.contains)
    }

    /// Counts for the cells the table does not show (withheld, or absent), consistent with
    /// every figure it shows: each in turn the least the rest allows, or 1 where that is
    /// allowed. Nil where none fits (the figures contradict each other).
    static func completion(shape: TableShape, values: [Int64?], bounds: [Int: CellBounds]) -> [Int64]? {
        var known = values
        for c in 0..<shape.cellCount where known[c] == nil {
            guard let i = IntervalAudit.intervals(shape: shape, values: known, cells: [c], bounds: bounds)[c], let lower = i.lower.ceiling else { return nil }
            let upper = i.upper?.floor ?? .max
            guard lower <= upper else { return nil }
            known[c] = lower == 0 && upper >= 1 ? 1 : lower
        }
        return known.map { $0! }
    }
}
