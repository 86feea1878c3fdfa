/// A group of people whose number changed between two releases of the same table by a
/// small amount that a reader can work out exactly, by subtracting the earlier release's
/// figures from the later one's (this month minus last month).
public struct FigureChange: Sendable, Hashable {
    /// What the group is.
    public enum Kind: String, Sendable, Hashable {
        /// One cell both releases publish exactly.
        case figure
        /// The cells of one relation (a total and its parts) that either release withholds:
        /// the total less the other parts, in both releases.
        case withheld
    }

    public var kind: Kind
    /// The table's cells the group is (in cell order).
    public var cells: [Int]
    /// The later release's count of the group less the earlier one's.
    public var change: Int64

    public init(kind: Kind, cells: [Int], change: Int64) {
        self.kind = kind
        self.cells = cells
        self.change = change
    }
}

/// What subtracting one release of a count table from the next tells: the two releases
/// count different people (last month's cohort and this month's), so no cell of either is
/// told by the other, but a group's change is told exactly wherever both releases tell the
/// group's count exactly. A change that is small (one the frequency rule would call
/// sensitive as a count) isolates a few people who joined or left the group.
///
/// The groups checked are those a single relation of the table tells in both releases:
/// each cell both publish exactly, and for each relation (a total both publish, and its
/// parts) the parts either withholds, together (the total less the parts both publish).
/// Chains of relations are not followed: the figures are compared relation by relation,
/// as a reader with last month's dashboard and this month's would.
public enum ReleaseChange {
    /// The groups whose change between the releases is not zero and fails `rule` as a
    /// count. `previous` and `current` are the table's published figures, cell by cell,
    /// nil where withheld or not told exactly (a rounded figure); both for one shape.
    public static func smallChanges(shape: TableShape, previous: [Int64?], current: [Int64?], rule: FrequencyRule) -> [FigureChange] {
        precondition(previous.count == shape.cellCount && current.count == shape.cellCount)
        func change(_ cell: Int) -> Int64? {
            guard let before = previous[cell], let now = current[cell] else { return nil }
            return now - before
        }
        func small(_ d: Int64) -> Bool { d != 0 && rule.fails(contributors: d.magnitude > UInt64(Int64.max) ? .max : Int64(d.magnitude)) }
        var found: [FigureChange] = []
        for cell in 0..<shape.cellCount {
            if let d = change(cell), small(d) { found.append(FigureChange(kind: .figure, cells: [cell], change: d)) }
        }
        var seen = Set<[Int]>()
        for relation in shape.relations() {
            guard var d = change(relation.total) else { continue }
            var group: [Int] = []
            for part in relation.parts {
                if let c = change(part) { d -= c } else { group.append(part) }
            }
            // No part withheld: the total's change is the parts'; all withheld: it is the
            // total's own, checked above.
            guard !group.isEmpty, group.count < relation.parts.count else { continue }
            group.sort()
            guard seen.insert(group).inserted, small(d) else { continue }
            found.append(FigureChange(kind: .withheld, cells: group, change: d))
        }
        return found
    }
}
