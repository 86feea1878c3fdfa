/// Controlled rounding of a two-dimensional count table with its margins: every cell moves
/// to one of its two adjacent multiples of the base (multiples, zeros included, stay), and
/// every margin is the sum of its rounded children, at the least total absolute change
/// over all cells, margins included.
///
/// Such a rounding always exists for a two-way table (Cox, 1987): rounding up or down is a
/// 0/1 flow from the grand total through the rows and the cells to the columns and back,
/// with each row's, column's and the grand total's flow between the floor and the ceiling of
/// its fractional part, and the fractional table itself is a feasible flow, so an integral
/// one exists. It is found as a minimum-cost circulation with lower bounds, by successive
/// shortest paths (Dijkstra with potentials) after saturating every edge of negative cost.
public enum ControlledRounding {
    /// The rounded table (values per cell of `shape`, margins included), or nil when the
    /// shape is not a two-way table with one level of categories under each total.
    public static func round(_ values: [Int64], shape: TableShape, base: Int64) -> [Int64]? {
        precondition(values.count == shape.cellCount && base > 0)
        guard shape.dimensions.count == 2, shape.dimensions.allSatisfy({ $0.nodeCount == $0.leafCount + 1 }) else { return nil }
        let rowsDim = shape.dimensions[0]
        let colsDim = shape.dimensions[1]
        let rows = rowsDim.leafCount
        let cols = colsDim.leafCount
        func cell(_ i: Int, _ j: Int) -> Int { shape.cell([i, j]) }
        // Remainders of the inner cells, and their sums per row, column and in all.
        var rowRest = [Int64](repeating: 0, count: rows)
        var colRest = [Int64](repeating: 0, count: cols)
        var allRest: Int64 = 0
        for i in 0..<rows {
            for j in 0..<cols {
                let r = values[cell(i, j)] % base
                rowRest[i] += r
                colRest[j] += r
                allRest += r
            }
        }
        // Nodes: 0 the grand total, 1...rows the rows, then the columns, then a sink that
        // stands for the grand total again (the circulation closes through an edge back).
        var network = FlowNetwork(nodeCount: 2 + rows + cols)
        let sink = 1 + rows + cols
        func marginEdge(_ from: Int, _ to: Int, _ rest: Int64) {
            // Between ⌊rest/b⌋ and ⌈rest/b⌉ units; each unit above the floor moves the
            // margin by b − 2·(rest mod b) more (or less).
            let low = rest / base
            let high = rest % base == 0 ? low : low + 1
            network.addEdge(from: from, to: to, lower: low, upper: high, cost: base - 2 * (rest % base))
        }
        for i in 0..<rows { marginEdge(0, 1 + i, rowRest[i]) }
        var cellEdges: [(i: Int, j: Int, edge: Int)] = []
        for i in 0..<rows {
            for j in 0..<cols {
                let r = values[cell(i, j)] % base
                guard r > 0 else { continue }
                cellEdges.append((i, j, network.addEdge(from: 1 + i, to: 1 + rows + j, lower: 0, upper: 1, cost: base - 2 * r)))
            }
        }
        for j in 0..<cols { marginEdge(1 + rows + j, sink, colRest[j]) }
        marginEdge(sink, 0, allRest)
        guard let flow = network.minimumCostCirculation() else { return nil }
        var result = [Int64](repeating: 0, count: shape.cellCount)
        for i in 0..<rows {
            for j in 0..<cols { result[cell(i, j)] = values[cell(i, j)] - values[cell(i, j)] % base }
        }
        for e in cellEdges where flow[e.edge] == 1 { result[cell(e.i, e.j)] += base }
        shape.rollUp { result[$0] += result[$1] }
        return result
    }
}

/// A network of edges with lower and upper bounds and integer costs, for a circulation of
/// least cost.
struct FlowNetwork {
    struct Arc {
        var to: Int
        var capacity: Int64
        var cost: Int64
    }

    let nodeCount: Int
    /// Arcs in pairs: arc 2e is edge e forward, 2e + 1 its reverse.
    var arcs: [Arc] = []
    var outgoing: [[Int]]
    var lower: [Int64] = []
    var from: [Int] = []

    init(nodeCount: Int) {
        self.nodeCount = nodeCount
        outgoing = Array(repeating: [], count: nodeCount)
    }

    /// Adds an edge and returns its index.
    @discardableResult
    mutating func addEdge(from u: Int, to v: Int, lower l: Int64, upper: Int64, cost: Int64) -> Int {
        precondition(upper >= l)
        let e = lower.count
        arcs.append(Arc(to: v, capacity: upper - l, cost: cost))
        arcs.append(Arc(to: u, capacity: 0, cost: -cost))
        outgoing[u].append(2 * e)
        outgoing[v].append(2 * e + 1)
        lower.append(l)
        from.append(u)
        return e
    }

    /// The flow on each edge of a least-cost circulation within the bounds, or nil when no
    /// circulation meets them.
    mutating func minimumCostCirculation() -> [Int64]? {
        let edges = lower.count
        // Flow starts at each lower bound, and at the upper bound on edges of negative cost
        // (so that every residual arc costs nothing or more); what that leaves unbalanced
        // is routed from the nodes with too much to those with too little.
        var excess = [Int64](repeating: 0, count: nodeCount)
        for e in 0..<edges {
            var start = lower[e]
            if arcs[2 * e].cost < 0 {
                start += arcs[2 * e].capacity
                arcs[2 * e + 1].capacity = arcs[2 * e].capacity
                arcs[2 * e].capacity = 0
            }
            excess[from[e]] -= start
            excess[arcs[2 * e].to] += start
        }
        let source = nodeCount
        let sink = nodeCount + 1
        outgoing.append([])
        outgoing.append([])
        var need: Int64 = 0
        for v in 0..<nodeCount where excess[v] != 0 {
            let e = arcs.count / 2
            if excess[v] > 0 {
                arcs.append(Arc(to: v, capacity: excess[v], cost: 0))
                arcs.append(Arc(to: source, capacity: 0, cost: 0))
                outgoing[source].append(2 * e)
                outgoing[v].append(2 * e + 1)
                need += excess[v]
            } else {
                arcs.append(Arc(to: sink, capacity: -excess[v], cost: 0))
                arcs.append(Arc(to: v, capacity: 0, cost: 0))
                outgoing[v].append(2 * e)
                outgoing[sink].append(2 * e + 1)
            }
        }
        // Successive shortest paths from the source to the sink; reduced costs stay
        // non-negative under the potentials, so Dijkstra's algorithm applies.
        let n = nodeCount + 2
        var potential = [Int64](repeating: 0, count: n)
        var sent: Int64 = 0
        while sent < need {
            var distance = [Int64](repeating: .max, count: n)
            var via = [Int](repeating: -1, count: n)
            distance[source] = 0
            var heap = MinHeap()
            heap.push(0, source)
            while let (d, u) = heap.pop() {
                if d > distance[u] { continue }
                for a in outgoing[u] where arcs[a].capacity > 0 {
                    let v = arcs[a].to
                    let nd = d + arcs[a].cost + potential[u] - potential[v]
                    if nd < distance[v] {
                        distance[v] = nd
                        via[v] = a
                        heap.push(nd, v)
                    }
                }
            }
            guard distance[sink] < .max else { return nil }
            for v in 0..<n where distance[v] < .max { potential[v] += distance[v] }
            var push = need - sent
            var v = sink
            while v != source {
                let a = via[v]
                push = min(push, arcs[a].capacity)
                v = arcs[a ^ 1].to
            }
            v = sink
            while v != source {
                let a = via[v]
                arcs[a].capacity -= push
                arcs[a ^ 1].capacity += push
                v = arcs[a ^ 1].to
            }
            sent += push
        }
        // An edge's flow: its lower bound plus what its reverse arc holds.
        return (0..<edges).map { lower[$0] + arcs[2 * $0 + 1].capacity }
    }
}

/// A binary min-heap of (key, node) pairs.
struct MinHeap {
    private var items: [(key: Int64, node: Int)] = []

    mutating func push(_ key: Int64, _ node: Int) {
        items.append((key, node))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].key < items[parent].key else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (Int64, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < items.count && items[l].key < items[m].key { m = l }
                if r < items.count && items[r].key < items[m].key { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return (top.key, top.node)
    }
}
