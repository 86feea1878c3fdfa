/// What secondary suppression minimises when it chooses complementary cells.
public enum SuppressionCost: String, Sendable, Hashable, CaseIterable {
    /// Fewest cells first, then the smallest values (the default).
    case cells
    /// The smallest total value withheld.
    case value
}

/// The secondary-suppression settings of a release.
public struct SecondaryPolicy: Sendable, Hashable {
    public var frequency: FrequencyProtection
    /// Whether a cell's only contributor is assumed to know its value (and so may not be
    /// relied on to protect another cell).
    public var singletons: Bool
    public var cost: SuppressionCost

    public init(frequency: FrequencyProtection = .reachThreshold, singletons: Bool = true, cost: SuppressionCost = .cells) {
        self.frequency = frequency
        self.singletons = singletons
        self.cost = cost
    }
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

    public init(table: AggregatedTable, published: [Bool], statuses: [CellStatus], requirements: [Int: ProtectionRequirement]) {
        self.table = table
        self.published = published
        self.statuses = statuses
        self.requirements = requirements
    }

    /// Applies the primary rules to the published cells of a cohort table.
    public init(table: AggregatedTable, published: [Bool], primary: PrimaryPolicy, secondary: SecondaryPolicy) {
        var statuses = [CellStatus](repeating: .published, count: table.shape.cellCount)
        var requirements: [Int: ProtectionRequirement] = [:]
        for cell in 0..<table.shape.cellCount where published[cell] {
            let failed = primary.failures(of: table, cell: cell)
            guard !failed.isEmpty else { continue }
            statuses[cell] = CellStatus(disposition: .primary, failed: failed)
            requirements[cell] = primary.requirement(for: table, cell: cell, failed: failed, frequency: secondary.frequency)
        }
        self.init(table: table, published: published, statuses: statuses, requirements: requirements)
    }
}

/// Chooses complementary (secondary) suppressions so that every sensitive cell has a
/// certificate of protection: a perturbation of the withheld and unpublished cells that
/// keeps every relation of the table, every published figure and non-negativity, and moves
/// the sensitive cell by its full protection levels.
///
/// For each sensitive cell it searches perturbations built from one move per dimension
/// (a sibling with the opposite sign, the chain of ancestors, or a path down from a
/// total) for the cheapest, reusing cells already withheld at no cost. A second pass then
/// tries to publish each secondary cell again, keeping it only if some sensitive cell has
/// no other certificate without it. Cells that nobody contributes to are never used (a
/// structural zero is known to be zero). When singletons are protected, a published
/// table's cell with a single contributor (other than the sensitive cell's own) is relied
/// on only by certificates that another certificate backs up without it: that contributor
/// knows the value.
public struct SecondarySuppressor {
    public let problem: SuppressionProblem
    public let policy: SecondaryPolicy
    let shape: TableShape
    let counts: [Int64]
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
    static let searchLimit = 4096

    public init(problem: SuppressionProblem, policy: SecondaryPolicy) {
        self.problem = problem
        self.policy = policy
        shape = problem.table.shape
        let table = problem.table
        counts = (0..<shape.cellCount).map { table.contributors($0) }
        magnitude = table.measure.isMagnitude
        values = magnitude ? table.values : []
        withheld = problem.statuses.map { $0.disposition.isWithheld }
        // Fewest cells, then smallest values: the value part stays below one cell's cost.
        let v = magnitude ? values : counts
        let scale = Double(v.max() ?? 0) + 1
        cost = (0..<shape.cellCount).map { cell in
            switch policy.cost {
            case .cells: return 1 + Double(v[cell]) / scale
            case .value: return Double(v[cell]) + 1 / scale
            }
        }
    }

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
                for (c, _) in certificate.perturbation.cells(in: shape) {
                    users[c]?.remove(cell)
                    if users[c]?.isEmpty ?? true, withheld[c], problem.published[c], !problem.statuses[c].disposition.isWithheld {
                        withheld[c] = false
                        freed.append(c)
                    }
                }
            }
            certificates[cell] = nil
            let replacement = certify(cell, problem.requirements[cell]!, newCells: true)
            let added = replacement.map { Set($0.flatMap { $0.perturbation.cells(in: shape).map(\.cell) }).filter { !withheld[$0] && problem.published[$0] }.count }
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
        guard let certificates = certify(cell, requirement, newCells: true) else { throw SuppressionFailure(cell: cell) }
        for c in certificates { add(c) }
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
        for (c, _) in first.cells(in: shape) where c != cell && counts[c] == 1 && problem.published[c] && !problem.table.sameLoneContributor(c, cell) {
            guard let other = search(cell, r, up: up, down: down, newCells: newCells, avoiding: [c]) else { return nil }
            result.append(ProtectionCertificate(cell: cell, perturbation: other, up: up, down: down, avoiding: [c]))
        }
        return result
    }

    mutating func add(_ certificate: ProtectionCertificate) {
        for (c, _) in certificate.perturbation.cells(in: shape) {
            if !withheld[c] && problem.published[c] { withheld[c] = true }
            users[c, default: []].insert(certificate.cell)
        }
        certificates[certificate.cell, default: []].append(certificate)
    }

    /// Whether a cell may change in a certificate for `sensitive`, ignoring signs.
    /// `avoiding` lists the lone-contributor cells to leave alone (nil: all of them).
    @inline(__always)
    func usable(_ c: Int, for sensitive: Int, avoiding: Set<Int>?) -> Bool {
        if c == sensitive { return true }
        if counts[c] == 0 { return false }
        if policy.singletons && counts[c] == 1 && problem.published[c] {
            if let avoiding { return !avoiding.contains(c) }
            return problem.table.sameLoneContributor(c, sensitive)
        }
        return true
    }

    /// Whether a signed cell can move by the required amounts.
    @inline(__always)
    func feasible(_ c: Int, _ sign: Int8, _ r: ProtectionRequirement, up: Bool, down: Bool) -> Bool {
        if sign < 0 && up {
            if counts[c] < r.countUp { return false }
            if magnitude && values[c] < r.valueUp { return false }
        }
        if sign > 0 && down {
            if counts[c] < r.countDown { return false }
            if magnitude && values[c] < r.valueDown { return false }
        }
        return true
    }

    /// The cheapest perturbation protecting `cell` in the asked directions; with `newCells`
    /// false, only withheld or unpublished cells may change.
    func search(_ cell: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool, avoiding: Set<Int>?) -> Perturbation? {
        let nodes = shape.nodes(of: cell)
        let k = shape.dimensions.count
        // The cost of changing one cell, or nil when it cannot change this way.
        @inline(__always) func price(_ c: Int, _ sign: Int8) -> Double? {
            if !usable(c, for: cell, avoiding: avoiding) || !feasible(c, sign, r, up: up, down: down) { return nil }
            if withheld[c] || !problem.published[c] { return 0 }
            return newCells ? cost[c] : nil
        }
        // Per dimension, the usable moves as offsets from the cell, ranked by their cost on
        // the line through the cell (always part of the product).
        var options: [[(move: DimensionMove, offsets: [Int], score: Double)]] = []
        for d in 0..<k {
            var scored: [(move: DimensionMove, offsets: [Int], score: Double)] = []
            for move in moves(cell, nodes, d) {
                let offsets = move.nodes.map { ($0 - nodes[d]) * shape.strides[d] }
                var total = 0.0
                var ok = true
                for (offset, sign) in zip(offsets, move.signs) {
                    guard let p = price(cell + offset, sign) else {
                        ok = false
                        break
                    }
                    total += p
                }
                if ok { scored.append((move, offsets, total)) }
            }
            if scored.isEmpty { return nil }
            scored.sort { $0.score < $1.score }
            options.append(scored)
        }
        // Keep the best few per dimension so that the product stays small.
        var limit = options.map(\.count).max() ?? 1
        while limit > 1 && options.reduce(1, { $0 * min($1.count, limit) }) > Self.searchLimit { limit -= 1 }
        options = options.map { Array($0.prefix(limit)) }

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
            var d = k - 1
            while d >= 0 {
                choice[d] += 1
                if choice[d] < options[d].count { continue outer }
                choice[d] = 0
                d -= 1
            }
            break
        }
        return best.map { choice in Perturbation(moves: (0..<k).map { options[$0][choice[$0]].move }) }
    }

    /// How many paths down from one node the moves consider (the fullest first).
    static let pathLimit = 6

    /// The moves of one dimension through a cell's node.
    func moves(_ cell: Int, _ nodes: [Int], _ d: Int) -> [DimensionMove] {
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
                    for (cell, _) in old.perturbation.cells(in: shape) { users[cell]?.remove(sensitive) }
                }
                certificates[sensitive] = found
                for certificate in found {
                    for (cell, _) in certificate.perturbation.cells(in: shape) { users[cell, default: []].insert(sensitive) }
                }
            }
        }
    }
}
