/// One dimension's part of a perturbation: nodes with a sign each, chosen so that every
/// group of the dimension still equals the sum of its children.
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

/// A change to a table that keeps every one of its relations: the product of one move per
/// dimension. A cell changes by the product of its nodes' signs; cells outside the product
/// do not change. Added to the true table, scaled by an amount, it gives another table
/// consistent with every relation: the witness that a withheld cell could take that value.
public struct Perturbation: Sendable, Hashable {
    public var moves: [DimensionMove]

    public init(moves: [DimensionMove]) { self.moves = moves }

    /// Every changed cell with its sign.
    public func cells(in shape: TableShape) -> [(cell: Int, sign: Int8)] {
        var result: [(cell: Int, sign: Int8)] = [(0, 1)]
        for (d, move) in moves.enumerated() {
            var next: [(cell: Int, sign: Int8)] = []
            next.reserveCapacity(result.count * move.nodes.count)
            for (base, sign) in result {
                for (node, s) in zip(move.nodes, move.signs) { next.append((base + node * shape.strides[d], sign * s)) }
            }
            result = next
        }
        return result
    }
}

/// The proof that one sensitive cell is protected: a perturbation that changes only
/// withheld or unpublished cells, and that raises (and, where required, lowers) the cell by
/// its protection levels while every cell stays non-negative.
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
