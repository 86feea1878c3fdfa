/// Controlled rounding of a two-dimensional count table with its margins: every cell moves
/// to one of its two adjacent multiples of the base (multiples, zeros included, stay), and
/// every margin is the sum of its rounded children, at the least total absolute change
/// over all cells, margins included.
///
/// Such a rounding always exists for a two-way table (Cox, 1987), and still does when one of
/// the two dimensions is a hierarchy of any depth (wards within constituencies by age band),
/// or for a one-way table with a hierarchy: every cell is then an edge of a network,
/// rounding up or down is a flow on it, each cell's flow lies between the floor and the
/// ceiling of its remainders' sum over the base, and the fractional table is itself a
/// feasible flow, so an integral one exists. It is found as a minimum-cost circulation with
/// lower bounds, by the primal-dual method (Dijkstra with potentials, then blocking flows
/// on the arcs of zero reduced cost) after saturating every edge of negative cost. Tables
/// of three or more dimensions, or with two hierarchies, are not networks and have no such
/// guarantee (``ControlledRoundingSearch``).
public enum ControlledRounding {
    /// The rounded table (values per cell of `shape`, margins included), or nil when the
    /// shape is not one- or two-dimensional with at most one hierarchy.
    ///
    /// - Parameter free: per cell, whether it is free: withheld, so that it takes any
    ///   value (its entry in the result is meaningless) and costs nothing. Relations through
    ///   a free cell then need not add up in the other cells' rounded figures.
    public static func round(_ values: [Int64], shape: TableShape, base: Int64, free: [Bool] = []) -> [Int64]? {
        precondition(values.count == shape.cellCount && base > 0 && (free.isEmpty || free.count == shape.cellCount))
        if shape.dimensions.count == 1 {
            // A one-way table is a two-way table with a single column.
            let single = try! TableDimension.build(name: "", total: "all", entries: [HierarchyEntry(code: "one")])
            let wide = TableShape(dimensions: [shape.dimensions[0], single])!
            var wideValues = [Int64](repeating: 0, count: wide.cellCount)
            var wideFree = [Bool](repeating: false, count: wide.cellCount)
            for cell in 0..<shape.cellCount {
                for column in 0..<2 {
                    wideValues[wide.cell([cell, column])] = values[cell]
                    wideFree[wide.cell([cell, column])] = free.isEmpty ? false : free[cell]
                }
            }
            guard let rounded = round(wideValues, shape: wide, base: base, free: wideFree) else { return nil }
            return (0..<shape.cellCount).map { rounded[wide.cell([$0, single.total])] }
        }
        guard shape.dimensions.count == 2 else { return nil }
        func flat(_ d: TableDimension) -> Bool { d.nodeCount == d.leafCount + 1 }
        // Rows: the dimension that may be a hierarchy; columns: one level under a total.
        let (r, c) = flat(shape.dimensions[1]) ? (0, 1) : flat(shape.dimensions[0]) ? (1, 0) : (-1, -1)
        guard r >= 0 else { return nil }
        let rowsDim = shape.dimensions[r]
        let cols = shape.dimensions[c].leafCount
        let colTotal = shape.dimensions[c].total
        let root = rowsDim.total
        func cell(_ row: Int, _ col: Int) -> Int { shape.cell(r == 0 ? [row, col] : [col, row]) }
        // Each cell's remainder: the sum of its inner cells' remainders.
        var rest = [Int64](repeating: 0, count: shape.cellCount)
        for inner in shape.innerToFull() { rest[inner] = values[inner] % base }
        shape.rollUp { rest[$0] += rest[$1] }
        // Nodes: 0 the grand total; N(g, j) for each row node g and column j (the flow into
        // row node g within column j), then R(g) for each row node (its flow over all columns).
        let n = rowsDim.nodeCount
        func column(_ g: Int, _ j: Int) -> Int { 1 + g * cols + j }
        func row(_ g: Int) -> Int { 1 + n * cols + g }
        var network = FlowNetwork(nodeCount: 1 + n * cols + n)
        var edgeOf = [Int](repeating: -1, count: shape.cellCount)
        // A free cell's flow may be any whole number, at no cost: an edge each way, both
        // starting empty (no flow need be more than the number of inner cells).
        let unbounded = Int64(2 * shape.innerCellCount + 2)
        var backOf = [Int: Int]()
        func add(_ cell: Int, from u: Int, to v: Int) {
            if !free.isEmpty && free[cell] {
                edgeOf[cell] = network.addEdge(from: u, to: v, lower: 0, upper: unbounded, cost: 0)
                backOf[cell] = network.addEdge(from: v, to: u, lower: 0, upper: unbounded, cost: 0)
                return
            }
            // Between ⌊rest/b⌋ and ⌈rest/b⌉ units above the floors; each unit above the
            // lower bound changes the cell by b − 2·(rest mod b) more (or less).
            let low = rest[cell] / base
            let high = rest[cell] % base == 0 ? low : low + 1
            edgeOf[cell] = network.addEdge(from: u, to: v, lower: low, upper: high, cost: base - 2 * (rest[cell] % base))
        }
        for j in 0..<cols { add(cell(root, j), from: 0, to: column(root, j)) }
        for g in 0..<n where g != root {
            let parent = rowsDim.parents[g]
            for j in 0..<cols { add(cell(g, j), from: column(parent, j), to: rowsDim.isLeaf(g) ? row(g) : column(g, j)) }
            add(cell(g, colTotal), from: row(g), to: row(parent))
        }
        add(cell(root, colTotal), from: row(root), to: 0)
        guard let flow = network.minimumCostCirculation() else { return nil }
        return (0..<shape.cellCount).map { cell in
            values[cell] - rest[cell] + base * (flow[edgeOf[cell]] - (backOf[cell].map { flow[$0] } ?? 0))
        }
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
        // Primal-dual: Dijkstra's algorithm (reduced costs stay non-negative under the
        // potentials) finds the shortest distance to the sink; then a blocking flow along
        // the arcs of zero reduced cost sends everything that distance allows, so one
        // Dijkstra serves many augmenting paths.
        let n = nodeCount + 2
        var potential = [Int64](repeating: 0, count: n)
        var sent: Int64 = 0
        var distance = [Int64](repeating: .max, count: n)
        var level = [Int](repeating: -1, count: n)
        var next = [Int](repeating: 0, count: n)
        var queue: [Int] = []
        queue.reserveCapacity(n)
        while sent < need {
            for v in 0..<n { distance[v] = .max }
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
                        heap.push(nd, v)
                    }
                }
            }
            guard distance[sink] < .max else { return nil }
            // Nodes beyond the sink's distance keep their reduced costs non-negative when
            // raised by that distance only.
            let reach = distance[sink]
            for v in 0..<n { potential[v] += min(distance[v], reach) }
            @inline(__always) func admissible(_ a: Int, from u: Int) -> Bool {
                arcs[a].capacity > 0 && arcs[a].cost + potential[u] - potential[arcs[a].to] == 0
            }
            // Blocking flows on the admissible arcs, level by level (Dinic).
            while sent < need {
                for v in 0..<n { level[v] = -1 }
                level[source] = 0
                queue.removeAll(keepingCapacity: true)
                queue.append(source)
                var head = 0
                while head < queue.count {
                    let u = queue[head]
                    head += 1
                    for a in outgoing[u] where admissible(a, from: u) && level[arcs[a].to] < 0 {
                        level[arcs[a].to] = level[u] + 1
                        queue.append(arcs[a].to)
                    }
                }
                guard level[sink] >= 0 else { break }
                for v in 0..<n { next[v] = 0 }
                // Depth-first augmenting paths along rising levels, with current-arc pointers.
                var path: [Int] = []
                var u = source
                while true {
                    if u == sink {
                        var push = need - sent
                        for a in path { push = min(push, arcs[a].capacity) }
                        for a in path {
                            arcs[a].capacity -= push
                            arcs[a ^ 1].capacity += push
                        }
                        sent += push
                        if sent == need { break }
                        path.removeAll(keepingCapacity: true)
                        u = source
                        continue
                    }
                    var advanced = false
                    while next[u] < outgoing[u].count {
                        let a = outgoing[u][next[u]]
                        let v = arcs[a].to
                        if level[v] == level[u] + 1 && admissible(a, from: u) {
                            path.append(a)
                            u = v
                            advanced = true
                            break
                        }
                        next[u] += 1
                    }
                    if advanced { continue }
                    // A dead end: retreat one arc.
                    level[u] = -1
                    guard let a = path.popLast() else { break }
                    u = arcs[a ^ 1].to
                    next[u] += 1
                }
            }
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
