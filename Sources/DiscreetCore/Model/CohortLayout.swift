/// What the spec implies about how its cohorts relate: which lie within which, and which
/// share nobody. Pairs are cohort indices.
public struct CohortRelations: Sendable, Hashable {
    /// (inner, outer): everyone in `inner` is in `outer`.
    public var within: [Pair]
    /// Pairs of cohorts no person can be in together.
    public var disjoint: [Pair]

    public struct Pair: Sendable, Hashable {
        public var first: Int
        public var second: Int
        public init(_ first: Int, _ second: Int) {
            self.first = first
            self.second = second
        }
    }

    public init(within: [Pair] = [], disjoint: [Pair] = []) {
        self.within = within
        self.disjoint = disjoint
    }

    /// Per cohort (of `count`), every cohort it lies within, itself left out. Lying within
    /// is transitive: the stated pairs are closed, so that a loop of pairs makes its cohorts
    /// contain each other (they are equivalent) and nothing built on this has a cycle.
    public func containing(count: Int) -> [Set<Int>] {
        var outer = [Set<Int>](repeating: [], count: count)
        for p in within where p.first != p.second { outer[p.first].insert(p.second) }
        var grew = true
        while grew {
            grew = false
            for a in 0..<count {
                let reach = outer[a].reduce(into: outer[a]) { $0.formUnion(outer[$1]) }.subtracting([a])
                if reach.count > outer[a].count {
                    outer[a] = reach
                    grew = true
                }
            }
        }
        return outer
    }

    /// Whether `a` lies within `b` and is not the same people as `b`; of two cohorts with the
    /// same people, the later lies within the earlier. `outer` is ``containing(count:)``.
    public static func strictlyWithin(_ a: Int, _ b: Int, _ outer: [Set<Int>]) -> Bool {
        outer[a].contains(b) && (!outer[b].contains(a) || b < a)
    }

    /// The disjoint pairs, each both ways round.
    public var disjointBothWays: Set<Pair> { Set(disjoint.flatMap { [$0, Pair($0.second, $0.first)] }) }
}

/// Categories where a cohort, or a family's complement, holds nobody whatever the data, as
/// the spec's filters say: people aged 18 or over have nobody in the 14-17 band; in the
/// 18-25 band everyone in transition is aged 18 or over, so the complement of "aged 18 or
/// over" within "in transition" is empty there.
public struct StructuralZeros: Sendable, Hashable {
    /// Leaves (node numbers) of one dimension (an index into the layout's).
    public struct Leaves: Sendable, Hashable {
        public var dimension: Int
        public var leaves: Set<Int>
        public init(dimension: Int, leaves: Set<Int>) {
            self.dimension = dimension
            self.leaves = leaves
        }
    }

    /// Per cohort, where it is empty.
    public var cohorts: [Int: [Leaves]]
    /// Per family (its parent, then its parts in ascending order), where its complement is empty.
    public var complements: [[Int]: [Leaves]]

    public init(cohorts: [Int: [Leaves]] = [:], complements: [[Int]: [Leaves]] = [:]) {
        self.cohorts = cohorts
        self.complements = complements
    }

    public var isEmpty: Bool { cohorts.isEmpty && complements.isEmpty }
}

/// A cohort split into parts that share nobody: the parent holds each part and the rest
/// of its people, the *complement*, which is never negative. A family with one part says
/// that cohort lies within the parent; its complement is the group "in the parent but not
/// in the part" (denominator minus numerator).
public struct CohortFamily: Sendable {
    public var parent: Int
    public var parts: [Int]
    /// Whether the family is an edge of the layout's tree (each cohort is a part of at most
    /// one tree family); the others state further containments, and parts on different
    /// branches of the tree that share nobody.
    public var tree: Bool
    /// The dimensions (indices into the layout's) the relation holds at: the complement is
    /// a table over these.
    public var dimensions: [Int]
    public var shape: TableShape
    /// Per cell of ``shape``: the parent's cell holding the same people, and each part's.
    public var parentCells: [Int]
    public var partCells: [[Int]]
    /// Per cell of ``shape``, where the complement is known to be empty (the parent equals
    /// the sum of its parts there); nil when nowhere.
    public var emptyComplement: [Bool]?
}

/// A group of people an attacker can count by subtraction: a cohort's figure minus the
/// figures of cohorts within it, at the same categories (a denominator minus its numerator,
/// a cohort minus a sub-cohort, a cohort minus every part of a split). Cells are global
/// (see ``CohortLayout/global(_:_:)``).
public struct ImpliedGroup: Sendable, Hashable {
    public var plus: Int
    public var minus: [Int]

    public init(plus: Int, minus: [Int]) {
        self.plus = plus
        self.minus = minus
    }

    /// Every term with its sign.
    public var terms: [(cell: Int, sign: Int8)] { [(plus, 1)] + minus.map { ($0, -1) } }
}

/// The release as one hidden table: every cohort is a table over the categories its own
/// tables use and those that link it to the cohorts it relates to, and the relations
/// between cohorts are families whose complements are never negative.
///
/// This is the atom model of domain.md section 8, stored without its atoms: a family's
/// parts and complement are the atoms that split its parent, and families under one parent
/// are independent (the spec says nothing of how their parts overlap) but for cohorts on
/// different branches that share nobody, which a family of their least common cohort
/// bounds together. Each cohort keeps
/// only the dimensions that some figure needs along the tree of families (a dimension is
/// kept by every cohort on the tree paths between the cohorts whose tables use it), and a
/// family relates its cohorts over the dimensions both sides keep; dropping the others loses
/// nothing an attacker could use, since any split of them that fits each side can be
/// combined. Where a cohort keeps a dimension that none of the cohorts containing it
/// publishes, its people may lack a category there: the dimension gains a hidden leaf,
/// "not recorded", that no table publishes.
///
/// Cells of all cohort tables are numbered together: cohort b's cell c is ``global(_:_:)``.
public struct CohortLayout: Sendable {
    public struct Block: Sendable {
        /// The dimensions its tables publish (indices into the layout's dimensions).
        public var published: [Int]
        /// The dimensions it is cut by, ascending: the published ones and those linking it.
        public var dimensions: [Int]
        public var shape: TableShape
        public var measure: Measure
        /// The dimensions where each of its people has a real category (its own published
        /// dimensions and those of every cohort containing it); elsewhere its people without
        /// one fall in the hidden leaf.
        public var recorded: Set<Int>
        /// Per cell, whether it is known to be empty whatever the data; nil when none is.
        public var empty: [Bool]?
    }

    /// The code of the hidden leaf a dimension gains where some cohort needs it. Leaves are
    /// numbered by code: this one sorts after every code a spec can give, so that the
    /// dimension's other leaves keep their numbers (ingest classifies rows, and the filters'
    /// structural zeros name leaves, by the spec's numbering).
    public static let hiddenLeafCode = "\u{10FFFD}not recorded"

    /// The release's dimensions, with a hidden leaf where some cohort needs one.
    public let dimensions: [TableDimension]
    /// Per dimension, the node of its hidden leaf, if it has one.
    public let hiddenLeaf: [Int?]
    public let blocks: [Block]
    public let families: [CohortFamily]
    public let relations: CohortRelations
    /// Per block, every block containing it, itself included (``CohortRelations/containing(count:)``).
    public let containing: [Set<Int>]
    /// Where cohorts or families' complements are empty whatever the data.
    public let zeros: StructuralZeros
    /// Where each block's cells start in the global numbering.
    public let offsets: [Int]
    /// Per block, its component: cohorts linked by some relation share one.
    public let components: [Int]

    /// The largest sets of the given cohorts that pairwise share nobody (Bron–Kerbosch),
    /// each ascending, in a fixed order; a cohort apart from none is a set alone.
    static func largestSetsApart(_ cohorts: [Int], apart: (Int, Int) -> Bool) -> [[Int]] {
        var cliques: [[Int]] = []
        func extend(_ clique: [Int], _ candidates: [Int], _ excluded: [Int]) {
            if candidates.isEmpty && excluded.isEmpty {
                cliques.append(clique.sorted())
                return
            }
            var candidates = candidates
            var excluded = excluded
            for v in candidates {
                extend(clique + [v], candidates.filter { apart(v, $0) }, excluded.filter { apart(v, $0) })
                candidates.removeAll { $0 == v }
                excluded.append(v)
            }
        }
        extend([], cohorts, [])
        return cliques.filter { !$0.isEmpty }.sorted { ($0.first!, $0.count) < ($1.first!, $1.count) }
    }

    /// The number of cells of all blocks together.
    public var cellCount: Int { offsets.last! }

    /// The global number of block `b`'s cell `c`.
    @inlinable
    public func global(_ b: Int, _ c: Int) -> Int { offsets[b] + c }

    /// The block and cell of a global cell.
    public func local(_ g: Int) -> (block: Int, cell: Int) {
        var lo = 0
        var hi = blocks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= g { lo = mid } else { hi = mid - 1 }
        }
        return (lo, g - offsets[lo])
    }

    /// Lays out the cohorts.
    ///
    /// - Parameters:
    ///   - dimensions: every dimension any cohort uses.
    ///   - cohorts: per cohort, the dimensions its tables publish and its measure.
    ///   - relations: what the spec implies about the cohorts.
    ///   - keep: per cohort, dimensions to cut it by whatever the relations need (so that a
    ///     layout rebuilt with fewer relations keeps the shapes its data was counted in).
    ///   - zeros: where cohorts or families' complements are empty whatever the data; each
    ///     cohort concerned is counted by the dimension, and each family relates its cohorts
    ///     by it.
    ///   - hiddenLeaves: given for dimensions that already carry their hidden leaves (a
    ///     layout restricted to some of another's cohorts): no leaf is added.
    public init(
        dimensions spec: [TableDimension], cohorts: [(published: [Int], measure: Measure)], relations: CohortRelations,
        zeros: StructuralZeros = StructuralZeros(), keep: [[Int]]? = nil, hiddenLeaves: [Int?]? = nil
    ) {
        let n = cohorts.count
        self.relations = relations
        self.zeros = zeros
        // The dimensions each cohort's figures, or what the filters say of it, need.
        var uses = (0..<n).map { Set(cohorts[$0].published) }
        for (c, facts) in zeros.cohorts { for f in facts { uses[c].insert(f.dimension) } }
        for (key, facts) in zeros.complements { for c in key { for f in facts { uses[c].insert(f.dimension) } } }
        // Closed under transitivity, so that the tree below has no cycle whatever a release states.
        let outer = relations.containing(count: n)
        containing = outer
        let disjoint = relations.disjointBothWays
        // Cohorts with the same people: the later one lies within the earlier, and nothing
        // is outside it (its complement is empty).
        func equivalent(_ a: Int, _ b: Int) -> Bool { outer[a].contains(b) && outer[b].contains(a) }
        func strictlyWithin(_ a: Int, _ b: Int) -> Bool { CohortRelations.strictlyWithin(a, b, outer) }

        // The tree: each cohort's parent is a least cohort strictly containing it (the one
        // publishing most dimensions, then the first); other least ones are further families.
        var parent = [Int](repeating: -1, count: n)
        var extra: [(inner: Int, outer: Int)] = []
        for a in 0..<n {
            let candidates = outer[a].filter { strictlyWithin(a, $0) }
            let least = candidates.filter { b in !candidates.contains { c in c != b && strictlyWithin(c, b) } }.sorted()
            guard let first = least.max(by: { (cohorts[$0].published.count, -$0) < (cohorts[$1].published.count, -$1) }) else { continue }
            parent[a] = first
            for b in least where b != first { extra.append((a, b)) }
        }
        var children = [[Int]](repeating: [], count: n)
        for a in 0..<n where parent[a] >= 0 { children[parent[a]].append(a) }

        // Dimensions: a cohort keeps every dimension some cohort of its tree publishes on
        // both sides of it (the Steiner tree of the dimension's users).
        let roots = (0..<n).filter { parent[$0] < 0 }
        var order: [Int] = []  // parents before children
        for r in roots {
            var stack = [r]
            while let v = stack.popLast() {
                order.append(v)
                stack += children[v].reversed()
            }
        }
        var rootOf = [Int](repeating: -1, count: n)
        for v in order { rootOf[v] = parent[v] < 0 ? v : rootOf[parent[v]] }
        var kept = (0..<n).map { uses[$0].union(keep?[$0] ?? []) }
        let allDims = uses.reduce(into: Set<Int>()) { $0.formUnion($1) }
        for d in allDims.sorted() {
            var below = [Int](repeating: 0, count: n)
            for v in order.reversed() {
                below[v] += uses[v].contains(d) ? 1 : 0
                if parent[v] >= 0 { below[parent[v]] += below[v] }
            }
            for v in 0..<n {
                let total = below[rootOf[v]]
                let branches = children[v].filter { below[$0] > 0 }.count
                let inside = uses[v].contains(d) || branches >= 2 || (branches >= 1 && below[v] < total)
                if inside { kept[v].insert(d) }
            }
        }

        // Families: the children of a parent, one per largest set of children that share
        // nobody (a child alone where it shares people with every other). Sets may overlap:
        // a child that shares nobody with two others that overlap is in two families. (For
        // the few children of a dashboard, the sums these families bound are exactly what
        // the parent can hold: the graph of who shares nobody with whom is perfect.)
        func apart(_ a: Int, _ b: Int) -> Bool { disjoint.contains(CohortRelations.Pair(a, b)) }
        var drafts: [(parent: Int, parts: [Int], tree: Bool)] = []
        for p in 0..<n {
            let free = children[p].filter { !equivalent($0, p) }
            for c in children[p] where equivalent(c, p) { drafts.append((p, [c], true)) }
            for clique in Self.largestSetsApart(free, apart: apart) { drafts.append((p, clique, true)) }
        }
        for e in extra { drafts.append((e.outer, [e.inner], false)) }
        // Cohorts that share nobody but whose branches of the tree meet in no family (the
        // residents of two different cohorts, young adults and under-18s with a direct
        // payment): the least cohorts holding both bound their sum, with every other cohort
        // there that shares nobody with them. Where the branches do meet in a family, its
        // parent bounds the sum, and so does every cohort holding that parent; a least cohort
        // holding both but not that parent (a partner's cohort, where the branches meet in
        // the combined one's family) bounds it only through a family of its own.
        var treeApart: [CohortRelations.Pair: Int] = [:]
        for draft in drafts where draft.tree {
            for x in draft.parts { for y in draft.parts where x != y { treeApart[.init(x, y)] = draft.parent } }
        }
        func branch(_ a: Int) -> [Int] {
            var result = [a]
            var p = parent[a]
            while p >= 0 {
                result.append(p)
                p = parent[p]
            }
            return result
        }
        var loose: [Int: Set<CohortRelations.Pair>] = [:]
        for pair in Set(relations.disjoint.map { CohortRelations.Pair(min($0.first, $0.second), max($0.first, $0.second)) }) {
            let (a, b) = (pair.first, pair.second)
            guard a != b else { continue }
            let (up, down) = (branch(a), branch(b))
            let meeting = up.flatMap { x in down.compactMap { treeApart[CohortRelations.Pair(x, $0)] } }
            let common = outer[a].intersection(outer[b])
            for c in common where !common.contains(where: { $0 != c && strictlyWithin($0, c) }) {
                if meeting.contains(where: { $0 == c || outer[$0].contains(c) }) { continue }
                loose[c, default: []].insert(pair)
            }
        }
        for c in loose.keys.sorted() {
            let pairs = loose[c]!
            let members = Set(pairs.flatMap { [$0.first, $0.second] })
            let others = (0..<n).filter { x in outer[x].contains(c) && !equivalent(x, c) && !members.contains(x) && members.contains { apart($0, x) } }
            for clique in Self.largestSetsApart(members.sorted() + others, apart: apart) {
                let loosePair = clique.contains { x in clique.contains { y in x < y && pairs.contains(.init(x, y)) } }
                if loosePair { drafts.append((c, clique, false)) }
            }
        }
        // A family relates its cohorts over the dimensions the parent and its parts keep;
        // each part keeps those too.
        var familyDims: [[Int]] = []
        for draft in drafts {
            let partDims = draft.parts.reduce(into: Set<Int>()) { $0.formUnion(kept[$1]) }
            let link = draft.tree ? kept[draft.parent].intersection(partDims) : draft.parts.reduce(kept[draft.parent]) { $0.intersection(kept[$1]) }
            if draft.tree { for a in draft.parts { kept[a].formUnion(link) } }
            familyDims.append(link.sorted())
        }

        // Hidden leaves: where a cohort keeps a dimension that neither it nor any cohort
        // containing it publishes.
        var recorded = (0..<n).map { Set(cohorts[$0].published) }
        for a in 0..<n { for b in outer[a] { recorded[a].formUnion(cohorts[b].published) } }
        var needsHidden = Set<Int>()
        for a in 0..<n { needsHidden.formUnion(kept[a].subtracting(recorded[a])) }
        var dims = spec
        var hidden = hiddenLeaves ?? [Int?](repeating: nil, count: spec.count)
        for d in needsHidden.sorted() where hiddenLeaves == nil {
            let dim = spec[d]
            var entries: [HierarchyEntry] = []
            for node in 0..<dim.nodeCount where node != dim.total {
                let parentNode = dim.parents[node]
                entries.append(HierarchyEntry(
                    code: dim.codes[node], parent: parentNode == dim.total ? nil : dim.codes[parentNode], label: dim.labels[node]))
            }
            // Leaves keep their order (they come first), the hidden one last among them.
            let leaves = entries.prefix(dim.leafCount)
            entries = Array(leaves) + [HierarchyEntry(code: Self.hiddenLeafCode)] + entries.dropFirst(dim.leafCount)
            dims[d] = try! TableDimension.build(
                name: dim.name, label: dim.label, total: dim.codes[dim.total], totalLabel: dim.labels[dim.total], entries: entries)
            hidden[d] = dims[d].node(Self.hiddenLeafCode)
        }
        dimensions = dims
        hiddenLeaf = hidden

        var blocks: [Block] = []
        var offsets = [0]
        for a in 0..<n {
            let ds = kept[a].sorted()
            let shape = TableShape(dimensions: ds.map { dims[$0] })!
            var empty: [Bool]?
            // The hidden leaf of a dimension this cohort's people always have is empty.
            for (k, d) in ds.enumerated() where hidden[d] != nil && recorded[a].contains(d) {
                if empty == nil { empty = [Bool](repeating: false, count: shape.cellCount) }
                let stride = shape.strides[k]
                let count = dims[d].nodeCount
                for cell in 0..<shape.cellCount where (cell / stride) % count == hidden[d]! { empty![cell] = true }
            }
            // Where the filters leave the cohort empty.
            for fact in zeros.cohorts[a] ?? [] {
                guard let k = ds.firstIndex(of: fact.dimension) else { continue }
                let nodes = Self.emptyNodes(dims[fact.dimension], fact.leaves)
                if empty == nil { empty = [Bool](repeating: false, count: shape.cellCount) }
                let stride = shape.strides[k]
                let count = dims[fact.dimension].nodeCount
                for cell in 0..<shape.cellCount where nodes[(cell / stride) % count] { empty![cell] = true }
            }
            blocks.append(Block(
                published: cohorts[a].published.sorted(), dimensions: ds, shape: shape, measure: cohorts[a].measure, recorded: recorded[a],
                empty: empty))
            offsets.append(offsets.last! + shape.cellCount)
        }
        self.blocks = blocks
        self.offsets = offsets

        var families: [CohortFamily] = []
        for (draft, link) in zip(drafts, familyDims) {
            let shape = TableShape(dimensions: link.map { dims[$0] })!
            let parentCells = Self.embed(shape, link, into: blocks[draft.parent])
            let partCells = draft.parts.map { Self.embed(shape, link, into: blocks[$0]) }
            var empty = draft.parts.count == 1 && equivalent(draft.parts[0], draft.parent) ? [Bool](repeating: true, count: shape.cellCount) : nil
            for fact in zeros.complements[[draft.parent] + draft.parts.sorted()] ?? [] {
                guard let k = link.firstIndex(of: fact.dimension) else { continue }
                let nodes = Self.emptyNodes(dims[fact.dimension], fact.leaves)
                if empty == nil { empty = [Bool](repeating: false, count: shape.cellCount) }
                let stride = shape.strides[k]
                let count = dims[fact.dimension].nodeCount
                for cell in 0..<shape.cellCount where nodes[(cell / stride) % count] { empty![cell] = true }
            }
            families.append(CohortFamily(
                parent: draft.parent, parts: draft.parts, tree: draft.tree, dimensions: link, shape: shape, parentCells: parentCells,
                partCells: partCells, emptyComplement: empty))
        }
        self.families = families

        var components = DisjointSets(count: n)
        for f in families { for a in f.parts { components.union(f.parent, a) } }
        self.components = (0..<n).map { components.find($0) }
    }

    /// Per node of a dimension, whether every leaf under it is among `leaves`.
    public static func emptyNodes(_ dim: TableDimension, _ leaves: Set<Int>) -> [Bool] {
        var empty = (0..<dim.nodeCount).map { dim.isLeaf($0) && leaves.contains($0) }
        for node in dim.rollUpOrder { empty[node] = dim.children[node].allSatisfy { empty[$0] } }
        return empty
    }

    /// The layout of some of the cohorts (a component), their shapes unchanged; block `k`
    /// of the result is block `blocks[k]` here.
    public func restricted(to blocks: [Int]) -> CohortLayout {
        let number = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { ($1, $0) })
        func renumber(_ pairs: [CohortRelations.Pair]) -> [CohortRelations.Pair] {
            pairs.compactMap { p in number[p.first].flatMap { a in number[p.second].map { CohortRelations.Pair(a, $0) } } }
        }
        var restrictedZeros = StructuralZeros()
        for (c, facts) in zeros.cohorts { if let k = number[c] { restrictedZeros.cohorts[k] = facts } }
        for (key, facts) in zeros.complements where key.allSatisfy({ number[$0] != nil }) {
            restrictedZeros.complements[[number[key[0]]!] + key.dropFirst().map { number[$0]! }.sorted()] = facts
        }
        return CohortLayout(
            dimensions: dimensions, cohorts: blocks.map { (published: self.blocks[$0].published, measure: self.blocks[$0].measure) },
            relations: CohortRelations(within: renumber(relations.within), disjoint: renumber(relations.disjoint)), zeros: restrictedZeros,
            keep: blocks.map { self.blocks[$0].dimensions }, hiddenLeaves: hiddenLeaf)
    }

    /// Per cell of `shape` (over dimensions `dims`), the block's cell with the same
    /// categories, and the total in the block's other dimensions.
    static func embed(_ shape: TableShape, _ dims: [Int], into block: Block) -> [Int] {
        let strides = dims.map { d in block.shape.strides[block.dimensions.firstIndex(of: d)!] }
        var base = 0
        for (k, d) in block.dimensions.enumerated() where !dims.contains(d) { base += block.shape.dimensions[k].total * block.shape.strides[k] }
        return (0..<shape.cellCount).map { cell in zip(shape.nodes(of: cell), strides).reduce(base) { $0 + $1.0 * $1.1 } }
    }

    /// The cell of block `b` at the categories of block `a`'s cell `c` (totals elsewhere),
    /// or nil when `c` is broken down by a dimension `b` does not keep.
    public func cell(_ c: Int, of a: Int, in b: Int) -> Int? {
        let source = blocks[a]
        let nodes = source.shape.nodes(of: c)
        for (j, d) in source.dimensions.enumerated() where !blocks[b].dimensions.contains(d) && nodes[j] != dimensions[d].total { return nil }
        return project(c, of: a, to: b)
    }

    /// The cell of block `b` holding the people of block `a`'s cell `c` (were they in `b`):
    /// `c`'s categories in the dimensions `b` keeps, totals in the others.
    public func project(_ c: Int, of a: Int, to b: Int) -> Int {
        let source = blocks[a]
        let target = blocks[b]
        let nodes = source.shape.nodes(of: c)
        var result = 0
        for (k, d) in target.dimensions.enumerated() {
            let node: Int
            if let j = source.dimensions.firstIndex(of: d) { node = nodes[j] } else { node = dimensions[d].total }
            result += node * target.shape.strides[k]
        }
        return result
    }

    /// The implied groups among published cells: for every pair of cohorts one within the
    /// other, and every family of several parts, the cells where all terms are published.
    ///
    /// - Parameter published: per global cell, whether some table publishes it.
    public func groups(published: [Bool]) -> [ImpliedGroup] {
        precondition(published.count == cellCount)
        var result: [ImpliedGroup] = []
        var seen = Set<ImpliedGroup>()
        func add(_ g: ImpliedGroup) {
            if seen.insert(g).inserted { result.append(g) }
        }
        var outer = [Set<Int>](repeating: [], count: blocks.count)
        for p in relations.within where p.first != p.second { outer[p.first].insert(p.second) }
        for a in blocks.indices {
            for b in outer[a].sorted() where !outer[b].contains(a) && components[a] == components[b] {
                for c in 0..<blocks[b].shape.cellCount where published[global(b, c)] && blocks[b].empty?[c] != true {
                    guard let inner = cell(c, of: b, in: a), published[global(a, inner)], cell(inner, of: a, in: b) == c,
                        !emptyBetween(a, inner, b)
                    else { continue }
                    add(ImpliedGroup(plus: global(b, c), minus: [global(a, inner)]))
                }
            }
        }
        for f in families where f.parts.count > 1 {
            for h in 0..<f.shape.cellCount where f.emptyComplement?[h] != true {
                let plus = global(f.parent, f.parentCells[h])
                let minus = f.parts.indices.map { global(f.parts[$0], f.partCells[$0][h]) }
                if published[plus] && minus.allSatisfy({ published[$0] }) { add(ImpliedGroup(plus: plus, minus: minus)) }
            }
        }
        return result
    }

    /// Whether the people in cohort `b` but not in cohort `a` (within it) at the categories
    /// of `a`'s cell `c` are none whatever the data: every step up the tree from `a` to `b` is
    /// a family of one part whose complement is empty there.
    func emptyBetween(_ a: Int, _ c: Int, _ b: Int) -> Bool {
        var x = a
        while x != b {
            guard let f = families.first(where: { $0.tree && $0.parts.contains(x) }) else { return false }
            guard let step = families.first(where: { $0.parent == f.parent && $0.parts == [x] }), let empty = step.emptyComplement else { return false }
            // The complement's cell at the categories of `c` it is broken down by.
            let nodes = blocks[a].shape.nodes(of: c)
            var h = 0
            for (k, d) in step.dimensions.enumerated() {
                let node = blocks[a].dimensions.firstIndex(of: d).map { nodes[$0] } ?? dimensions[d].total
                h += node * step.shape.strides[k]
            }
            guard empty[h] else { return false }
            x = f.parent
        }
        return true
    }

    /// Per family, per cell of its shape, the complement: the parent's count minus its
    /// parts' counts.
    ///
    /// - Parameter counts: per global cell, the count of people.
    public func complements(counts: [Int64]) -> [[Int64]] {
        families.map { f in
            (0..<f.shape.cellCount).map { h in
                var k = counts[global(f.parent, f.parentCells[h])]
                for (i, a) in f.parts.enumerated() { k -= counts[global(a, f.partCells[i][h])] }
                return k
            }
        }
    }
}
