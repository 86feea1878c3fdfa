/// One quantity of a cohort table as a release shows it (the counts, or the sums of a
/// magnitude), for an audit that knows nothing of how the release was made.
public struct PublishedQuantity: Sendable {
    public var shape: TableShape
    /// Per cell: the published value (in units of 10^-places), or nil where it is withheld
    /// or no table publishes it.
    public var values: [Int64?]
    /// The cells some table shows as withheld.
    public var withheld: [Bool]
    /// What the attacker is assumed to know besides (in the same units as `values`).
    public var bounds: [Int: CellBounds]

    public init(shape: TableShape, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds] = [:]) {
        precondition(values.count == shape.cellCount && withheld.count == shape.cellCount)
        self.shape = shape
        self.values = values
        self.withheld = withheld
        self.bounds = bounds
    }
}

/// What an attacker can learn about a quantity's withheld cells.
public struct DisclosureReport: Sendable {
    /// Total cells of relations whose cells are all published but do not add up.
    public var inconsistent: [Int]
    /// Each withheld cell's feasibility interval.
    public var intervals: [Int: FeasibilityInterval]
    /// Withheld cells the relations determine by linear algebra alone.
    public var linear: Set<Int>
    /// Withheld cells for which no table fits the published figures and declared bounds.
    public var contradicted: [Int]

    public init(inconsistent: [Int], intervals: [Int: FeasibilityInterval], linear: Set<Int>, contradicted: [Int]) {
        self.inconsistent = inconsistent
        self.intervals = intervals
        self.linear = linear
        self.contradicted = contradicted
    }

    /// Withheld cells an attacker knows exactly, in cell order.
    public var exposed: [Int] { intervals.filter { $0.value.isExact }.keys.sorted() }
}

/// The audit of a published table from the outside: the relations of its shape, its
/// published figures and non-negativity, nothing else. Gaussian elimination finds the
/// cells linear algebra gives away; the exact simplex gives every withheld cell's
/// interval, which also shows cells that non-negativity pins down.
public enum DisclosureAudit {
    public static func run(_ quantity: PublishedQuantity) -> DisclosureReport {
        let shape = quantity.shape
        var inconsistent: [Int] = []
        for relation in shape.relations() {
            guard let total = quantity.values[relation.total] else { continue }
            var sum: Int64 = 0
            var complete = true
            for part in relation.parts {
                guard let v = quantity.values[part] else {
                    complete = false
                    break
                }
                sum += v
            }
            if complete && sum != total { inconsistent.append(relation.total) }
        }
        let withheld = (0..<shape.cellCount).filter { quantity.withheld[$0] }
        let linear = LinearDisclosure.determined(shape: shape, unknown: quantity.values.map { $0 == nil })
        // Where published figures contradict each other there is no consistent table to
        // solve for.
        let intervals = inconsistent.isEmpty ? IntervalAudit.intervals(shape: shape, values: quantity.values, cells: withheld, bounds: quantity.bounds) : [:]
        let contradicted = inconsistent.isEmpty ? withheld.filter { intervals[$0] == nil } : []
        return DisclosureReport(
            inconsistent: Array(Set(inconsistent)).sorted(), intervals: intervals, linear: linear.intersection(withheld), contradicted: contradicted)
    }
}

/// What an attacker can learn about the counts of linked cohorts (counts of people, and
/// the contributor counts of magnitude tables) and the groups they imply.
public struct LinkedDisclosureReport: Sendable {
    /// Total cells (global) of relations whose cells are all published but do not add up.
    public var inconsistent: [Int]
    /// Families (index, complement cell) whose published figures leave a negative complement:
    /// more people in a cohort's parts than in the cohort.
    public var negativeComplements: [(family: Int, cell: Int)]
    /// Each withheld cell's feasibility interval (global cells).
    public var intervals: [Int: FeasibilityInterval]
    /// Each group's interval, in the order given (nil where no solution fits).
    public var groups: [FeasibilityInterval?]
    /// Withheld cells the relations determine by linear algebra alone.
    public var linear: Set<Int>
    /// Withheld cells for which no solution fits the published figures and declared bounds.
    public var contradicted: [Int]
}

/// The attacker's view of linked cohorts' counts as a linear system, and where each cell
/// of the layout is in it.
public struct LinkedView: Sendable {
    public var view: LinearView
    /// Per global cell, its unknown in the view (-1 for a cell the view does not hold: a
    /// cell of a cohort table that no figure and no relation needs).
    public var variable: [Int32]

    /// A global cell's unknown, if the view holds it.
    public func variable(_ g: Int) -> Int? { variable[g] >= 0 ? Int(variable[g]) : nil }
}

extension CohortLayout {
    /// The attacker's view of the cohorts' counts: the cells of every cohort table, then a
    /// complement per family and leaf cell of its table (the people in the parent and in
    /// none of its parts: never negative, and zero where the spec says so).
    ///
    /// A cohort table whose figures need only some combinations of its dimensions (tables by
    /// area and age, by area and sex, by area and ethnic group) is held as smaller tables, one
    /// per clique of a junction tree of those combinations, agreeing on their shared margins:
    /// any such tables that agree have a table over all the dimensions that they are margins
    /// of, so an attacker learns nothing more from the whole, and the linear programmes are
    /// far smaller.
    ///
    /// - Parameters:
    ///   - values: per global cell, the published count, or nil.
    ///   - bounds: per global cell, what the release states of it besides.
    ///   - tables: per block, the dimensions of each table that publishes it (nil: hold every
    ///     cohort table whole).
    public func view(values: [Int64?], bounds: [Int: CellBounds] = [:], tables: [[[Int]]]? = nil) -> LinkedView {
        precondition(values.count == cellCount)
        var relations: [[(variable: Int, coefficient: Rational)]] = []
        var variable = [Int32](repeating: -1, count: cellCount)
        var count = 0
        for (b, block) in blocks.enumerated() {
            // The combinations of dimensions the block's figures and relations need.
            var needed = (tables?[b] ?? [block.dimensions]).map { Set($0) }
            for family in families where family.parent == b || family.parts.contains(b) { needed.append(Set(family.dimensions)) }
            let cliques = Self.cliques(block.dimensions, needed)
            var tablesOf: [(dims: [Int], shape: TableShape, first: Int)] = []
            for clique in cliques {
                let shape = TableShape(dimensions: clique.map { dimensions[$0] })!
                tablesOf.append((clique, shape, count))
                for r in shape.relations() {
                    relations.append([(count + r.total, .one)] + r.parts.map { (count + $0, -Rational.one) })
                }
                count += shape.cellCount
            }
            // Neighbouring cliques agree on their shared margins.
            for (i, j) in Self.junctionTree(cliques) {
                let shared = cliques[i].filter(cliques[j].contains)
                let sepShape = TableShape(dimensions: shared.map { dimensions[$0] })!
                let a = Self.embed(sepShape, shared, into: tablesOf[i].dims, tablesOf[i].shape)
                let c = Self.embed(sepShape, shared, into: tablesOf[j].dims, tablesOf[j].shape)
                for h in 0..<sepShape.cellCount {
                    relations.append([(tablesOf[i].first + a[h], .one), (tablesOf[j].first + c[h], -.one)])
                }
            }
            // Each cell of the block: in the first clique holding its broken-down dimensions.
            for cell in 0..<block.shape.cellCount {
                let nodes = block.shape.nodes(of: cell)
                let broken = block.dimensions.indices.filter { nodes[$0] != block.shape.dimensions[$0].total }.map { block.dimensions[$0] }
                guard let t = tablesOf.firstIndex(where: { table in broken.allSatisfy(table.dims.contains) }) else { continue }
                let table = tablesOf[t]
                var at = 0
                for (k, d) in table.dims.enumerated() { at += nodes[block.dimensions.firstIndex(of: d)!] * table.shape.strides[k] }
                variable[global(b, cell)] = Int32(table.first + at)
            }
        }
        var known = [Rational?](repeating: nil, count: count)
        var stated: [Int: CellBounds] = [:]
        for g in 0..<cellCount {
            guard variable[g] >= 0 else { continue }
            let v = Int(variable[g])
            if let x = values[g] { known[v] = Rational(x) }
            if let b = bounds[g] { stated[v] = b }
        }
        for (b, block) in blocks.enumerated() {
            guard let empty = block.empty else { continue }
            for c in empty.indices where empty[c] && variable[global(b, c)] >= 0 { known[Int(variable[global(b, c)])] = .zero }
        }
        for family in families {
            for h in family.shape.innerToFull() {
                var row: [(variable: Int, coefficient: Rational)] = [(Int(variable[global(family.parent, family.parentCells[h])]), .one)]
                for (i, part) in family.parts.enumerated() { row.append((Int(variable[global(part, family.partCells[i][h])]), -.one)) }
                if family.emptyComplement?[h] != true {
                    row.append((count, -.one))
                    known.append(nil)
                    count += 1
                }
                relations.append(row)
            }
        }
        return LinkedView(view: LinearView(count: count, relations: relations, values: known, bounds: stated), variable: variable)
    }

    /// Cliques covering `needed` (sets of dimensions, within `dims`) whose graph is chordal:
    /// the dimensions eliminated one at a time, fewest new links first. A cohort with no
    /// dimensions is one table of one cell, its total (not no table: its families and
    /// figures still need that cell).
    static func cliques(_ dims: [Int], _ needed: [Set<Int>]) -> [[Int]] {
        if dims.isEmpty { return [[]] }
        var neighbours = Dictionary(uniqueKeysWithValues: dims.map { ($0, Set<Int>()) })
        for set in needed {
            for a in set where neighbours[a] != nil { for b in set where b != a && neighbours[b] != nil { neighbours[a]!.insert(b) } }
        }
        var remaining = Set(dims)
        var cliques: [Set<Int>] = []
        while !remaining.isEmpty {
            func fill(_ d: Int) -> Int {
                let n = Array(neighbours[d]!.intersection(remaining))
                var missing = 0
                for i in n.indices { for j in (i + 1)..<n.count where !neighbours[n[i]]!.contains(n[j]) { missing += 1 } }
                return missing
            }
            let d = remaining.min { (fill($0), $0) < (fill($1), $1) }!
            let n = neighbours[d]!.intersection(remaining)
            for a in n { for b in n where b != a { neighbours[a]!.insert(b) } }
            let clique = n.union([d])
            if !cliques.contains(where: { clique.isSubset(of: $0) }) {
                cliques.removeAll { $0.isSubset(of: clique) }
                cliques.append(clique)
            }
            remaining.remove(d)
        }
        return cliques.map { $0.sorted() }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The edges of a junction tree on cliques: a spanning tree of greatest total overlap.
    static func junctionTree(_ cliques: [[Int]]) -> [(Int, Int)] {
        var edges: [(weight: Int, i: Int, j: Int)] = []
        for i in cliques.indices { for j in (i + 1)..<cliques.count { edges.append((cliques[i].filter(cliques[j].contains).count, i, j)) } }
        edges.sort { ($0.weight, -$0.i, -$0.j) > ($1.weight, -$1.i, -$1.j) }
        var sets = DisjointSets(count: cliques.count)
        var tree: [(Int, Int)] = []
        for e in edges where sets.find(e.i) != sets.find(e.j) {
            sets.union(e.i, e.j)
            tree.append((e.i, e.j))
        }
        return tree
    }

    /// Per cell of `shape` (over dimensions `dims`), the cell of a table over `target` (a
    /// superset) with the same categories, totals elsewhere.
    static func embed(_ shape: TableShape, _ dims: [Int], into target: [Int], _ targetShape: TableShape) -> [Int] {
        let strides = dims.map { d in targetShape.strides[target.firstIndex(of: d)!] }
        var base = 0
        for (k, d) in target.enumerated() where !dims.contains(d) { base += targetShape.dimensions[k].total * targetShape.strides[k] }
        return (0..<shape.cellCount).map { cell in zip(shape.nodes(of: cell), strides).reduce(base) { $0 + $1.0 * $1.1 } }
    }
}

extension DisclosureAudit {
    /// The audit of linked cohorts' counts from the outside: the relations of every cohort
    /// table and between cohorts, the published counts, the ranges the release states, and
    /// non-negativity.
    ///
    /// - Parameters:
    ///   - values: per global cell, the published count, or nil where withheld or unpublished.
    ///   - withheld: per global cell, whether some table shows it as withheld.
    ///   - groups: the groups to bound.
    ///   - groupLowerWhere: given a group's index and its greatest value, whether its least
    ///     value is wanted (elsewhere its interval's lower end is 0 and means nothing).
    ///   - tables: per block, the dimensions of each table that publishes it (see
    ///     ``CohortLayout/view(values:bounds:tables:)``).
    public static func run(
        layout: CohortLayout, values: [Int64?], withheld: [Bool], bounds: [Int: CellBounds], groups: [ImpliedGroup],
        tables: [[[Int]]]? = nil, groupLowerWhere: ((Int, Rational?) -> Bool)? = nil
    ) -> LinkedDisclosureReport {
        var inconsistent: [Int] = []
        for (b, block) in layout.blocks.enumerated() {
            for relation in block.shape.relations() {
                guard let total = values[layout.global(b, relation.total)] else { continue }
                var sum: Int64 = 0
                var complete = true
                for part in relation.parts {
                    guard let v = values[layout.global(b, part)] else {
                        complete = false
                        break
                    }
                    sum += v
                }
                if complete && sum != total { inconsistent.append(layout.global(b, relation.total)) }
            }
        }
        var negative: [(family: Int, cell: Int)] = []
        for (f, family) in layout.families.enumerated() {
            for h in 0..<family.shape.cellCount {
                guard var k = values[layout.global(family.parent, family.parentCells[h])] else { continue }
                var complete = true
                for (i, part) in family.parts.enumerated() {
                    guard let v = values[layout.global(part, family.partCells[i][h])] else {
                        complete = false
                        break
                    }
                    k -= v
                }
                if complete && (k < 0 || family.emptyComplement?[h] == true && k != 0) { negative.append((f, h)) }
            }
        }
        let linked = layout.view(values: values, bounds: bounds, tables: tables)
        let view = linked.view
        let cells = (0..<layout.cellCount).filter { withheld[$0] }
        var unknown = view.values.map { $0 == nil }
        for (c, b) in view.bounds where b.lower != nil && b.lower == b.upper { unknown[c] = false }
        let determined = LinearDisclosure.determined(relations: view.relations, unknown: unknown)
        let linear = Set(cells.filter { linked.variable($0).map(determined.contains) ?? false })
        guard inconsistent.isEmpty && negative.isEmpty else {
            return LinkedDisclosureReport(
                inconsistent: Array(Set(inconsistent)).sorted(), negativeComplements: negative, intervals: [:], groups: groups.map { _ in nil },
                linear: linear.intersection(cells), contradicted: [])
        }
        let objectives = cells.map { [(linked.variable($0)!, Rational.one)] } + groups.map { g in g.terms.map { (linked.variable($0.cell)!, Rational(Int64($0.sign))) } }
        let found = IntervalAudit.intervals(view, of: objectives) { i, upper in
            i < cells.count || groupLowerWhere?(i - cells.count, upper) ?? true
        }
        var intervals: [Int: FeasibilityInterval] = [:]
        for (c, interval) in zip(cells, found) where interval != nil { intervals[c] = interval }
        return LinkedDisclosureReport(
            inconsistent: [], negativeComplements: [], intervals: intervals, groups: Array(found.dropFirst(cells.count)), linear: linear.intersection(cells),
            contradicted: cells.filter { intervals[$0] == nil })
    }
}
