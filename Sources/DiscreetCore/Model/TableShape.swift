/// The cells of a table: every combination of nodes (leaves, groups and totals) of its
/// dimensions, so that every margin of every hierarchy is a cell.
///
/// Cells are numbered row-major over node numbers, the last dimension varying fastest.
/// *Inner* cells (a leaf in every dimension) have their own compact numbering, used while
/// aggregating: only inner cells receive contributions, margins are rolled up afterwards.
public struct TableShape: Sendable, Equatable {
    /// The largest number of cells a table may have.
    public static let maximumCellCount = 1 << 31

    public let dimensions: [TableDimension]
    /// Stride of each dimension in the full cell numbering.
    public let strides: [Int]
    /// Stride of each dimension in the inner cell numbering.
    public let innerStrides: [Int]
    /// The number of cells, margins included.
    public let cellCount: Int
    /// The number of inner cells.
    public let innerCellCount: Int

    /// Creates the shape, or returns `nil` when it would exceed ``maximumCellCount`` cells.
    public init?(dimensions: [TableDimension]) {
        var strides = [Int](repeating: 1, count: dimensions.count)
        var innerStrides = [Int](repeating: 1, count: dimensions.count)
        var count = 1
        var inner = 1
        for d in dimensions.indices.reversed() {
            strides[d] = count
            innerStrides[d] = inner
            let (c, o1) = count.multipliedReportingOverflow(by: dimensions[d].nodeCount)
            let (i, o2) = inner.multipliedReportingOverflow(by: dimensions[d].leafCount)
            guard !o1, !o2, c <= Self.maximumCellCount else { return nil }
            count = c
            inner = i
        }
        self.dimensions = dimensions
        self.strides = strides
        self.innerStrides = innerStrides
        self.cellCount = count
        self.innerCellCount = inner
    }

    /// A cell's category codes, dimension by dimension (the total's code for a margin).
    public func codes(of cell: Int) -> [String] {
        zip(dimensions, nodes(of: cell)).map { $0.codes[$1] }
    }

    /// The cell at these node coordinates.
    @inlinable
    public func cell(_ nodes: [Int]) -> Int {
        var cell = 0
        for d in nodes.indices { cell += nodes[d] * strides[d] }
        return cell
    }

    /// The node coordinates of a cell.
    public func nodes(of cell: Int) -> [Int] {
        var rest = cell
        return dimensions.indices.map { d in
            let node = rest / strides[d]
            rest -= node * strides[d]
            return node
        }
    }

    /// The full cell number of every inner cell, indexed by inner cell number.
    public func innerToFull() -> [Int] {
        var result = [Int](repeating: 0, count: innerCellCount)
        guard !dimensions.isEmpty else { return result }
        var leaf = [Int](repeating: 0, count: dimensions.count)
        var full = 0
        for i in 0..<innerCellCount {
            result[i] = full
            // Odometer over leaves, last dimension fastest.
            var d = dimensions.count - 1
            while d >= 0 {
                leaf[d] += 1
                full += strides[d]
                if leaf[d] < dimensions[d].leafCount { break }
                full -= leaf[d] * strides[d]
                leaf[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// Every cell in print order: dimension by dimension in each dimension's display order.
    public func displayOrder() -> [Int] {
        var result: [Int] = [0]
        for d in dimensions.indices {
            var next: [Int] = []
            next.reserveCapacity(result.count * dimensions[d].nodeCount)
            for base in result {
                for node in dimensions[d].displayOrder { next.append(base + node * strides[d]) }
            }
            result = next
        }
        return result
    }

    /// The cell both cells contain (in each dimension the deeper of the two nodes), or nil
    /// when in some dimension neither node lies under the other (the cells are disjoint).
    public func meet(_ a: Int, _ b: Int) -> Int? {
        var ra = a
        var rb = b
        var result = 0
        for d in dimensions.indices {
            let na = ra / strides[d]
            let nb = rb / strides[d]
            ra -= na * strides[d]
            rb -= nb * strides[d]
            let dim = dimensions[d]
            let (deep, shallow) = dim.depths[na] >= dim.depths[nb] ? (na, nb) : (nb, na)
            var n = deep
            while n != shallow {
                n = dim.parents[n]
                if n < 0 { return nil }
            }
            result += deep * strides[d]
        }
        return result
    }

    /// Fills every margin from the inner cells, dimension by dimension.
    ///
    /// `values` holds a payload per cell with the inner cells set; `accumulate(target, source)`
    /// must add the payload of cell `source` into cell `target` (which starts empty).
    /// Each margin is computed once, from its children along one dimension.
    public func rollUp(_ accumulate: (_ target: Int, _ source: Int) -> Void) {
        for d in dimensions.indices {
            let dim = dimensions[d]
            guard dim.nodeCount > dim.leafCount else { continue }
            // Offsets of the dimensions after d, restricted to their leaves (not yet rolled up).
            var suffix: [Int] = [0]
            for e in (d + 1)..<dimensions.count {
                var next: [Int] = []
                next.reserveCapacity(suffix.count * dimensions[e].leafCount)
                for base in suffix {
                    for leaf in 0..<dimensions[e].leafCount { next.append(base + leaf * strides[e]) }
                }
                suffix = next
            }
            // Dimensions before d range over all their nodes (already rolled up).
            var prefixCount = 1
            for e in 0..<d { prefixCount *= dimensions[e].nodeCount }
            let block = dim.nodeCount * strides[d]
            for p in 0..<prefixCount {
                let base = p * block
                for group in dim.rollUpOrder {
                    let target = base + group * strides[d]
                    for child in dim.children[group] {
                        let source = base + child * strides[d]
                        for s in suffix { accumulate(target + s, source + s) }
                    }
                }
            }
        }
    }

    /// Every linear relation of the table: each non-leaf cell along each dimension equals
    /// the sum of its children along that dimension. Returned as (margin cell, child cells).
    public func relations() -> [(total: Int, parts: [Int])] {
        var result: [(Int, [Int])] = []
        for d in dimensions.indices {
            let dim = dimensions[d]
            guard dim.nodeCount > dim.leafCount else { continue }
            // Every combination of the other dimensions, any node.
            var others: [Int] = [0]
            for e in dimensions.indices where e != d {
                var next: [Int] = []
                next.reserveCapacity(others.count * dimensions[e].nodeCount)
                for base in others {
                    for node in 0..<dimensions[e].nodeCount { next.append(base + node * strides[e]) }
                }
                others = next
            }
            for base in others {
                for group in dim.rollUpOrder {
                    result.append((base + group * strides[d], dim.children[group].map { base + $0 * strides[d] }))
                }
            }
        }
        return result
    }
}
