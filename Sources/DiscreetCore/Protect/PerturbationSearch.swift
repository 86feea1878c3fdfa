/// What changing one cell of a grid costs in the search for a certificate: nil when the
/// cell may not change with that sign.
protocol GridPricer {
    func callAsFunction(_ cell: Int, _ sign: Int8) -> Double?
}

/// The search for the cheapest perturbation of one product grid (a table's cells, margins
/// included) through a given cell: products of one move per dimension (a sibling with the
/// opposite sign, the chain of ancestors, or a path down from a total), then, with
/// ``SuppressionMethod/cycles``, cycles in the plane of each pair of dimensions times one
/// move in each other dimension (the cheapest by Dijkstra's algorithm). What a cell costs is
/// the pricer's business, so the same search serves one table and a cohort's share in a
/// perturbation of several linked tables.
struct GridSearch: Sendable {
    let shape: TableShape
    let method: SuppressionMethod
    /// Moves and plane axes built once per node, where they do not depend on the cell (its
    /// siblings are leaves, so no path down has to be chosen); nil elsewhere.
    let fixedMoves: [[[ScoredMove]?]]
    let fixedAxes: [[PlaneAxis?]]
    /// The most perturbations tried per search.
    static let searchLimit = 1024
    /// Nodes with more siblings than this build their moves when needed, to bound memory.
    static let fixedSiblingLimit = 512

    init(shape: TableShape, method: SuppressionMethod) {
        self.shape = shape
        self.method = method
        var fixedMoves: [[[ScoredMove]?]] = []
        var fixedAxes: [[PlaneAxis?]] = []
        let none: (Int) -> Int64 = { _ in 0 }
        for (d, dim) in shape.dimensions.enumerated() {
            var moves = [[ScoredMove]?](repeating: nil, count: dim.nodeCount)
            var axes = [PlaneAxis?](repeating: nil, count: dim.nodeCount)
            for n in 0..<dim.nodeCount {
                let hub = dim.parents[n] >= 0 ? dim.parents[n] : n
                guard dim.children[hub].count <= Self.fixedSiblingLimit, dim.children[hub].allSatisfy(dim.isLeaf) else { continue }
                var nodes = [Int](repeating: 0, count: shape.dimensions.count)
                nodes[d] = n
                let cell = shape.cell(nodes)
                if dim.isLeaf(n) {
                    moves[n] = Self.moves(shape: shape, line: none, cell, nodes, d).map { move in
                        ScoredMove(move: move, offsets: move.nodes.map { ($0 - n) * shape.strides[d] }, score: 0)
                    }
                }
                axes[n] = Self.planeAxis(shape: shape, line: none, cell, nodes, d)
            }
            fixedMoves.append(moves)
            fixedAxes.append(axes)
        }
        self.fixedMoves = fixedMoves
        self.fixedAxes = fixedAxes
    }

    /// The cheapest perturbation through `cell` (which it raises by one unit), or nil.
    ///
    /// - Parameters:
    ///   - price: what changing each cell costs.
    ///   - line: a count per cell, to choose which paths down to try first (the fullest).
    func search<P: GridPricer>(_ cell: Int, price: P, line: (Int) -> Int64) -> (perturbation: Perturbation, cost: Double)? {
        let nodes = shape.nodes(of: cell)
        let k = shape.dimensions.count
        // Per dimension, the usable moves as offsets from the cell, ranked by their cost on
        // the line through the cell (always part of the product).
        var options: [[ScoredMove]] = []
        for d in 0..<k {
            var scored: [ScoredMove] = []
            var templates = fixedMoves[d][nodes[d]] ?? Self.moves(shape: shape, line: line, cell, nodes, d).map { move in
                ScoredMove(move: move, offsets: move.nodes.map { ($0 - nodes[d]) * shape.strides[d] }, score: 0)
            }
            if shape.dimensions[d].depths[nodes[d]] >= 2 && shape.cellCount <= SecondarySuppressor.largeTable {
                for move in Self.cousinMoves(shape: shape, line: line, cell, nodes, d) {
                    templates.append(ScoredMove(move: move, offsets: move.nodes.map { ($0 - nodes[d]) * shape.strides[d] }, score: 0))
                }
            }
            for var template in templates {
                var total = 0.0
                var ok = true
                for (offset, sign) in zip(template.offsets, template.move.signs) {
                    guard let p = price(cell + offset, sign) else {
                        ok = false
                        break
                    }
                    total += p
                }
                if ok {
                    template.score = total
                    scored.append(template)
                }
            }
            scored.sort { $0.score < $1.score }
            options.append(scored)
        }
        var best = productSearch(cell, options: options, price: price)
        if k >= 2, method == .cycles, best?.cost ?? .infinity > 0,
            let cycle = planeSearch(cell, nodes, options: options, bound: best?.cost ?? .infinity, price: price, line: line)
        {
            best = cycle
        }
        return best
    }

    struct ScoredMove {
        var move: DimensionMove
        var offsets: [Int]
        var score: Double
    }

    /// The cheapest product of one move per dimension.
    func productSearch<P: GridPricer>(_ cell: Int, options allOptions: [[ScoredMove]], price: P) -> (perturbation: Perturbation, cost: Double)? {
        let k = allOptions.count
        if allOptions.contains(where: \.isEmpty) { return nil }
        // Keep the best few per dimension so that the product stays small.
        var limit = allOptions.map(\.count).max() ?? 1
        while limit > 1 && allOptions.reduce(1, { $0 * min($1.count, limit) }) > Self.searchLimit { limit -= 1 }
        let options = allOptions.map { Array($0.prefix(limit)) }

        // The kept moves, flat: option o of dimension d has its offsets and signs at
        // first[optionBase[d] + o] ..< first[optionBase[d] + o + 1].
        var optionBase: [Int] = []
        var first: [Int] = []
        var flatOffsets: [Int] = []
        var flatSigns: [Int8] = []
        for d in 0..<k {
            optionBase.append(first.count)
            for option in options[d] {
                first.append(flatOffsets.count)
                flatOffsets += option.offsets
                flatSigns += option.move.signs
            }
            first.append(flatOffsets.count)
        }
        var best: [Int]?
        var bestCost = Double.infinity
        var choice = [Int](repeating: 0, count: k)
        // Walks the product of the chosen moves with running offsets and signs, stopping
        // as soon as a cell cannot change or the cost reaches the best so far.
        var position = [Int](repeating: 0, count: k)
        var base = [Int](repeating: 0, count: k + 1)
        var signs = [Int8](repeating: 1, count: k + 1)
        base[0] = cell
        outer: while true {
            // The lines through the cell in each dimension are disjoint parts of the product
            // (but for the cell itself, which costs nothing), so their scores add up to a
            // lower bound; options are sorted, so the rest of the last dimension's are no
            // better.
            var bound = 0.0
            for d in 0..<k { bound += options[d][choice[d]].score }
            if bound >= bestCost {
                choice[k - 1] = options[k - 1].count - 1
            } else {
                var total = 0.0
                var ok = true
                for d in 0..<k { position[d] = first[optionBase[d] + choice[d]] }
                var level = 0
                walk: while true {
                    while level < k {
                        base[level + 1] = base[level] + flatOffsets[position[level]]
                        signs[level + 1] = signs[level] * flatSigns[position[level]]
                        level += 1
                    }
                    guard let p = price(base[k], signs[k]) else {
                        ok = false
                        break walk
                    }
                    total += p
                    if total >= bestCost {
                        ok = false
                        break walk
                    }
                    var d = k - 1
                    while d >= 0 {
                        position[d] += 1
                        if position[d] < first[optionBase[d] + choice[d] + 1] { break }
                        position[d] = first[optionBase[d] + choice[d]]
                        d -= 1
                    }
                    if d < 0 { break walk }
                    level = d
                }
                if ok {
                    best = choice
                    bestCost = total
                    if total == 0 { break outer }
                }
            }
            var d = k - 1
            while d >= 0 {
                choice[d] += 1
                if choice[d] < options[d].count { continue outer }
                choice[d] = 0
                d -= 1
            }
            break
        }
        guard let best else { return nil }
        return (Perturbation(moves: (0..<k).map { options[$0][best[$0]].move }, in: shape), bestCost)
    }

    /// The cells of one dimension a plane cycle may visit: a hub (the parent of the cell's
    /// node, or the node itself when it is the total) and the hub's children. Each carries
    /// a stem of nodes that change with it by the same amount: a child brings a path down
    /// to a leaf, the hub its ancestors, so that every group of the dimension stays the sum
    /// of its children.
    struct PlaneAxis {
        /// The stems' offsets from the sensitive cell, position after position (the hub
        /// first), in one array so that the search's inner loop reads them without
        /// reference counting.
        var offsets: [Int]
        /// Where each position's stem starts in `offsets` (one more entry than positions).
        var starts: [Int]
        /// The position of the sensitive cell's node.
        var home: Int
        var count: Int { starts.count - 1 }

        init(stems: [[Int]], home: Int) {
            offsets = stems.flatMap { $0 }
            starts = [0]
            for stem in stems { starts.append(starts.last! + stem.count) }
            self.home = home
        }

        /// The indices in `offsets` of position `i`'s stem.
        @inline(__always) func stem(_ i: Int) -> Range<Int> { starts[i]..<starts[i + 1] }
    }

    static func planeAxis(shape: TableShape, line count: (Int) -> Int64, _ cell: Int, _ nodes: [Int], _ d: Int) -> PlaneAxis? {
        let dim = shape.dimensions[d]
        let n = nodes[d]
        let stride = shape.strides[d]
        let hub = dim.parents[n] >= 0 ? dim.parents[n] : n
        let members = dim.children[hub]
        if members.isEmpty { return nil }
        func line(_ node: Int) -> Int64 { count(cell + (node - n) * stride) }
        // A path down to the leaf holding most on the line through the cell.
        func stem(_ from: Int) -> [Int] { fullestPath(dim, from: from, line: line) }
        var hubStem = [hub]
        var a = dim.parents[hub]
        while a >= 0 {
            hubStem.append(a)
            a = dim.parents[a]
        }
        let stems = [hubStem] + members.map(stem)
        return PlaneAxis(stems: stems.map { $0.map { ($0 - n) * stride } }, home: hub == n ? 0 : 1 + members.firstIndex(of: n)!)
    }

    /// The most combinations of the other dimensions' moves a plane search tries: more
    /// find cheaper cycles, fewer keep tables of a million cells within a couple of minutes.
    static func planeCombinations(cells: Int) -> Int { cells <= 250_000 ? 9 : 4 }

    /// The cheapest perturbation, cheaper than `bound`, that is a cycle in the plane of two
    /// dimensions times one move in each other dimension.
    ///
    /// In the plane of two axes, a change that keeps every relation is a circulation on the
    /// bipartite graph of the axes' positions (an edge per cell, the hubs' cells counted
    /// with the opposite sign): a cycle alternating between the two axes. The cheapest one
    /// through the sensitive cell is a shortest path back to it, found by Dijkstra's
    /// algorithm with each edge costing the cells it changes.
    func planeSearch<P: GridPricer>(_ cell: Int, _ nodes: [Int], options: [[ScoredMove]], bound: Double, price: P, line: (Int) -> Int64) -> (perturbation: Perturbation, cost: Double)? {
        let k = shape.dimensions.count
        let axes = (0..<k).map { fixedAxes[$0][nodes[$0]] ?? Self.planeAxis(shape: shape, line: line, cell, nodes, $0) }
        var best: (perturbation: Perturbation, cost: Double)?
        var bestCost = bound
        for d1 in 0..<k {
            for d2 in (d1 + 1)..<k {
                guard let rows = axes[d1], let columns = axes[d2] else { continue }
                let others = (0..<k).filter { $0 != d1 && $0 != d2 }
                if others.contains(where: { options[$0].isEmpty }) { continue }
                for other in combinations(others, options) {
                    if let found = cycle(cell, rows, columns, other, bound: bestCost, price: price) {
                        best = found
                        bestCost = found.cost
                        if bestCost == 0 { return best }
                    }
                }
            }
        }
        return best
    }

    /// Up to `planeCombinations` products of one move in each of `dimensions`, best first,
    /// as offsets and signs.
    func combinations(_ dimensions: [Int], _ options: [[ScoredMove]]) -> [[(offset: Int, sign: Int8)]] {
        let planeCombinations = Self.planeCombinations(cells: shape.cellCount)
        var result: [(parts: [(offset: Int, sign: Int8)], score: Double)] = [([(0, 1)], 0)]
        for d in dimensions {
            var next: [(parts: [(offset: Int, sign: Int8)], score: Double)] = []
            for partial in result {
                for option in options[d].prefix(planeCombinations) {
                    var parts: [(offset: Int, sign: Int8)] = []
                    for (base, sign) in partial.parts {
                        for (offset, s) in zip(option.offsets, option.move.signs) { parts.append((base + offset, sign * s)) }
                    }
                    next.append((parts, partial.score + option.score))
                }
            }
            next.sort { $0.score < $1.score }
            result = Array(next.prefix(planeCombinations))
        }
        return result.map(\.parts)
    }

    /// The cheapest cycle through the sensitive cell in one plane, for one fixed product of
    /// moves in the other dimensions.
    func cycle<P: GridPricer>(
        _ cell: Int, _ rows: PlaneAxis, _ columns: PlaneAxis, _ other: [(offset: Int, sign: Int8)], bound: Double,
        price: P
    ) -> (perturbation: Perturbation, cost: Double)? {
        let rCount = rows.count
        let cCount = columns.count
        // The hubs' cells enter the circulation with the opposite sign.
        @inline(__always) func flip(_ i: Int, _ j: Int) -> Int8 { (i == 0) == (j == 0) ? 1 : -1 }
        // The cost of the cells an edge changes when its flow is `z`, or nil.
        func edgeCost(_ i: Int, _ j: Int, _ z: Int8) -> Double? {
            let sign = flip(i, j) * z
            var total = 0.0
            for ai in rows.stem(i) {
                let a = rows.offsets[ai]
                for bi in columns.stem(j) {
                    let b = columns.offsets[bi]
                    for k in other.indices {
                        guard let p = price(cell + a + b + other[k].offset, sign * other[k].sign) else { return nil }
                        total += p
                    }
                }
            }
            return total
        }
        let i0 = rows.home
        let j0 = columns.home
        // The sensitive cell's edge carries the flow that raises it by one.
        let z0 = flip(i0, j0)
        guard let c0 = edgeCost(i0, j0, z0), c0 < bound else { return nil }
        // Nodes: rows 0..<rCount, columns rCount..<rCount + cCount. Flow +1 runs from a row to
        // a column, -1 from a column to a row; the cycle leaves the sensitive edge at `start`
        // and comes back to it at `target`.
        let nodeCount = rCount + cCount
        let start = z0 > 0 ? rCount + j0 : i0
        let target = z0 > 0 ? i0 : rCount + j0
        var distance = [Double](repeating: .infinity, count: nodeCount)
        var previous = [Int](repeating: -1, count: nodeCount)
        var done = [Bool](repeating: false, count: nodeCount)
        distance[start] = 0
        while true {
            var u = -1
            var du = Double.infinity
            for v in 0..<nodeCount where !done[v] && distance[v] < du {
                u = v
                du = distance[v]
            }
            if u < 0 || c0 + du >= bound { return nil }
            if u == target { break }
            done[u] = true
            if u < rCount {
                for j in 0..<cCount where !done[rCount + j] && !(u == i0 && j == j0) {
                    guard let w = edgeCost(u, j, 1), du + w < distance[rCount + j] else { continue }
                    distance[rCount + j] = du + w
                    previous[rCount + j] = u
                }
            } else {
                let j = u - rCount
                for i in 0..<rCount where !done[i] && !(i == i0 && j == j0) {
                    guard let w = edgeCost(i, j, -1), du + w < distance[i] else { continue }
                    distance[i] = du + w
                    previous[i] = u
                }
            }
        }
        // The cells of the cycle: the sensitive edge, then each edge of the path.
        var cells: [Int] = []
        var signs: [Int8] = []
        func append(_ i: Int, _ j: Int, _ z: Int8) {
            let sign = flip(i, j) * z
            for ai in rows.stem(i) {
                for bi in columns.stem(j) {
                    for (o, s) in other {
                        cells.append(cell + rows.offsets[ai] + columns.offsets[bi] + o)
                        signs.append(sign * s)
                    }
                }
            }
        }
        append(i0, j0, z0)
        var v = target
        while v != start {
            let u = previous[v]
            if u < rCount { append(u, v - rCount, 1) } else { append(v, u - rCount, -1) }
            v = u
        }
        return (Perturbation(cells: cells, signs: signs), c0 + distance[target])
    }

    /// The path from `from` down to a leaf through the fullest child at each step, by the
    /// count each node has on the line through the cell (`line`).
    static func fullestPath(_ dim: TableDimension, from: Int, line: (Int) -> Int64) -> [Int] {
        var path = [from]
        var node = from
        while !dim.isLeaf(node) {
            node = dim.children[node].max { line($0) < line($1) }!
            path.append(node)
        }
        return path
    }

    /// Paths from `from` down to a leaf (`from` included), the `limit` ending in the fullest
    /// leaves on the line through the cell.
    static func pathsDown(_ dim: TableDimension, from: Int, limit: Int, line: (Int) -> Int64) -> [[Int]] {
        if dim.isLeaf(from) { return [[from]] }
        // Each leaf's count once, not once per comparison: `line` looks through every
        // cohort of a move.
        var paths: [(count: Int64, path: [Int])] = []
        for child in dim.children[from] {
            for tail in pathsDown(dim, from: child, limit: limit, line: line) { paths.append((line(tail.last!), [from] + tail)) }
        }
        paths.sort { $0.count > $1.count }
        return paths.prefix(limit).map(\.path)
    }

    /// How many paths down from one node the moves consider (the fullest first).
    static let pathLimit = 6
    /// How many paths down into each cousin a move up to a common ancestor considers.
    static let cousinPaths = 2
    /// How many cousins (the fullest) a move up to each common ancestor considers.
    static let cousinLimit = 4

    /// The moves of one dimension through a cell's node.
    static func moves(shape: TableShape, line count: (Int) -> Int64, _ cell: Int, _ nodes: [Int], _ d: Int) -> [DimensionMove] {
        let dim = shape.dimensions[d]
        let n = nodes[d]
        let stride = shape.strides[d]
        func line(_ node: Int) -> Int64 { count(cell + (node - n) * stride) }
        func down(_ from: Int, limit: Int) -> [[Int]] { pathsDown(dim, from: from, limit: limit, line: line) }
        func move(_ plus: [Int], _ minus: [Int]) -> DimensionMove {
            DimensionMove(nodes: plus + minus, signs: Array(repeating: 1, count: plus.count) + Array(repeating: -1, count: minus.count))
        }
        let parent = dim.parents[n]
        let mine = down(n, limit: Self.pathLimit)
        if parent < 0 { return mine.map { move($0, []) } }
        var ancestors: [Int] = []
        var a = parent
        while a >= 0 {
            ancestors.append(a)
            a = dim.parents[a]
        }
        var result: [DimensionMove] = []
        for path in mine {
            for sibling in dim.children[parent] where sibling != n {
                for theirs in down(sibling, limit: 2) { result.append(move(path, theirs)) }
            }
            result.append(move(path + ancestors, []))
        }
        return result
    }

    /// The moves of one dimension through a cell's node that go up to a common ancestor
    /// above its parent and down again elsewhere: the node's line up to the ancestor's child
    /// with one sign, a cousin's line down to its fullest leaf with the other. Every group
    /// below the ancestor stays the sum of its children, and the ancestor itself does not
    /// change, so a ward's change can be balanced in another district without touching the
    /// city's figures.
    static func cousinMoves(shape: TableShape, line count: (Int) -> Int64, _ cell: Int, _ nodes: [Int], _ d: Int) -> [DimensionMove] {
        let dim = shape.dimensions[d]
        let n = nodes[d]
        let stride = shape.strides[d]
        func line(_ node: Int) -> Int64 { count(cell + (node - n) * stride) }
        guard dim.parents[n] >= 0 else { return [] }
        let mine = fullestPath(dim, from: n, line: line)
        var result: [DimensionMove] = []
        var up = [Int]()
        var below = dim.parents[n]
        while dim.parents[below] >= 0 {
            up.append(below)
            let ancestor = dim.parents[below]
            // The fullest cousins only: a large hierarchy has many, and the search tries
            // the product of every dimension's moves.
            let cousins = dim.children[ancestor].filter { $0 != below }.map { (node: $0, count: line($0)) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.node < $1.node }.map(\.node)
            for cousin in cousins.prefix(Self.cousinLimit) {
                let plus = mine + up
                for minus in pathsDown(dim, from: cousin, limit: Self.cousinPaths, line: line) {
                    result.append(DimensionMove(nodes: plus + minus, signs: Array(repeating: 1, count: plus.count) + Array(repeating: -1, count: minus.count)))
                }
            }
            below = ancestor
        }
        return result
    }

    // MARK: - Publishing again what is not needed
}
