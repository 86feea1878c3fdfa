/// One dimension's part of a product perturbation: nodes with a sign each, chosen so that
/// every group of the dimension still equals the sum of its children.
///
/// Three kinds keep that balance: a node and a sibling with opposite signs (their parent
/// is unchanged); a node and all its ancestors with the same sign; a path from the total
/// down to a leaf. A group node in a move always brings a path down to a leaf with it.
public struct DimensionMove: Sendable, Hashable {
    public var nodes: [Int]
    public var signs: [Int8]

    public init(nodes: [Int], signs: [Int8]) {
        precondition(nodes.count == signs.count)
        self.nodes = nodes
        self.signs = signs
    }
}

/// A change to a table that keeps every one of its relations: cells with a sign each (+1
/// or -1); cells not listed do not change. Added to the true table, scaled by an amount, it
/// gives another table consistent with every relation: the witness that a withheld cell
/// could take that value.
///
/// The suppressor builds them as products of one move per dimension, or as a cycle in the
/// plane of two dimensions times one move in each other, or as a sum of such cycles with
/// whole-number amounts (a *flow*: where no single cycle can carry a cell's whole protection,
/// because every route has a cell too small to move that far, several routes carry part of
/// it each); the audit checks the cells, signs and amounts against the table's relations,
/// whatever built them.
public struct Perturbation: Sendable, Hashable {
    /// The changed cells, each once.
    public var cells: [Int]
    /// The sign of each changed cell's change.
    public var signs: [Int8]
    /// How much each cell changes, per cell (a positive whole number); nil when every cell
    /// changes by one unit.
    public var weights: [Int64]?

    public init(cells: [Int], signs: [Int8], weights: [Int64]? = nil) {
        precondition(cells.count == signs.count && (weights == nil || weights!.count == cells.count))
        self.cells = cells
        self.signs = signs
        self.weights = weights
    }

    /// Every changed cell with its change (its sign times its weight).
    public var amounts: [(cell: Int, change: Int64)] {
        cells.indices.map { (cells[$0], Int64(signs[$0]) * (weights?[$0] ?? 1)) }
    }

    /// The product of one move per dimension: a cell changes by the product of its nodes'
    /// signs.
    public init(moves: [DimensionMove], in shape: TableShape) {
        precondition(moves.count == shape.dimensions.count)
        var cells = [0]
        var signs: [Int8] = [1]
        for (d, move) in moves.enumerated() {
            var nextCells: [Int] = []
            var nextSigns: [Int8] = []
            nextCells.reserveCapacity(cells.count * move.nodes.count)
            nextSigns.reserveCapacity(cells.count * move.nodes.count)
            for (base, sign) in zip(cells, signs) {
                for (node, s) in zip(move.nodes, move.signs) {
                    nextCells.append(base + node * shape.strides[d])
                    nextSigns.append(sign * s)
                }
            }
            cells = nextCells
            signs = nextSigns
        }
        self.init(cells: cells, signs: signs)
    }

    /// Every changed cell with its sign.
    public var changes: Zip2Sequence<[Int], [Int8]> { zip(cells, signs) }
}

/// The proof that one sensitive cell is protected: a perturbation that changes only
/// withheld or unpublished cells, and that raises (and, where required, lowers) the cell by
/// its protection levels while every cell stays non-negative. The witness for a direction is
/// the true table plus the perturbation scaled so that the cell moves by exactly its level
/// (for a perturbation with weights, which moves the cell by its weight, the scale is the
/// level over that weight, and must give whole numbers).
///
/// Against a lone contributor who knows its own cell, only a certificate that leaves that
/// cell alone counts; a cell is protected when, for each direction, its certificates
/// together leave every such cell alone in at least one of them.
public struct ProtectionCertificate: Sendable, Hashable {
    public var cell: Int
    public var perturbation: Perturbation
    /// Whether it proves the upper and the lower protection.
    public var up: Bool
    public var down: Bool
    /// The lone-contributor cells the search kept out of it: nil for all of them.
    public var avoiding: Set<Int>?

    public init(cell: Int, perturbation: Perturbation, up: Bool, down: Bool, avoiding: Set<Int>? = nil) {
        self.cell = cell
        self.perturbation = perturbation
        self.up = up
        self.down = down
        self.avoiding = avoiding
    }
}
