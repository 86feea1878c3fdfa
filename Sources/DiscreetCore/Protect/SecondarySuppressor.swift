/// How far each published count may move in a witness and still agree with its rounded
/// figure (-1 where it will not be rounded), so that it can stay published. Per global cell.
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

/// The least and greatest count each global cell may take in a witness.
struct CountLimits {
    let floor: [Int64]
    let ceiling: [Int64]

    @inline(__always)
    func allow(_ cell: Int, _ count: Int64) -> Bool { count >= floor[cell] && count <= ceiling[cell] }
}

/// Chooses complementary (secondary) suppressions so that every sensitive item of a
/// ``SuppressionProblem`` has a certificate of protection: a perturbation of the cohort
/// tables that keeps every relation of each table, every published figure, non-negativity
/// and every family's complement non-negative, and moves the item (a cell, or a group
/// counted by subtraction) by its full protection levels.
///
/// A perturbation is a product: a set of cohorts moving together, each with a sign (one
/// cohort alone, so that its parent's complement absorbs the change; with its ancestors;
/// against a sibling that shares nobody with it; with a child), times a perturbation of
/// the grid of their dimensions found by ``GridSearch`` (moves per dimension and plane
/// cycles), each cohort seeing it at the categories it keeps; where no such route can
/// carry the whole level, a flow of several routes with whole-number amounts; and, within
/// the policy's effort, the cheapest witness of any shape from a linear programme
/// (``CertificateProgram``), checked exactly. The cheapest wins, reusing cells already
/// withheld at no cost. Rounds of re-certification follow, then an exchange step
/// (publishing a cell many certificates share by certifying them all anew without it, when
/// that costs less), then a last pass tries to publish each secondary cell again, keeping
/// it only if some item has no other certificate without it (by a route, or by a programme
/// over the withheld cells). Cells that nobody contributes to are never used (a
/// structural zero is known to be zero). When singletons are protected, a published
/// cell with a single contributor (other than the item's own) is relied on only by
/// certificates that another certificate backs up without it: that contributor knows the
/// value.
public struct SecondarySuppressor {
    /// The problem, with the requirement each item was protected to (an item that could
    /// meet only its alternative requirement holds that one).
    public private(set) var problem: SuppressionProblem
    public let policy: SecondaryPolicy
    let layout: CohortLayout
    /// Per global cell: people, and the values (the sums of magnitude cells, the counts of
    /// count cells).
    let counts: [Int64]
    let values: [Int64]
    /// Per global cell, whether it is a magnitude cell.
    let valued: [Bool]
    /// Where the release shows some withheld counts within bounds: per cell, the least and
    /// greatest count a witness may give it (nil when no count is shown so).
    let countLimits: CountLimits?
    /// Where published counts will be rounded: how far each may move and stay published.
    let countSlack: CountSlack?
    /// Per global cell, whether it is known to be empty whatever the data (nil: none is).
    let structurallyEmpty: [Bool]?
    var withheld: [Bool]
    let cost: [Double]
    /// Certificates by item.
    public internal(set) var certificates: [Int: [ProtectionCertificate]] = [:]
    /// For each cell used by a certificate, the items whose certificates use it.
    var users: [Int: Set<Int>] = [:]
    /// Cells the search may not change: those an earlier release publishes (see
    /// ``SuppressionProblem/kept``), and, while the exchange step tries to publish it again,
    /// the cell it tries.
    var banned: [Bool]
    /// Where each cell enters a family's complement (to check a flow's routes together).
    let familyIndex: CertificateAudit.FamilyIndex
    /// What the routes of the flow being built move, per cell (zero elsewhere).
    let flowScratch: FlowScratch
    /// The tree parent of each block (-1 for a root).
    let treeParent: [Int]
    /// Per block, every block containing it (the tree's ancestors and those of further
    /// families: a partner's cohort lies within the combined one and within its partner's
    /// cohorts containing it; a partner's sum of a column within the combined sum and within
    /// the partner's count of the people it sums, where a contributor is one of them).
    let containers: [Set<Int>]
    let grids: GridCache
    /// The linear programme that proposes witnesses of any shape (nil where it does not apply).
    var program: CertificateProgram?
    /// What the exact step did (after ``run()``).
    public internal(set) var optimisation = OptimalPatternReport()

    public init(problem: SuppressionProblem, policy: SecondaryPolicy) {
        self.problem = problem
        self.policy = policy
        let layout = problem.layout
        self.layout = layout
        counts = problem.counts
        var values: [Int64] = []
        values.reserveCapacity(layout.cellCount)
        var valued: [Bool] = []
        valued.reserveCapacity(layout.cellCount)
        for t in problem.tables {
            values += t.values
            valued += repeatElement(t.measure.isMagnitude, count: t.shape.cellCount)
        }
        self.values = values
        self.valued = valued
        let n = layout.cellCount
        if problem.countBounds.isEmpty && !problem.leastWithheld.contains(where: { $0 > 0 }) {
            countLimits = nil
        } else {
            var floor = [Int64](repeating: 0, count: n)
            var ceiling = [Int64](repeating: .max, count: n)
            for cell in 0..<n {
                guard let b = problem.knownCount(cell) else { continue }
                floor[cell] = b.lower ?? 0
                ceiling[cell] = b.upper ?? .max
            }
            countLimits = CountLimits(floor: floor, ceiling: ceiling)
        }
        if problem.rounding != nil {
            var down = [Int64](repeating: -1, count: n)
            var up = [Int64](repeating: -1, count: n)
            for cell in 0..<n {
                guard let slack = problem.roundingSlack(cell) else { continue }
                down[cell] = slack.down
                up[cell] = slack.up
            }
            countSlack = CountSlack(down: down, up: up)
        } else {
            countSlack = nil
        }
        if layout.blocks.contains(where: { $0.empty != nil }) {
            var empty = [Bool](repeating: false, count: n)
            for (b, block) in layout.blocks.enumerated() {
                guard let e = block.empty else { continue }
                for c in e.indices where e[c] { empty[layout.global(b, c)] = true }
            }
            structurallyEmpty = empty
        } else {
            structurallyEmpty = nil
        }
        withheld = problem.statuses.map { $0.disposition.isWithheld }
        // A cell an earlier release publishes stays published.
        banned = problem.kept.isEmpty ? [Bool](repeating: false, count: n) : (0..<n).map { problem.kept[$0] && !problem.statuses[$0].disposition.isWithheld }
        familyIndex = CertificateAudit.FamilyIndex(layout)
        flowScratch = FlowScratch(count: n)
        // Figures: one per published figure a cell adds up, plus one per percent of the
        // table's total it holds. Cells: fewest cells, then smallest values (the value part
        // stays below one cell's cost).
        var cost = [Double](repeating: 0, count: n)
        for (b, table) in problem.tables.enumerated() {
            let magnitude = table.measure.isMagnitude
            let v = magnitude ? table.values : (0..<table.shape.cellCount).map { table.contributors($0) }
            let scale = Double(v.max() ?? 0) + 1
            let block = layout.blocks[b]
            let factors = block.shape.dimensions.map { dim in dim.codes.map { Double(policy.weights[dim.name]?[$0] ?? 1) } }
            let figures = policy.cost == .figures ? Self.publishedFigures(in: block.shape, published: problem.published[layout.offsets[b]..<(layout.offsets[b] + table.shape.cellCount)]) : []
            for cell in 0..<table.shape.cellCount {
                var c: Double
                switch policy.cost {
                case .figures: c = Double(max(figures[cell], 1)) + 100 * Double(v[cell]) / scale
                case .cells: c = 1 + Double(v[cell]) / scale
                case .value: c = Double(v[cell]) + 1 / scale
                }
                if !policy.weights.isEmpty {
                    var rest = cell
                    for d in (0..<block.shape.dimensions.count).reversed() {
                        let count = block.shape.dimensions[d].nodeCount
                        c *= factors[d][rest % count]
                        rest /= count
                    }
                }
                let g = layout.global(b, cell)
                cost[g] = problem.preferred.isEmpty || !problem.preferred[g] ? c : c * Self.carriedForwardCost
            }
        }
        self.cost = cost
        var parent = [Int](repeating: -1, count: layout.blocks.count)
        var family = [Int?](repeating: nil, count: layout.blocks.count)
        for (f, fam) in layout.families.enumerated() where fam.tree {
            for a in fam.parts where family[a] == nil {
                parent[a] = fam.parent
                family[a] = f
            }
        }
        treeParent = parent
        containers = layout.blocks.indices.map { b in layout.containing[b].subtracting([b]) }
        grids = GridCache(layout: layout, method: policy.method)
        program = nil
        program = makeProgram()
    }

    /// The statuses after secondary suppression, per global cell.
    public var statuses: [CellStatus] {
        var result = problem.statuses
        for cell in 0..<layout.cellCount where withheld[cell] && !result[cell].disposition.isWithheld && problem.published[cell] {
            result[cell].disposition = .secondary
        }
        return result
    }

    /// Rounds of re-certification after the first pass.
    public static let improvementRounds = 2
    /// The most rounds of the exchange step.
    public static let exchangeRounds = 3

    /// The certifications the exchange step may spend in all: two per sensitive item, at
    /// least 200 and at most 2,000, so that it adds little time to large tables.
    static func exchangeBudget(sensitive: Int) -> Int { max(200, min(2 * sensitive, 2_000)) }

    /// Tables of more cells than this try a flow only where no single route protects a
    /// cell at all (not also where a flow might withhold less, nor when publishing cells
    /// again), and no routes up to a common ancestor (``GridSearch/cousinMoves``), to keep
    /// their time.
    static let largeTable = 50_000

    /// Per cell of a table, the number of published cells it adds up, itself included: the
    /// published cells whose category in every dimension is the cell's or lies within it.
    static func publishedFigures(in shape: TableShape, published: ArraySlice<Bool>) -> [Int] {
        var figures = published.map { $0 ? 1 : 0 }
        for (d, dim) in shape.dimensions.enumerated() {
            let stride = shape.strides[d]
            let block = stride * dim.nodeCount
            for node in dim.rollUpOrder {
                for outer in Swift.stride(from: 0, to: shape.cellCount, by: block) {
                    for inner in 0..<stride {
                        let base = outer + inner
                        var sum = figures[base + node * stride]
                        for child in dim.children[node] { sum += figures[base + child * stride] }
                        figures[base + node * stride] = sum
                    }
                }
            }
        }
        return figures
    }

    /// Protects every sensitive item (cells first, then groups), improves the choices,
    /// exchanges shared cells for cheaper ones, then publishes again what is not needed.
    public mutating func run() throws(SuppressionFailure) {
        let sensitive = problem.requirements.keys.sorted().filter { !problem.requirements[$0]!.isEmpty }
        for item in sensitive { try protect(item, problem.requirements[item]!) }
        for _ in 0..<Self.improvementRounds where improve(sensitive) == 0 { break }
        var budget = Self.exchangeBudget(sensitive: sensitive.count)
        for _ in 0..<Self.exchangeRounds where exchange(budget: &budget) == 0 { break }
        prune()
        optimisation = optimise()
    }

    /// Takes each item's certificates away and certifies it again, now knowing what every
    /// other item relies on, keeping the new choice only when what it withholds costs less
    /// than what it publishes again. Returns the number of items whose choice changed.
    mutating func improve(_ sensitive: [Int]) -> Int {
        var saved = 0
        for item in sensitive {
            let (removed, freed) = withdraw([item])
            let replacement = certify(item, problem.requirements[item]!, newCells: true)
            let added = replacement.map(newCost)
            if let replacement, let added, added < freed.reduce(0.0, { $0 + cost[$1] }) - Self.costTolerance {
                for c in replacement { add(c) }
                saved += 1
            } else {
                reinstate(removed, freed: freed)
            }
        }
        return saved
    }

    /// The share of its cost a cell the previous release withheld costs (see
    /// ``SuppressionProblem/prefer(_:)``): it is withheld again unless cells costing less
    /// than half as much protect as well.
    public static let carriedForwardCost = 0.5

    /// Below this, two costs are the same (sums of the same terms in another order).
    static let costTolerance = 1e-9

    /// Takes away the certificates of `items`, publishing again the secondary cells no
    /// other certificate moves; returns them and those cells.
    mutating func withdraw(_ items: [Int]) -> (certificates: [(Int, [ProtectionCertificate])], freed: [Int]) {
        var removed: [(Int, [ProtectionCertificate])] = []
        var freed: [Int] = []
        for item in items {
            let old = certificates[item] ?? []
            removed.append((item, old))
            for certificate in old {
                for c in certificate.perturbation.cells {
                    users[c]?.remove(item)
                    if users[c]?.isEmpty ?? true, isSecondary(c) {
                        withheld[c] = false
                        freed.append(c)
                    }
                }
            }
            certificates[item] = nil
        }
        return (removed, freed)
    }

    /// Undoes ``withdraw(_:)``: withholds the freed cells again and gives the items back
    /// their certificates.
    mutating func reinstate(_ removed: [(Int, [ProtectionCertificate])], freed: [Int]) {
        for c in freed { withheld[c] = true }
        for (_, old) in removed { for certificate in old { add(certificate) } }
    }

    /// Whether a cell is withheld as a complement: withheld now, published by some table,
    /// and not withheld by the primary rules.
    func isSecondary(_ c: Int) -> Bool { withheld[c] && problem.published[c] && !problem.statuses[c].disposition.isWithheld }

    /// The cells withheld as complements, in order.
    var secondaryCells: [Int] { (0..<layout.cellCount).filter(isSecondary) }

    /// Tries to publish each secondary cell again, the costliest first, by certifying every
    /// item that relies on it anew without it (new cells allowed), and keeps the change when
    /// the cells withheld instead cost less than those published again. This is the move the
    /// item-by-item improvement cannot make: a cell many items share stays withheld as long
    /// as any of them relies on it, however costly. Returns the number of changes kept.
    ///
    /// Each certification spends one unit of `budget`; the step stops when it runs out, so
    /// that very large tables keep their time, and so that the pattern depends on the input
    /// alone (a clock would make it depend on the machine).
    mutating func exchange(budget: inout Int) -> Int {
        let secondary = secondaryCells
        var kept = 0
        for c in secondary.sorted(by: { cost[$0] != cost[$1] ? cost[$0] > cost[$1] : $0 < $1 }) {
            guard withheld[c], let relying = users[c], !relying.isEmpty else { continue }
            let items = relying.sorted()
            guard budget >= items.count else { break }
            budget -= items.count
            let (removed, freed) = withdraw(items)
            banned[c] = true
            var newly: [Int] = []
            var failed = false
            for item in items {
                guard let found = certify(item, problem.requirements[item]!, newCells: true) else {
                    failed = true
                    break
                }
                for certificate in found {
                    newly += newlyWithheld(by: certificate)
                    add(certificate)
                }
            }
            banned[c] = false
            let change = newly.reduce(0.0) { $0 + cost[$1] } - freed.reduce(0.0) { $0 + cost[$1] }
            if !failed && change < -Self.costTolerance {
                kept += 1
                continue
            }
            // Put everything back as it was.
            _ = withdraw(items)
            for x in newly { withheld[x] = false }
            reinstate(removed, freed: freed)
        }
        return kept
    }

    // MARK: - Protecting one item

    mutating func protect(_ item: Int, _ requirement: ProtectionRequirement) throws(SuppressionFailure) {
        let routes = certify(item, requirement, newCells: true)
        // Where the routes withhold nothing new, no programme can do better; where they find
        // nothing, the programme may draw on the work kept for that.
        var program: [ProtectionCertificate]? = nil
        if routes == nil {
            program = self.program.flatMap { p in p.budget.drawingOnReserve { proposal(item, requirement, newCells: true) } }
        } else if routes.map({ newCost($0) > 0 }) == true {
            program = proposal(item, requirement, newCells: true)
        }
        if let certificates = cheaper(routes, program) {
            for c in certificates { add(c) }
        } else if let other = problem.alternatives[item], let certificates = certify(item, other, newCells: true) {
            problem.requirements[item] = other
            for c in certificates { add(c) }
        } else {
            throw SuppressionFailure(cell: item)
        }
    }

    /// The certificates that withhold less (the first where they cost the same).
    func cheaper(_ a: [ProtectionCertificate]?, _ b: [ProtectionCertificate]?) -> [ProtectionCertificate]? {
        guard let a, let b else { return a ?? b }
        return newCost(b) < newCost(a) - Self.costTolerance ? b : a
    }

    /// What the published cells certificates would withhold cost (each cell once).
    func newCost(_ certificates: [ProtectionCertificate]) -> Double {
        Set(certificates.flatMap { newlyWithheld(by: $0) }).reduce(0.0) { $0 + cost[$1] }
    }

    /// Every certificate an item needs: one set for both directions where possible, else one
    /// for each. With `newCells` false, only cells already withheld or unpublished may move.
    func certify(_ item: Int, _ requirement: ProtectionRequirement, newCells: Bool) -> [ProtectionCertificate]? {
        let needsDown = requirement.countDown > 0 || requirement.valueDown > 0
        if let both = cover(item, requirement, up: true, down: needsDown, newCells: newCells) { return both }
        guard needsDown, let up = cover(item, requirement, up: true, down: false, newCells: newCells),
            let down = cover(item, requirement, up: false, down: true, newCells: newCells)
        else { return nil }
        return up + down
    }

    /// Certificates that together protect an item against outsiders and against every lone
    /// contributor: one that avoids every lone-contributor cell, or else one that may use
    /// them plus, for each it uses, another that avoids that one.
    func cover(_ item: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool = true) -> [ProtectionCertificate]? {
        if let all = search(item, r, up: up, down: down, newCells: newCells, avoiding: nil) {
            return [ProtectionCertificate(cell: item, perturbation: all, up: up, down: down, avoiding: nil)]
        }
        guard policy.singletons, let first = search(item, r, up: up, down: down, newCells: newCells, avoiding: []) else { return nil }
        var result = [ProtectionCertificate(cell: item, perturbation: first, up: up, down: down, avoiding: [])]
        for c in first.cells where c != item && counts[c] == 1 && problem.published[c] && !sameLone(c, item) {
            guard let other = search(item, r, up: up, down: down, newCells: newCells, avoiding: [c]) else { return nil }
            result.append(ProtectionCertificate(cell: item, perturbation: other, up: up, down: down, avoiding: [c]))
        }
        return result
    }

    /// Whether the lone contributor of cell `c` is the item's own only person.
    func sameLone(_ c: Int, _ item: Int) -> Bool { problem.sameLoneContributor(c, item) }

    mutating func add(_ certificate: ProtectionCertificate) {
        for c in newlyWithheld(by: certificate) { withheld[c] = true }
        for c in certificate.perturbation.cells { users[c, default: []].insert(certificate.cell) }
        certificates[certificate.cell, default: []].append(certificate)
    }

    /// The published cells a certificate moves that must be withheld: all but those whose
    /// moves stay within what their rounded figures will tell.
    func newlyWithheld(by certificate: ProtectionCertificate) -> [Int] {
        let r = problem.requirements[certificate.cell] ?? ProtectionRequirement()
        let unit = certificate.perturbation.weights == nil
        return certificate.perturbation.changes.compactMap { c, sign in
            guard !withheld[c] && problem.published[c] else { return nil }
            if unit, c != certificate.cell, let countSlack, countSlack.fits(c, sign, r, up: certificate.up, down: certificate.down) { return nil }
            return c
        }
    }

    // MARK: - The search

    /// Cohorts that change together in a perturbation, each with its sign.
    struct CohortMove: Hashable {
        var blocks: [Int]
        var signs: [Int8]
    }

    /// The ways the cohorts can change together so that the item rises by one: each of the
    /// item's cohorts alone (its parent's complement absorbs the change), with each chain
    /// of its ancestors, against each sibling in its family, with each child. (Only counts
    /// relate cohorts: a magnitude cell's sum moves in its own table alone.)
    func cohortMoves(for item: Int) -> [CohortMove] {
        var termBlocks: [(block: Int, sign: Int8)] = []
        for (cell, sign) in problem.terms(of: item) {
            let b = layout.local(cell).block
            if !termBlocks.contains(where: { $0.block == b }) { termBlocks.append((b, sign)) }
        }
        var candidates: [[Int: Int8]] = []
        for (b, s) in termBlocks {
            candidates.append([b: s])
            var chain = [b: s]
            var p = treeParent[b]
            while p >= 0 {
                chain[p] = s
                candidates.append(chain)
                p = treeParent[p]
            }
            // Where a cohort lies within two that do not contain each other (a partner's
            // cohort: within the combined one and its partner's larger one), a chain of tree
            // ancestors leaves the other's complement to absorb the change; these move, up
            // to each cohort containing it, every cohort between.
            for a in containers[b].sorted() {
                var between = [b: s]
                for x in containers[b] where x == a || containers[x].contains(a) { between[x] = s }
                candidates.append(between)
            }
            if !containers[b].isEmpty { candidates.append(containers[b].reduce(into: [b: s]) { $0[$1] = s }) }
            for family in layout.families where family.tree && family.parts.contains(b) {
                for sibling in family.parts where sibling != b { candidates.append([b: s, sibling: -s]) }
            }
            for family in layout.families where family.tree && family.parent == b {
                for child in family.parts {
                    candidates.append([b: s, child: s])
                    // With every cohort containing either (where the child lies within
                    // another cohort too, as a partner's cohorts do, and the complement
                    // between them is known to be empty there).
                    if containers[child].count > 1 {
                        candidates.append(containers[child].union(containers[b]).reduce(into: [b: s, child: s]) { $0[$1] = s })
                    }
                }
            }
        }
        var result: [CohortMove] = []
        var seen = Set<CohortMove>()
        for candidate in candidates {
            var effect = 0
            for (b, s) in termBlocks { effect += Int(s) * Int(candidate[b] ?? 0) }
            guard effect == 1 || effect == -1 else { continue }
            let blocks = candidate.keys.sorted()
            let move = CohortMove(blocks: blocks, signs: blocks.map { candidate[$0]! * Int8(effect) })
            if seen.insert(move).inserted { result.append(move) }
        }
        return result.sorted { a, b in
            if a.blocks.count != b.blocks.count { return a.blocks.count < b.blocks.count }
            if a.blocks != b.blocks { return a.blocks.lexicographicallyPrecedes(b.blocks) }
            return a.signs.lexicographicallyPrecedes(b.signs)
        }
    }

    /// The cheapest perturbation protecting `item` in the asked directions; with `newCells`
    /// false, only withheld or unpublished cells may change.
    ///
    /// A single route scaled by the whole level needs every cell it lowers to hold at least
    /// that many people; where that fails or costs new cells, a flow of several routes, each
    /// carrying what its smallest cell allows, is tried too, and the cheaper kept.
    func search(_ item: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool, avoiding: Set<Int>?) -> Perturbation? {
        let single = route(item, r, up: up, down: down, newCells: newCells, avoiding: avoiding)
        let level = up ? r.countUp : r.countDown
        let large = layout.cellCount > Self.largeTable
        guard up != down, level > 1, r.valueUp == 0, r.valueDown == 0, single?.cost ?? .infinity > 0,
            !large || single == nil && newCells
        else { return single?.perturbation }
        if let flow = flow(item, level, up: up, newCells: newCells, avoiding: avoiding, bound: single?.cost ?? .infinity) { return flow }
        return single?.perturbation
    }

    /// The most routes a flow combines.
    static let flowRoutes = 8

    /// A perturbation with weights that moves `item` by `level` in one direction, as a sum of
    /// routes that each move it by one unit per unit carried: each route is the cheapest
    /// given what the earlier ones already move (their cells cost nothing more, and their
    /// changes count against each cell's room), and carries as much as its tightest cell
    /// allows. Nil unless it costs less than `bound`.
    func flow(_ item: Int, _ level: Int64, up: Bool, newCells: Bool, avoiding: Set<Int>?, bound: Double) -> Perturbation? {
        let unit = up ? ProtectionRequirement(countUp: 1) : ProtectionRequirement(countDown: 1)
        let direction: Int64 = up ? 1 : -1
        let moved = flowScratch
        var touched: [Int] = []
        defer { for c in touched { moved.amounts[c] = 0 } }
        var remaining = level
        var spent = 0.0
        for _ in 0..<Self.flowRoutes where remaining > 0 {
            guard let next = route(item, unit, up: up, down: !up, newCells: newCells, avoiding: avoiding, flow: moved) else { return nil }
            spent += next.cost
            guard spent < bound - Self.costTolerance else { return nil }
            // How much the route can carry: each cell stays within its limits in the witness.
            var carried = remaining
            for (c, sign) in next.perturbation.changes {
                let count = counts[c] + direction * moved.amounts[c]
                if direction * Int64(sign) < 0 {
                    carried = min(carried, count - max(0, countLimits?.floor[c] ?? 0))
                } else if let ceiling = countLimits?.ceiling[c] {
                    carried = min(carried, ceiling - count)
                }
            }
            guard carried > 0 else { return nil }
            for (c, sign) in next.perturbation.changes {
                if moved.amounts[c] == 0 { touched.append(c) }
                moved.amounts[c] += carried * Int64(sign)
            }
            remaining -= carried
        }
        guard remaining == 0 else { return nil }
        let cells = Set(touched).filter { moved.amounts[$0] != 0 }.sorted()
        let perturbation = Perturbation(cells: cells, signs: cells.map { moved.amounts[$0] > 0 ? 1 : -1 }, weights: cells.map { abs(moved.amounts[$0]) })
        // Each route kept every complement it touches non-negative on its own; together they
        // must too.
        var complements = Set<[Int]>()
        for c in cells { for e in familyIndex.entries[c] ?? [] { complements.insert([e.family, e.cell]) } }
        for key in complements {
            let family = layout.families[key[0]]
            let h = key[1]
            var delta = moved.amounts[layout.global(family.parent, family.parentCells[h])]
            for (i, part) in family.parts.enumerated() { delta -= moved.amounts[layout.global(part, family.partCells[i][h])] }
            if delta != 0 && (family.emptyComplement?[h] == true || problem.complements[key[0]][h] + direction * delta < 0) { return nil }
        }
        return perturbation
    }

    /// The cheapest single route: a perturbation moving `item` by one unit, to be scaled by
    /// the level. As part of a flow (`moved`: what its earlier routes move), the cells those
    /// routes move cost nothing more and each cell's room is what they leave it; and a
    /// rounded published count may not move within its figure, since the routes' moves add
    /// up (the level it would be checked against is one unit, not what the flow carries).
    func route(
        _ item: Int, _ r: ProtectionRequirement, up: Bool, down: Bool, newCells: Bool, avoiding: Set<Int>?, flow moved: FlowScratch? = nil
    ) -> (perturbation: Perturbation, cost: Double)? {
        let terms = problem.terms(of: item).map { layout.local($0.cell) }
        var best: (perturbation: Perturbation, cost: Double, move: CohortMove, view: GridCache.View)?
        for move in cohortMoves(for: item) {
            // The item's place in the grid, from a term whose cohort moves (every move has one).
            let (anchorBlock, anchorCell) = terms.first { move.blocks.contains($0.block) }!
            let view = grids.view(move.blocks)
            let start = grids.embed(anchorCell, of: anchorBlock, in: view)
            var participants: [JointPricer.Participant] = []
            for (b, s) in zip(move.blocks, move.signs) {
                participants.append(JointPricer.Participant(offset: layout.offsets[b], sign: s, map: view.map(b)))
            }
            var checks: [JointPricer.FamilyCheck] = []
            for (f, family) in layout.families.enumerated() {
                var coefficient = 0
                if let i = move.blocks.firstIndex(of: family.parent) { coefficient += Int(move.signs[i]) }
                for part in family.parts { if let i = move.blocks.firstIndex(of: part) { coefficient -= Int(move.signs[i]) } }
                guard coefficient != 0 else { continue }
                checks.append(JointPricer.FamilyCheck(
                    coefficient: Int64(coefficient), map: view.familyMaps[f]!, complement: problem.complements[f], empty: family.emptyComplement))
            }
            let price = JointPricer(
                item: item, requirement: r, up: up, down: down, newCells: newCells, avoiding: avoiding,
                singletons: policy.singletons, problem: problem, counts: counts, values: values, valued: valued, countLimits: countLimits,
                countSlack: moved == nil ? countSlack : nil, structurallyEmpty: structurallyEmpty, withheld: withheld, published: problem.published,
                cost: cost, banned: banned, moved: moved, participants: participants, families: checks)
            // Paths down go to the fullest cells, by the least of the cohorts that see them
            // (an empty cell of any cohort that moves stops the path).
            // (Capturing the counts alone: a closure over `self` copies the whole suppressor.)
            // In a flow, what the earlier routes left: the fullest cells are those with room.
            let counts = self.counts
            let direction: Int64 = up ? 1 : -1
            let line: (Int) -> Int64 = { g in
                var least = Int64.max
                for p in participants {
                    let local = p.map.map { Int($0[g]) } ?? g
                    guard local >= 0 else { continue }
                    let c = p.offset + local
                    least = min(least, counts[c] + (moved.map { direction * $0.amounts[c] } ?? 0))
                }
                return least == .max ? 0 : least
            }
            guard let found = view.grid.search(start, price: price, line: line), found.cost < best?.cost ?? .infinity else { continue }
            best = (found.perturbation, found.cost, move, view)
            if found.cost == 0 { break }
        }
        guard let best else { return nil }
        return (expand(best.perturbation, best.move, best.view), best.cost)
    }

    /// A grid perturbation as changes of the cohorts of a move: each cohort changes where it
    /// sees the grid's changes.
    func expand(_ perturbation: Perturbation, _ move: CohortMove, _ view: GridCache.View) -> Perturbation {
        var cells: [Int] = []
        var signs: [Int8] = []
        for (g, s) in perturbation.changes {
            for (b, sign) in zip(move.blocks, move.signs) {
                let local = view.map(b).map { Int($0[g]) } ?? g
                guard local >= 0 else { continue }
                cells.append(layout.global(b, local))
                signs.append(s * sign)
            }
        }
        return Perturbation(cells: cells, signs: signs)
    }

    // MARK: - Publishing again what is not needed

    /// Tries to publish each secondary cell again, most costly first (in the order of
    /// ``pruneOrder(_:cost:relying:)``), keeping it withheld only if an item that relies on
    /// it cannot be certified without it, by a route or by a programme over the cells
    /// withheld when this began. The programme's witness for an item starts from the basis
    /// of the item's last one, and leans on cells already settled (see
    /// ``CertificateProgram/remembersBases`` and ``CertificateProgram/unsettled``).
    mutating func prune() {
        let secondary = secondaryCells
        // Only cells withheld now may change in a witness here: a smaller programme.
        let withheldNow = withheld
        let published = problem.published
        let valued = self.valued
        let program = self.program.flatMap { CertificateProgram(self, budget: $0.budget) { (withheldNow[$0] || !published[$0]) && !valued[$0] } }
        if let program {
            program.remembersBases = true
            program.unsettled = [Bool](repeating: false, count: layout.cellCount)
            for c in secondary { program.unsettled[c] = true }
        }
        for c in Self.pruneOrder(secondary, cost: cost, relying: { users[$0]?.count ?? 0 }) {
            program?.unsettled[c] = false
            withheld[c] = false
            var replacements: [(Int, [ProtectionCertificate])] = []
            // The items whose certificates move the cell most first: the likeliest to need
            // it, so that a cell that must stay costs few attempts.
            let relying = (users[c] ?? []).map { item in (item, movement(of: c, by: item)) }
            // The routes first; then, before any programme's witness, whether each item the
            // routes leave has a witness at all (a programme with no costs stops at the first
            // it meets): a cell that must stay costs no witness that would be thrown away.
            var left: [Int] = []
            for (item, _) in relying.sorted(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }) {
                let r = problem.requirements[item]!
                if let found = certify(item, r, newCells: false) {
                    replacements.append((item, found))
                } else if let program, reachable(item, r, program) {
                    left.append(item)
                } else {
                    withheld[c] = true
                    break
                }
            }
            for item in left where !withheld[c] {
                guard let found = proposal(item, problem.requirements[item]!, newCells: false, program: program) else {
                    withheld[c] = true
                    break
                }
                replacements.append((item, found))
            }
            guard !withheld[c] else { continue }
            for (item, found) in replacements {
                for old in certificates[item] ?? [] {
                    for cell in old.perturbation.cells { users[cell]?.remove(item) }
                }
                certificates[item] = found
                for certificate in found {
                    for cell in certificate.perturbation.cells { users[cell, default: []].insert(item) }
                }
            }
        }
        // A cell kept for a certificate that a later replacement no longer needs is
        // published too: no certificate moves it.
        for c in secondary where withheld[c] && users[c]?.isEmpty ?? true { withheld[c] = false }
    }

    /// The order in which the prune tries to publish cells again: the costliest first, a
    /// whole unit of cost at a time (under the default cost, a published figure, or a percent
    /// of the table's total); within a unit, the cells that fewest items rely on first (the
    /// likeliest to be published, each costing few certifications to try), then the
    /// costliest, then the first. Against the costliest first alone: the Zipf table 526 ->
    /// 525 cells, their cost 844 -> 839 figures, in less time; sdcTable's attacker 423 ->
    /// 421; the same table from another seed 550 -> 548.
    static func pruneOrder(_ cells: [Int], cost: [Double], relying: (Int) -> Int) -> [Int] {
        let rank = cells.map { c in (-cost[c].rounded(.down), relying(c), -cost[c], c) }
        return rank.sorted { $0 < $1 }.map(\.3)
    }

    /// Whether the programme over the cells withheld finds a witness for each direction the
    /// item needs, lone contributors' cells allowed to move where they are allowed at all
    /// (so that false means ``proposal(_:_:newCells:program:)`` would find none).
    func reachable(_ item: Int, _ r: ProtectionRequirement, _ program: CertificateProgram) -> Bool {
        guard r.valueUp == 0, r.valueDown == 0 else { return false }
        for (level, up) in [(r.countUp, true), (r.countDown, false)] where level > 0 {
            guard program.witness(item, level: level, up: up, newCells: false, avoiding: policy.singletons ? [] : nil, priced: false, in: self) != nil else {
                return false
            }
        }
        return true
    }

    /// How far an item's certificates move a cell, relative to the item's own move: the
    /// largest over its certificates.
    func movement(of c: Int, by item: Int) -> Double {
        var most = 0.0
        for certificate in certificates[item] ?? [] {
            let p = certificate.perturbation
            guard let i = p.cells.firstIndex(of: c) else { continue }
            let own = p.cells.firstIndex(of: item).map { Double(p.weights?[$0] ?? 1) } ?? 1
            most = max(most, Double(p.weights?[i] ?? 1) / own)
        }
        return most
    }

    /// The items whose certificates rely on each withheld cell (after ``run()``).
    public var reliance: [Int: Set<Int>] { users.filter { withheld[$0.key] && !$0.value.isEmpty } }
}

/// Per global cell, what the routes of a flow being built move (zero elsewhere, and
/// everywhere between flows): one buffer per suppressor, so that a flow costs nothing in
/// proportion to the table.
final class FlowScratch {
    var amounts: [Int64]
    init(count: Int) { amounts = [Int64](repeating: 0, count: count) }
}

/// What changing one cell of a cohort move's grid costs: the sum over the cohorts of the
/// move of what changing their cell there costs (a cohort that does not keep the cell's
/// categories does not see it), nil when any of them may not change that way or a
/// family's complement would become negative.
struct JointPricer: GridPricer {
    struct Participant {
        /// Where the cohort's cells start in the global numbering.
        var offset: Int
        var sign: Int8
        /// Per grid cell, the cohort's cell (-1: it does not see it); nil when the grid is the cohort's own.
        var map: [Int32]?
    }

    struct FamilyCheck {
        /// How much the complement changes per unit of the grid's change.
        var coefficient: Int64
        /// Per grid cell, the complement's cell (-1: none).
        var map: [Int32]
        var complement: [Int64]
        var empty: [Bool]?
    }

    /// The item: a global cell, or a group.
    let item: Int
    let requirement: ProtectionRequirement
    let up: Bool
    let down: Bool
    /// Whether cells not yet withheld may be chosen.
    let newCells: Bool
    /// The lone-contributor cells to leave alone (nil: all of them but the item's own).
    let avoiding: Set<Int>?
    let singletons: Bool
    let problem: SuppressionProblem
    let counts: [Int64]
    let values: [Int64]
    /// Per global cell, whether it is a magnitude cell (its sum moves too).
    let valued: [Bool]
    let countLimits: CountLimits?
    let countSlack: CountSlack?
    let structurallyEmpty: [Bool]?
    let withheld: [Bool]
    let published: [Bool]
    let cost: [Double]
    let banned: [Bool]
    /// What a flow's earlier routes move (the witness's direction: up raises by these).
    let moved: FlowScratch?
    let participants: [Participant]
    let families: [FamilyCheck]

    @inline(__always)
    func callAsFunction(_ g: Int, _ sign: Int8) -> Double? {
        // Indexing in place rather than binding each participant or family keeps this hot
        // loop free of reference counting.
        var total = 0.0
        for i in participants.indices {
            let local = participants[i].map == nil ? g : Int(participants[i].map![g])
            if local < 0 { continue }
            guard let c = price(participants[i].offset + local, sign * participants[i].sign) else { return nil }
            total += c
        }
        let r = requirement
        for i in families.indices {
            let h = Int(families[i].map[g])
            if h < 0 { continue }
            if families[i].empty != nil && families[i].empty![h] { return nil }
            let delta = Int64(sign) * families[i].coefficient
            let k = families[i].complement[h]
            if up && k + delta * r.countUp < 0 { return nil }
            if down && k - delta * r.countDown < 0 { return nil }
        }
        return total
    }

    /// The cost of changing global cell `c` with `sign`, or nil when it may not change that
    /// way: an empty cell, a lone contributor's cell the search must avoid, a cell too small
    /// to move down by the protection, or a published cell when no new cells may be used.
    @inline(__always)
    func price(_ c: Int, _ sign: Int8) -> Double? {
        if structurallyEmpty?[c] == true || banned[c] { return nil }
        if c != item {
            let n = counts[c]
            if n == 0 { return nil }
            if singletons && n == 1 && published[c] {
                if let avoiding {
                    if avoiding.contains(c) { return nil }
                } else if !problem.sameLoneContributor(c, item) {
                    return nil
                }
            }
        }
        let r = requirement
        var n = counts[c]
        var alreadyMoved = false
        if let moved, case let m = moved.amounts[c], m != 0 {
            n += up ? m : -m
            alreadyMoved = true
        }
        if sign < 0 && up && (n < r.countUp || valued[c] && values[c] < r.valueUp) { return nil }
        if sign > 0 && down && (n < r.countDown || valued[c] && values[c] < r.valueDown) { return nil }
        if let countLimits {
            let s = Int64(sign)
            if up && !countLimits.allow(c, n + s * r.countUp) { return nil }
            if down && !countLimits.allow(c, n - s * r.countDown) { return nil }
        }
        if withheld[c] || !published[c] || alreadyMoved { return 0 }
        // A count that will be published rounded can move within what its figure tells.
        if let countSlack, countSlack.fits(c, sign, r, up: up, down: down) { return 0 }
        return newCells ? cost[c] : nil
    }
}

/// The grids cohort moves search on, built once per set of dimensions: the union of the
/// dimensions the moving cohorts keep, with, per cohort and per family, where each grid
/// cell falls in its own table (a cell it sees has the total in every dimension it does
/// not keep).
final class GridCache: @unchecked Sendable {
    struct View {
        let dimensions: [Int]
        let grid: GridSearch
        /// Per block asked for, the grid cell → block cell map (nil where the grid is the
        /// block's own shape).
        var maps: [Int: [Int32]?]
        /// Per family whose dimensions the grid has, grid cell → complement cell (-1: none).
        let familyMaps: [Int: [Int32]]

        /// The map of a block asked for when the view was made.
        func map(_ b: Int) -> [Int32]? { maps[b]! }
    }

    let layout: CohortLayout
    let method: SuppressionMethod
    private var views: [[Int]: View] = [:]

    init(layout: CohortLayout, method: SuppressionMethod) {
        self.layout = layout
        self.method = method
    }

    /// The grid of a set of blocks, with the maps of those blocks and of every family.
    func view(_ blocks: [Int]) -> View {
        let dims = Set(blocks.flatMap { layout.blocks[$0].dimensions }).sorted()
        var view = views[dims] ?? makeView(dims)
        var changed = views[dims] == nil
        for b in blocks where view.maps[b] == nil {
            let block = layout.blocks[b]
            view.maps[b] = block.dimensions == dims ? .some(nil) : .some(Self.map(dims, view.grid.shape, to: block.dimensions, block.shape))
            changed = true
        }
        if changed { views[dims] = view }
        return view
    }

    /// The grid cell of block `b`'s cell `c` in a view (totals in the other dimensions).
    func embed(_ c: Int, of b: Int, in view: View) -> Int {
        let block = layout.blocks[b]
        let nodes = block.shape.nodes(of: c)
        var result = 0
        for (k, d) in view.dimensions.enumerated() {
            let node = block.dimensions.firstIndex(of: d).map { nodes[$0] } ?? layout.dimensions[d].total
            result += node * view.grid.shape.strides[k]
        }
        return result
    }

    private func makeView(_ dims: [Int]) -> View {
        let shape = TableShape(dimensions: dims.map { layout.dimensions[$0] })!
        var familyMaps: [Int: [Int32]] = [:]
        for (f, family) in layout.families.enumerated() where Set(family.dimensions).isSubset(of: dims) {
            familyMaps[f] = Self.map(dims, shape, to: family.dimensions, family.shape)
        }
        return View(dimensions: dims, grid: GridSearch(shape: shape, method: method), maps: [:], familyMaps: familyMaps)
    }

    /// Per cell of the grid over `dims`, the cell of the table over `target` (a subset) with
    /// the same categories, or -1 where the grid cell is not at the total of a dimension the
    /// target lacks.
    static func map(_ dims: [Int], _ shape: TableShape, to target: [Int], _ targetShape: TableShape) -> [Int32] {
        var result = [Int32](repeating: -1, count: shape.cellCount)
        let positions = dims.map { target.firstIndex(of: $0) }
        for g in 0..<shape.cellCount {
            var rest = g
            var cell = 0
            var seen = true
            for k in dims.indices {
                let node = rest / shape.strides[k]
                rest -= node * shape.strides[k]
                if let j = positions[k] {
                    cell += node * targetShape.strides[j]
                } else if node != shape.dimensions[k].total {
                    seen = false
                    break
                }
            }
            if seen { result[g] = Int32(cell) }
        }
        return result
    }
}
