/// What secondary suppression minimises when it chooses complementary cells.
public enum SuppressionCost: String, Sendable, Hashable, CaseIterable {
    /// Fewest cells first, then the smallest values (the default).
    case cells
    /// The smallest total value withheld.
    case value
}

/// How secondary suppression searches for certificates.
public enum SuppressionMethod: String, Sendable, Hashable, CaseIterable {
    /// Products of one move per dimension, then cycles in the plane of each pair of
    /// dimensions (the default: fewer cells withheld).
    case cycles
    /// Products of one move per dimension only, like a hypercube method (faster on very
    /// large tables, withholds more).
    case products
}

/// The secondary-suppression settings of a release.
public struct SecondaryPolicy: Sendable, Hashable {
    public var method: SuppressionMethod
    public var frequency: FrequencyProtection
    /// Whether a cell's only contributor is assumed to know its value (and so may not be
    /// relied on to protect another cell).
    public var singletons: Bool
    public var cost: SuppressionCost
    /// Cost multipliers by dimension name and category code: a cell costs its cost times
    /// the weight of each of its categories (1 where none is given), so that a weight of 10
    /// on a total makes withholding it as costly as withholding ten other cells.
    public var weights: [String: [String: Int]]

    public init(
        method: SuppressionMethod = .cycles, frequency: FrequencyProtection = .reachThreshold, singletons: Bool = true, cost: SuppressionCost = .cells,
        weights: [String: [String: Int]] = [:]
    ) {
        self.weights = weights
        self.method = method
        self.frequency = frequency
        self.singletons = singletons
        self.cost = cost
    }
}

/// How far each published count may move in a witness and still agree with its rounded
/// figure (-1 where it will not be rounded), so that it can stay published.
struct CountSlack {
    let down: [Int64]
    let up: [Int64]

    /// Whether a certificate's moves of a cell (in its upper witness, its lower witness or
    /// both) stay within its slack.
    @inline(__always)
    func fits(_ cell: Int, _ sign: Int8, _ r: ProtectionRequirement, up goesUp: Bool, down goesDown: Bool) -> Bool {
        let s = Int64(sign)
        return (!goesUp || allows(cell, s * r.countUp)) && (!goesDown || allows(cell, -s * r.countDown))
    }

    @inline(__always)
    func allows(_ cell: Int, _ move: Int64) -> Bool { move == 0 || (move > 0 ? move <= up[cell] : -move <= down[cell]) }
}

/// The least and greatest count each cell may take in a witness.
struct CountLimits {
    let floor: [Int64]
    let ceiling: [Int64]

    @inline(__always)
    func allow(_ cell: Int, _ count: Int64) -> Bool { count >= floor[cell] && count <= ceiling[cell] }
}

/// A sensitive cell that no pattern of suppressions can protect.
public struct SuppressionFailure: Error, Sendable, Hashable {
    public var cell: Int
}

/// One cohort table to protect: its true values, which cells any table publishes, the
/// statuses after the primary rules, and what each sensitive cell requires.
public struct SuppressionProblem: Sendable {
    public var table: AggregatedTable
    /// Whether each cell is published by some table (the others are never published, and
    /// are free to differ in a witness).
    public var published: [Bool]
    public var statuses: [CellStatus]
    /// The sensitive cells and their requirements.
    public var requirements: [Int: ProtectionRequirement]
    /// Counts the release shows to lie within bounds although they are withheld (small
    /// counts shown as "fewer than 5"): every witness must keep them there.
    public var countBounds: [Int: CellBounds]
    /// Requirements that serve instead of a cell's first one when that cannot be met: a
    /// small count shown as such must not be told exactly, one above or one below.
    public var alternatives: [Int: ProtectionRequirement] = [:]
    /// The least count anyone can tell a withheld published cell has (other than one with
    /// its own `countBounds`): 1 where zeros are published, since an empty cell is then
    /// never withheld; the first count that is not small where small counts are shown as
    /// such; 0 where zeros may be withheld. Every witness keeps non-empty published cells
    /// at least this large.
    public var withheldCountsAtLeast: Int64

    /// The rounding the release applies to published counts: a certificate may move a
    /// published count within what its rounded figure will tell, and leave it published.
    public var rounding: RoundedFigureRules?
    /// Per cell, whether the rounding's levels reach it (nil: every cell).
    public var roundingScope: [Bool]?

    public init(
        table: AggregatedTable, published: [Bool], statuses: [CellStatus], requirements: [Int: ProtectionRequirement],
        countBounds: [Int: CellBounds] = [:], withheldCountsAtLeast: Int64 = 0
    ) {
        self.table = table
        self.published = published
        self.statuses = statuses
        self.requirements = requirements
        self.countBounds = countBounds
        self.withheldCountsAtLeast = withheldCountsAtLeast
    }

    /// How far a published count may move, down and up, and still agree with the rounded
    /// figure the release will show for it (whichever figure the rounding draws); nil where
    /// it will not be rounded.
    public func roundingSlack(_ cell: Int) -> (down: Int64, up: Int64)? {
        guard let rounding, !table.measure.isMagnitude, published[cell], roundingScope?[cell] ?? true else { return nil }
        let x = table.values[cell]
        let b = rounding.whateverTheFigure(x)
        return (x - (b.lower ?? 0), (b.upper ?? .max) - x)
    }

    /// What the release tells of a cell's count should it be withheld, if anything.
    public func knownCount(_ cell: Int) -> CellBounds? {
        if let b = countBounds[cell] { return b }
        guard withheldCountsAtLeast > 0, published[cell], table.contributors(cell) > 0 else { return nil }
        return CellBounds(lower: withheldCountsAtLeast)
    }

    /// The least count a withheld cell can be told to have under a policy (see
    /// ``withheldCountsAtLeast``).
    public static func withheldCountsAtLeast(primary: PrimaryPolicy, secondary: SecondaryPolicy, measure: Measure) -> Int64 {
        guard primary.zeros == .publish else { return 0 }
        if secondary.frequency == .band && !measure.isMagnitude, let rule = primary.frequency { return FrequencyProtection.largestSmall(rule) + 1 }
        return 1
    }

    /// Applies the primary rules to the published cells of a cohort table; with `rounding`,
    /// the rounding the release will apply to its published counts.
    public init(
        table: AggregatedTable, published: [Bool], primary: PrimaryPolicy, secondary: SecondaryPolicy, rounding: RoundedFigureRules? = nil
    ) {
        var statuses = [CellStatus](repeating: .published, count: table.shape.cellCount)
        var requirements: [Int: ProtectionRequirement] = [:]
        var countBounds: [Int: CellBounds] = [:]
        var alternatives: [Int: ProtectionRequirement] = [:]
        // Small counts shown as such apply to count tables; elsewhere they are withheld
        // like any other cell, and need to reach the threshold.
        let band = secondary.frequency == .band && !table.measure.isMagnitude
        let frequency: FrequencyProtection = secondary.frequency == .band && !band ? .reachThreshold : secondary.frequency
        let least = Self.withheldCountsAtLeast(primary: primary, secondary: secondary, measure: table.measure)
        for cell in 0..<table.shape.cellCount where published[cell] {
            let failed = primary.failures(of: table, cell: cell)
            guard !failed.isEmpty else { continue }
            statuses[cell] = CellStatus(disposition: .primary, failed: failed)
            var r = primary.requirement(for: table, cell: cell, failed: failed, frequency: frequency)
            // Nobody can be led to think a withheld count is below what the release tells.
            if !band || !ProtectedTable.showsAsSmall(statuses[cell], measure: table.measure) {
                r.countDown = min(r.countDown, max(0, table.contributors(cell) - least))
            }
            requirements[cell] = r
            if band, let rule = primary.frequency, ProtectedTable.showsAsSmall(statuses[cell], measure: table.measure) {
                let n = table.contributors(cell)
                countBounds[cell] = CellBounds(lower: 1, upper: FrequencyProtection.largestSmall(rule))
                if n > 1 && n < FrequencyProtection.largestSmall(rule) { alternatives[cell] = ProtectionRequirement(countDown: 1) }
            }
        }
        self.init(
            table: table, published: published, statuses: statuses, requirements: requirements, countBounds: countBounds,
            withheldCountsAtLeast: least)
        self.alternatives = alternatives
        if let rounding, !table.measure.isMagnitude {
            self.rounding = rounding
            roundingScope = rounding.policy.levelScope(table.shape)
        }
    }
}

/// Chooses complementary (secondary) suppressions so that every sensitive cell has a
/// certificate of protection: a perturbation of the withheld and unpublished cells that
/// keeps every relation of the table, every published figure and non-negativity, and moves
/// the sensitive cell by its full protection levels.
///
/// For each sensitive cell it searches perturbations built from one move per dimension
/// (a sibling with the opposite sign, the chain of ancestors, or a path down from a
/// total), and cycles in the plane of two dimensions times one move in each other (the
/// cheapest cycle by Dijkstra's algorithm), for the cheapest, reusing cells already
/// withheld at no cost. Rounds of re-certification follow, then a second pass
/// tries to publish each secondary cell again, keeping it only if some sensitive cell has
/// no other certificate without it. Cells that nobody contributes to are never used (a
/// structural zero is known to be zero). When singletons are protected, a published
/// table's cell with a single contributor (other than the sensitive cell's own) is relied
/// on only by certificates that another certificate backs up without it: that contributor
/// knows the value.
public struct SecondarySuppressor {
    /// The problem, with the requirement each sensitive cell was protected to (a cell that
    /// could meet only its alternative requirement holds that one).
    public private(set) var problem: SuppressionProblem
    public let policy: SecondaryPolicy
    let shape: TableShape
    let counts: [Int64]
    /// Where the release shows some withheld counts within bounds: per cell, the least and
    /// greatest count a witness may give it (nil when no count is shown so).
    let countLimits: CountLimits?
    /// Where published counts will be rounded: how far each may move and stay published.
    let countSlack: CountSlack?
    /// Magnitude values (empty for count tables).
    let values: [Int64]
    let magnitude: Bool
    var withheld: [Bool]
    let cost: [Double]
    /// Certificates by sensitive cell.
    public private(set) var certificates: [Int: [ProtectionCertificate]] = [:]
    /// For each cell used by a certificate, the sensitive cells whose certificates use it.
    var users: [Int: Set<Int>] = [:]
    /// The most perturbations tried per sensitive cell.
    static let searchLimit = 1024

    public init(problem: SuppressionProblem, policy: SecondaryPolicy) {
        self.problem = problem
        self.policy = policy
        shape = problem.table.shape
        let table = problem.table
        counts = (0..<shape.cellCount).map { table.contributors($0) }
        if problem.countBounds.isEmpty && problem.withheldCountsAtLeast == 0 {
            countLimits = nil
        } else {
            var floor = [Int64](repeating: 0, count: shape.cellCount)
            var ceiling = [Int64](repeating: .max, count: shape.cellCount)
            for cell in 0..<shape.cellCount {
                guard let b = problem.knownCount(cell) else { continue }
                floor[cell] = b.lower ?? 0
                ceiling[cell] = b.upper ?? .max
            }
            countLimits = CountLimits(floor: floor, ceiling: ceiling)
        }
        if problem.rounding != nil {
            var down = [Int64](repeating: -1, count: shape.cellCount)
            var up = [Int64](repeating: -1, count: shape.cellCount)
            for cell in 0..<shape.cellCount {
                guard let slack = problem.roundingSlack(cell) else { continue }
                down[cell] = slack.down
                up[cell] = slack.up
            }
            countSlack = CountSlack(down: down, up: up)
        } else {
            countSlack = nil
        }
        magnitude = table.measure.isMagnitude
        values = magnitude ? table.values : []
        withheld = problem.statuses.map { $0.disposition.isWithheld }
        // Fewest cells, then smallest values: the value part stays below one cell's cost.
        let v = magnitude ? values : counts
        let scale = Double(v.max() ?? 0) + 1
        var cost = (0..<shape.cellCount).map { cell in
            switch policy.cost {
            case .cells: return 1 + Double(v[cell]) / scale
            case .value: return Double(v[cell]) + 1 / scale
            }
        }
        if !policy.weights.isEmpty {
            let factors = shape.dimensions.map { dim in
                dim.codes.map { Double(policy.weights[dim.name]?[$0] ?? 1) }
            }
            for cell in 0..<shape.cellCount {
                var c = cell
                for d in (0..<shape.dimensions.count).reversed() {
                    let count = shape.dimensions[d].nodeCount
                    cost[cell] *= factors[d][c % count]
                    c /= count
                }
            }
        }
        self.cost = cost
        // Where a node's moves and plane axis do not depend on the cell (its siblings are
        // leaves, so no path down has to be chosen), build them once.
        let shape = problem.table.shape
        let counts = self.counts
        var fixedMoves: [[[ScoredMove]?]] = []
        var fixedAxes: [[PlaneAxis?]] = []
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
                    moves[n] = Self.moves(shape: shape, counts: counts, cell, nodes, d).map { move in
                        ScoredMove(move: move, offsets: move.nodes.map { ($0 - n) * shape.strides[d] }, score: 0)
                    }
                }
                axes[n] = Self.planeAxis(shape: shape, counts: counts, cell, nodes, d)
            }
            fixedMoves.append(moves)
            fixedAxes.append(axes)
        }
        self.fixedMoves = fixedMoves
        self.fixedAxes = fixedAxes
    }

    /// Moves and plane axes built once per node (nil where they depend on the cell).
    let fixedMoves: [[[ScoredMove]?]]
    let fixedAxes: [[PlaneAxis?]]
    /// Nodes with more siblings than this build their moves when needed, to bound memory.
    static let fixedSiblingLimit = 512

    /// The statuses after secondary suppression.
    public var statuses: [CellStatus] {
        var result = problem.statuses
        for cell in 0..<shape.cellCount where withheld[cell] && !result[cell].disposition.isWithheld && problem.published[cell] {
            result[cell].disposition = .secondary
        }
        return result
    }

    /// Rounds of re-certification after the first pass.
    public static let improvementRounds = 2

    /// Protects every sensitive cell, improves the choices, then publishes again what is
    /// not needed.
    public mutating func run() throws(SuppressionFailure) {
        let sensitive = problem.requirements.keys.sorted().filter { !problem.requirements[$0]!.isEmpty }
        for cell in sensitive { try protect(cell, problem.requirements[cell]!) }
        for _ in 0..<Self.improvementRounds where improve(sensitive) == 0 { break }
        prune()
    }

    /// Takes each cell's certificates away and certifies it again, now knowing what every
    /// other cell relies on, keeping the new choice only when it withholds fewer cells.
    /// Returns the number of cells published again.
    mutating func improve(_ sensitive: [Int]) -> Int {
        var saved = 0
        for cell in sensitive {
            let old = certificates[cell] ?? []
            var freed: [Int] = []
            for certificate in old {
                for c in certificate.perturbation.cells {
                    users[c]?.remove(cell)
                    if users[c]?.isEmpty ?? true, withheld[c], problem.published[c], !problem.statuses[c].disposition.isWithheld {
                        withheld[c] = false
                        freed.append(c)
                    }
                }
            }
            certificates[cell] = nil
            let replacement = certify(cell, problem.requirements[cell]!, newCells: true)
            let added = replacement.map { Set($0.flatMap { newlyWithheld(by: $0) }).count }
            if let replacement, let added, added < freed.count {
                for c in replacement { add(c) }
                saved += freed.count - added
            } else {
                for c in freed { withheld[c] = true }
                for c in old { add(c) }
            }
        }
        return saved
    }

    // MARK: - Protecting one cell

    mutating func protect(_ cell: Int, _ requirement: ProtectionRequirement) throws(SuppressionFailure) {
        if let certificates = certify(cell, requirement, newCells: true) {
            for c in certificates { add(c) }
        } else if let other = problem.alternatives[cell], let certificates = certify(cell, other, newCells: true) {
            problem.requirements[cell] = other
            for c in certificates { add(c) }
        } else {
            throw SuppressionFailure(cell: cell)
        }
    }

    /// Every certificate a cell needs: one set for both directions where possible, else one
    /// for each. With `newCells` false, only cells already withheld or unpublished may move.
    func certify(_ cell: Int, _ requirement: ProtectionRequirement, newCells: Bool) -> [ProtectionCertificate]? {
        let needsDown = requirement.countDown > 0 || requirement.valueDown > 0
        if let both = cover(cell, requirement, up: true, down: needsDown, newCells: newCells) { return both }
        guard needsDown, let up = cover(cell, requirement, up: true, down: false, newCells: newCells),
            let down = cover(cell, requirement, up: false, down: true, newCells: newCells)
        else { return nil }
        return up + down
    }

    /// Certificates that together protect a cell against outsiders and against every lone
    /// contributor: one that avoids every lone-contributor cell, or else one that may use
    /// them plus, for each it uses, another that avoids that one.
    func cover(_ cell: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool = true) -> [ProtectionCertificate]? {
        if let all = search(cell, r, up: up, down: down, newCells: newCells, avoiding: nil) {
            return [ProtectionCertificate(cell: cell, perturbation: all, up: up, down: down, avoiding: nil)]
        }
        guard policy.singletons, let first = search(cell, r, up: up, down: down, newCells: newCells, avoiding: []) else { return nil }
        var result = [ProtectionCertificate(cell: cell, perturbation: first, up: up, down: down, avoiding: [])]
        for c in first.cells where c != cell && counts[c] == 1 && problem.published[c] && !problem.table.sameLoneContributor(c, cell) {
            guard let other = search(cell, r, up: up, down: down, newCells: newCells, avoiding: [c]) else { return nil }
            result.append(ProtectionCertificate(cell: cell, perturbation: other, up: up, down: down, avoiding: [c]))
        }
        return result
    }

    mutating func add(_ certificate: ProtectionCertificate) {
        for c in newlyWithheld(by: certificate) { withheld[c] = true }
        for c in certificate.perturbation.cells { users[c, default: []].insert(certificate.cell) }
        certificates[certificate.cell, default: []].append(certificate)
    }

    /// The published cells a certificate moves that must be withheld: all but those whose
    /// moves stay within what their rounded figures will tell.
    func newlyWithheld(by certificate: ProtectionCertificate) -> [Int] {
        let r = problem.requirements[certificate.cell] ?? ProtectionRequirement()
        return certificate.perturbation.changes.compactMap { c, sign in
            guard !withheld[c] && problem.published[c] else { return nil }
            if c != certificate.cell, let countSlack, countSlack.fits(c, sign, r, up: certificate.up, down: certificate.down) { return nil }
            return c
        }
    }

    /// What changing one cell costs in the search for one sensitive cell's certificate.
    struct CellPricer {
        let cell: Int
        let requirement: ProtectionRequirement
        let up: Bool
        let down: Bool
        /// Whether cells not yet withheld may be chosen.
        let newCells: Bool
        /// The lone-contributor cells to leave alone (nil: all of them but the cell's own).
        let avoiding: Set<Int>?
        let singletons: Bool
        let table: AggregatedTable
        let counts: [Int64]
        let countLimits: CountLimits?
        let countSlack: CountSlack?
        let values: [Int64]
        let withheld: [Bool]
        let published: [Bool]
        let cost: [Double]

        /// The cost of changing cell `c` with `sign`, or nil when it may not change that way:
        /// an empty cell, a lone contributor's cell the search must avoid, a cell too small
        /// to move down by the protection, or a published cell when no new cells may be used.
        @inline(__always)
        func callAsFunction(_ c: Int, _ sign: Int8) -> Double? {
            if c != cell {
                let n = counts[c]
                if n == 0 { return nil }
                if singletons && n == 1 && published[c] {
                    if let avoiding {
                        if avoiding.contains(c) { return nil }
                    } else if !table.sameLoneContributor(c, cell) {
                        return nil
                    }
                }
            }
            let r = requirement
            if sign < 0 && up && (counts[c] < r.countUp || !values.isEmpty && values[c] < r.valueUp) { return nil }
            if sign > 0 && down && (counts[c] < r.countDown || !values.isEmpty && values[c] < r.valueDown) { return nil }
            if let countLimits {
                let s = Int64(sign)
                if up && !countLimits.allow(c, counts[c] + s * r.countUp) { return nil }
                if down && !countLimits.allow(c, counts[c] - s * r.countDown) { return nil }
            }
            if withheld[c] || !published[c] { return 0 }
            // A count that will be published rounded can move within what its figure tells.
            if let countSlack, countSlack.fits(c, sign, r, up: up, down: down) { return 0 }
            return newCells ? cost[c] : nil
        }
    }

    /// The cheapest perturbation protecting `cell` in the asked directions; with `newCells`
    /// false, only withheld or unpublished cells may change.
    ///
    /// It searches products of one move per dimension first, then cycles in the plane of
    /// each pair of dimensions times one move in each other dimension; a cycle can thread
    /// through cells already withheld where a product cannot.
    func search(_ cell: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool, avoiding: Set<Int>?) -> Perturbation? {
        let nodes = shape.nodes(of: cell)
        let k = shape.dimensions.count
        // The cost of changing one cell, or nil when it cannot change this way.
        let price = CellPricer(
            cell: cell, requirement: r, up: up, down: down, newCells: newCells, avoiding: avoiding, singletons: policy.singletons,
            table: problem.table, counts: counts, countLimits: countLimits, countSlack: countSlack, values: values, withheld: withheld, published: problem.published, cost: cost)
        // Per dimension, the usable moves as offsets from the cell, ranked by their cost on
        // the line through the cell (always part of the product).
        var options: [[ScoredMove]] = []
        for d in 0..<k {
            var scored: [ScoredMove] = []
            let templates = fixedMoves[d][nodes[d]] ?? Self.moves(shape: shape, counts: counts, cell, nodes, d).map { move in
                ScoredMove(move: move, offsets: move.nodes.map { ($0 - nodes[d]) * shape.strides[d] }, score: 0)
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
        if k >= 2, policy.method == .cycles, best?.cost ?? .infinity > 0, let cycle = planeSearch(cell, nodes, options: options, bound: best?.cost ?? .infinity, price: price) {
            best = cycle
        }
        return best?.perturbation
    }

    /// A move of one dimension with its cells' offsets from the sensitive cell and its cost
    /// on the line through that cell.
    struct ScoredMove {
        var move: DimensionMove
        var offsets: [Int]
        var score: Double
    }

    /// The cheapest product of one move per dimension.
    func productSearch(_ cell: Int, options allOptions: [[ScoredMove]], price: CellPricer) -> (perturbation: Perturbation, cost: Double)? {
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
        /// Per position (the hub first), the stem's offsets from the sensitive cell.
        var stems: [[Int]]
        /// The position of the sensitive cell's node.
        var home: Int
        var count: Int { stems.count }
    }

    static func planeAxis(shape: TableShape, counts: [Int64], _ cell: Int, _ nodes: [Int], _ d: Int) -> PlaneAxis? {
        let dim = shape.dimensions[d]
        let n = nodes[d]
        let stride = shape.strides[d]
        let hub = dim.parents[n] >= 0 ? dim.parents[n] : n
        let members = dim.children[hub]
        if members.isEmpty { return nil }
        // A path down to the leaf holding most on the line through the cell.
        func stem(_ from: Int) -> [Int] {
            var path = [from]
            var node = from
            while !dim.isLeaf(node) {
                node = dim.children[node].max { counts[cell + ($0 - n) * stride] < counts[cell + ($1 - n) * stride] }!
                path.append(node)
            }
            return path
        }
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
    func planeSearch(_ cell: Int, _ nodes: [Int], options: [[ScoredMove]], bound: Double, price: CellPricer) -> (perturbation: Perturbation, cost: Double)? {
        let k = shape.dimensions.count
        let axes = (0..<k).map { fixedAxes[$0][nodes[$0]] ?? Self.planeAxis(shape: shape, counts: counts, cell, nodes, $0) }
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
    func cycle(
        _ cell: Int, _ rows: PlaneAxis, _ columns: PlaneAxis, _ other: [(offset: Int, sign: Int8)], bound: Double,
        price: CellPricer
    ) -> (perturbation: Perturbation, cost: Double)? {
        let rCount = rows.count
        let cCount = columns.count
        // The hubs' cells enter the circulation with the opposite sign.
        @inline(__always) func flip(_ i: Int, _ j: Int) -> Int8 { (i == 0) == (j == 0) ? 1 : -1 }
        // The cost of the cells an edge changes when its flow is `z`, or nil.
        func edgeCost(_ i: Int, _ j: Int, _ z: Int8) -> Double? {
            let sign = flip(i, j) * z
            var total = 0.0
            for a in rows.stems[i] {
                for b in columns.stems[j] {
                    for (o, s) in other {
                        guard let p = price(cell + a + b + o, sign * s) else { return nil }
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
            for a in rows.stems[i] {
                for b in columns.stems[j] {
                    for (o, s) in other {
                        cells.append(cell + a + b + o)
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

    /// How many paths down from one node the moves consider (the fullest first).
    static let pathLimit = 6

    /// The moves of one dimension through a cell's node.
    static func moves(shape: TableShape, counts: [Int64], _ cell: Int, _ nodes: [Int], _ d: Int) -> [DimensionMove] {
        let dim = shape.dimensions[d]
        let n = nodes[d]
        let stride = shape.strides[d]
        func line(_ node: Int) -> Int64 { counts[cell + (node - n) * stride] }
        // Paths from a node down to a leaf (the node included), those ending in the fullest
        // leaves on the line through the cell first.
        func down(_ from: Int, limit: Int) -> [[Int]] {
            if dim.isLeaf(from) { return [[from]] }
            var paths: [[Int]] = []
            for child in dim.children[from] {
                for tail in down(child, limit: limit) { paths.append([from] + tail) }
            }
            paths.sort { line($0.last!) > line($1.last!) }
            return Array(paths.prefix(limit))
        }
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

    // MARK: - Publishing again what is not needed

    /// Tries to publish each secondary cell again, most costly first, keeping it withheld
    /// only if a sensitive cell that relies on it cannot be certified without it.
    mutating func prune() {
        let secondary = (0..<shape.cellCount).filter { withheld[$0] && problem.published[$0] && !problem.statuses[$0].disposition.isWithheld }
        for c in secondary.sorted(by: { cost[$0] > cost[$1] }) {
            withheld[c] = false
            var replacements: [(Int, [ProtectionCertificate])] = []
            for sensitive in users[c] ?? [] {
                guard let found = certify(sensitive, problem.requirements[sensitive]!, newCells: false) else {
                    replacements.removeAll()
                    withheld[c] = true
                    break
                }
                replacements.append((sensitive, found))
            }
            guard !withheld[c] else { continue }
            for (sensitive, found) in replacements {
                for old in certificates[sensitive] ?? [] {
                    for cell in old.perturbation.cells { users[cell]?.remove(sensitive) }
                }
                certificates[sensitive] = found
                for certificate in found {
                    for cell in certificate.perturbation.cells { users[cell, default: []].insert(sensitive) }
                }
            }
        }
        // A cell kept for a certificate that a later replacement no longer needs is
        // published too: no certificate moves it.
        for c in secondary where withheld[c] && users[c]?.isEmpty ?? true { withheld[c] = false }
    }
}
