import CGLPK

/// The search for one item's witness as a linear programme over every cell of the joint
/// system, the heuristic of Kelly, Golden and Assad (1992). The witness may change any cell
/// that is withheld, or not published, at almost no cost, and a published cell at its cost
/// per unit of change, so the cheapest witness withholds few new cells and shares those the
/// pattern already withholds.
///
/// The route search (``GridSearch``) builds perturbations of a few shapes only: products of
/// one move per dimension, and plane cycles. The cheapest way to protect a cell is often
/// none of those: a change through the row totals of another dimension, or spread over
/// several small areas. The programme finds it whatever its shape.
///
/// Solved by GLPK's simplex (floating point); where the optimum is not whole numbers, a
/// branch and cut over the cells it used, within a fixed number of subproblems (so that the
/// answer depends on the input alone, not the machine). What it proposes becomes a
/// certificate only after ``CertificateAudit`` has checked it exactly, and the release is
/// audited again as a whole: a rounding error can cost a proposal, never protection.
///
/// Applies to joint systems of at most ``SecondarySuppressor/programCells`` cells with no
/// rounded published counts, and to items that are count cells or groups counted by
/// subtraction (magnitude cells keep the route search, and stay put in every witness,
/// since their sums would move too).
final class CertificateProgram {
    /// The most subproblems the branch and cut may select before giving up.
    static let branchNodes = 200
    /// The most simplex iterations for one witness.
    static let iterationLimit: Int32 = 100_000

    let program: OpaquePointer
    /// The work left to every programme of one search, shared.
    let budget: ProgramBudget
    /// The number of constraints (the work of an iteration grows with it).
    let rows: Int
    /// The global cell of each pair of columns (k: its rise is column 2k+1, its fall 2k+2).
    let cells: [Int]
    /// Per global cell, its pair's index plus one (0: the cell cannot change: nobody is in it,
    /// or it is known to be empty).
    let slot: [Int32]
    /// Per pair, the most the cell may rise (infinity: no limit) and fall in a witness.
    let rise: [Double]
    let fall: [Double]
    /// Per pair, whether a lone contributor's published cell (who knows its value).
    let lone: [Bool]
    /// What a withheld or unpublished cell costs per unit: enough to keep witnesses small,
    /// too little to matter against any published cell.
    let freeCost: Double
    /// Per column (from 0), the upper bound and objective coefficient set now, so that a new
    /// witness changes only what differs from the last.
    var upper: [Double]
    var price: [Double]
    /// A row stating an item's change (the sum of its terms), free except during an attack
    /// (``attack(_:level:up:open:frozen:candidate:)``).
    let itemRow: Int32

    /// Which witness a remembered basis served: an item, its direction, and the lone
    /// contributor's cell it leaves alone (-1: every one; -2: none).
    struct WitnessKey: Hashable {
        var item: Int
        var up: Bool
        var avoiding: Int
    }
    /// Whether each priced witness over the cells withheld starts from the basis of the same
    /// witness's last solution (the prune, where an item is certified again each time a cell
    /// it relied on is published): that basis stays dual feasible, and only the cells
    /// published since must be repaired. From the last item's basis instead, the Zipf
    /// table's prune took 1.8 times the iterations (546,000 against 304,000).
    var remembersBases = false
    /// Per global cell, whether the prune has yet to try publishing it (empty: no cell is
    /// so). Such a cell costs ``unsettledFactor`` times ``freeCost`` in a witness, so that a
    /// witness leans on cells that stay (primary, unpublished, or tried and kept): publishing
    /// a cell later then certifies fewer items again, and fewer refuse it (the Zipf table:
    /// 527 -> 526 cells, and a tenth less time).
    var unsettled: [Bool] = []
    static let unsettledFactor = 100.0
    /// Per witness, the statuses of the rows, then the columns, of its last optimal basis.
    private var bases: [WitnessKey: [UInt8]] = [:]
    /// The bytes the remembered bases may take in all (64 MiB: a basis per item and
    /// direction grows with the programme): past this, new ones are not remembered, a limit
    /// that depends on the input alone.
    var basesMemory = 64 << 20
    private var basesBytes = 0
    /// The simplex iterations spent so far.
    var iterations: Int { Int(glp_get_it_cnt(program)) }

    /// A programme over the cells of `s` that `include` accepts (every other cell stays put).
    init?(_ s: SecondarySuppressor, budget: ProgramBudget, include: (Int) -> Bool = { _ in true }) {
        guard let program = glp_create_prob() else { return nil }
        self.program = program
        self.budget = budget
        let n = s.layout.cellCount
        var cells: [Int] = []
        var slot = [Int32](repeating: 0, count: n)
        var rise: [Double] = []
        var fall: [Double] = []
        var lone: [Bool] = []
        for c in 0..<n where s.counts[c] > 0 && s.structurallyEmpty?[c] != true && include(c) {
            cells.append(c)
            slot[c] = Int32(cells.count)
            let floor = max(0, s.countLimits?.floor[c] ?? 0)
            let ceiling = s.countLimits?.ceiling[c] ?? .max
            fall.append(Double(s.counts[c] - floor))
            rise.append(ceiling == .max ? .infinity : Double(ceiling - s.counts[c]))
            lone.append(s.policy.singletons && s.counts[c] == 1 && s.problem.published[c])
        }
        self.cells = cells
        self.slot = slot
        self.rise = rise
        self.fall = fall
        self.lone = lone
        let published = cells.filter { s.problem.published[$0] }.map { s.cost[$0] }.filter { $0 > 0 }
        freeCost = 1e-4 * (published.min() ?? 1)
        upper = [Double](repeating: 0, count: 2 * cells.count)
        price = [Double](repeating: 0, count: 2 * cells.count)
        glp_set_obj_dir(program, GLP_MIN)
        // New columns are fixed at zero until a witness frees them.
        if !cells.isEmpty { glp_add_cols(program, Int32(2 * cells.count)) }
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        func addRow(_ type: Int32, _ low: Double) {
            defer {
                indices.removeSubrange(1...)
                values.removeSubrange(1...)
            }
            guard indices.count > 1 else { return }
            let row = glp_add_rows(program, 1)
            glp_set_row_bnds(program, row, type, low, 0)
            glp_set_mat_row(program, row, Int32(indices.count - 1), indices, values)
        }
        // A cell's change is its rise minus its fall.
        func enter(_ c: Int, _ coefficient: Double) {
            let k = slot[c]
            guard k != 0 else { return }
            indices.append(2 * k - 1)
            values.append(coefficient)
            indices.append(2 * k)
            values.append(-coefficient)
        }
        // Every relation of every cohort table.
        for (b, block) in s.layout.blocks.enumerated() {
            let base = s.layout.offsets[b]
            for relation in block.shape.relations() {
                enter(base + relation.total, 1)
                for part in relation.parts { enter(base + part, -1) }
                addRow(GLP_FX, 0)
            }
        }
        // Every family's complement stays non-negative (and an empty one empty).
        for (f, family) in s.layout.families.enumerated() {
            for h in 0..<family.shape.cellCount {
                enter(s.layout.global(family.parent, family.parentCells[h]), 1)
                for (i, part) in family.parts.enumerated() { enter(s.layout.global(part, family.partCells[i][h]), -1) }
                if family.emptyComplement?[h] == true { addRow(GLP_FX, 0) } else { addRow(GLP_LO, -Double(s.problem.complements[f][h])) }
            }
        }
        itemRow = glp_add_rows(program, 1)
        glp_set_row_bnds(program, itemRow, GLP_FR, 0, 0)
        rows = Int(glp_get_num_rows(program))
    }

    deinit { glp_delete_prob(program) }

    /// Whether a global cell is a lone contributor's published cell (who knows its value).
    func isLone(_ c: Int) -> Bool { slot[c] != 0 && lone[Int(slot[c]) - 1] }

    /// Whether a witness an attack found still fits when every cell's limits are scaled by
    /// `open` (so that the attack need not be solved again).
    func fits(_ moved: [(cell: Int, rise: Double, fall: Double)], open: (Int) -> Double) -> Bool {
        moved.allSatisfy { m in
            let k = Int(slot[m.cell]) - 1
            let share = open(m.cell)
            return m.rise <= rise[k] * share + 1e-9 && m.fall <= fall[k] * share + 1e-9
        }
    }

    /// Sets column `j` (from 0) to `[0, bound]` at `cost` per unit, where that changes anything.
    @inline(__always)
    private func set(_ j: Int, bound: Double, cost: Double, exactly: Bool = false) {
        if upper[j] != bound || exactly {
            upper[j] = bound
            let column = Int32(j + 1)
            if exactly {
                glp_set_col_bnds(program, column, GLP_FX, bound, bound)
                upper[j] = -1  // fixed above zero: set again next time
            } else if bound == .infinity {
                glp_set_col_bnds(program, column, GLP_LO, 0, 0)
            } else {
                glp_set_col_bnds(program, column, bound == 0 ? GLP_FX : GLP_DB, 0, bound)
            }
        }
        if price[j] != cost {
            price[j] = cost
            glp_set_obj_coef(program, Int32(j + 1), cost)
        }
    }

    /// The cheapest witness moving `item` by `level` (up, or down), as a perturbation that
    /// moves it by +`level` (a down witness is the true table minus it); nil when there is
    /// none, or the solver gave up. With `newCells` false only withheld or unpublished cells
    /// may change. Not yet checked: see ``SecondarySuppressor/proposal(_:_:newCells:program:)``.
    /// `avoiding`: the lone contributors' published cells to leave alone (nil: all of them).
    ///
    /// With `priced` false every change costs nothing: the answer says only whether a
    /// witness exists (an empty perturbation), found in far fewer iterations.
    func witness(
        _ item: Int, level: Int64, up: Bool, newCells: Bool, avoiding: Set<Int>? = nil, priced: Bool = true, in s: SecondarySuppressor
    ) -> Perturbation? {
        let group = s.problem.isGroup(item)
        let target = group ? -1 : Int(slot[item]) - 1
        guard group || target >= 0 && Double(level) <= (up ? rise[target] : fall[target]), level > 0, budget.remaining > 0 else { return nil }
        let before = glp_get_it_cnt(program)
        defer { budget.remaining -= Int(glp_get_it_cnt(program) - before) * max(rows, 1) }
        if group {
            // A group moves by its terms' sum: that row is held at the level.
            let direction = self.direction(s.problem.terms(of: item), up: up)
            guard !direction.isEmpty else { return nil }
            holdItemRow(direction, type: GLP_FX, at: Double(level))
        }
        defer { if group { freeItemRow() } }
        for (k, c) in cells.enumerated() {
            if k == target {
                set(2 * k, bound: up ? Double(level) : 0, cost: 0, exactly: up)
                set(2 * k + 1, bound: up ? 0 : Double(level), cost: 0, exactly: !up)
                continue
            }
            let free = s.withheld[c] || !s.problem.published[c]
            let frozen = s.banned[c] || !newCells && !free || lone[k] && !s.sameLone(c, item) && avoiding?.contains(c) ?? true
            let cost = !priced ? 0 : !free ? s.cost[c] : unsettled.isEmpty || !unsettled[c] ? freeCost : freeCost * Self.unsettledFactor
            set(2 * k, bound: frozen ? 0 : rise[k], cost: cost)
            set(2 * k + 1, bound: frozen ? 0 : fall[k], cost: cost)
        }
        // A witness for a cell anywhere in the table shares little with the last one: the
        // dual simplex reaches it in fewer, cheaper iterations from the basis of no change
        // (every cost is positive, so that basis is dual feasible) than from the last
        // witness's (the Zipf table's first pass: 21 s -> 6 s, the same cells). Over the
        // cells withheld (the prune), successive witnesses are near and the last basis wins,
        // or better the basis of the same witness's last solution.
        if newCells { glp_std_basis(program) }
        let key = WitnessKey(item: item, up: up, avoiding: avoiding.map { $0.first ?? -2 } ?? -1)
        let remember = remembersBases && priced && !newCells && (avoiding?.count ?? 0) <= 1
        if remember, let saved = bases[key] {
            for i in 0..<rows { glp_set_row_stat(program, Int32(i + 1), Int32(saved[i])) }
            for j in 0..<(2 * cells.count) { glp_set_col_stat(program, Int32(j + 1), Int32(saved[rows + j])) }
        }
        // Out of work (the route search carries on), or no optimum.
        guard solve() else { return nil }
        let size = rows + 2 * cells.count
        if remember, bases[key] != nil || basesBytes + size <= basesMemory {
            if bases[key] == nil { basesBytes += size }
            // A status is one of GLPK's five (GLP_BS ... GLP_NS).
            bases[key] = (0..<rows).map { UInt8(glp_get_row_stat(program, Int32($0 + 1))) } + (0..<(2 * cells.count)).map { UInt8(glp_get_col_stat(program, Int32($0 + 1))) }
        }
        guard priced else { return Perturbation(cells: [], signs: []) }
        var change = cells.indices.map { glp_get_col_prim(program, Int32(2 * $0 + 1)) - glp_get_col_prim(program, Int32(2 * $0 + 2)) }
        if change.contains(where: { abs($0 - $0.rounded()) > 1e-7 }) {
            guard let whole = wholeWitness(change) else { return nil }
            change = whole
        }
        var moved: [Int] = []
        var signs: [Int8] = []
        var weights: [Int64] = []
        for (k, c) in cells.enumerated() {
            let amount = Int64(change[k].rounded())
            guard amount != 0 else { continue }
            let perturbation = up ? amount : -amount
            moved.append(c)
            signs.append(perturbation > 0 ? 1 : -1)
            weights.append(abs(perturbation))
        }
        return Perturbation(cells: moved, signs: signs, weights: weights)
    }

    /// What an attacker learns of one item, and what that says of every pattern: see
    /// ``attack(_:level:up:open:frozen:candidate:)``.
    struct Attack {
        /// How far the attacker can move the item in the asked direction (at most the level).
        var reach: Double
        /// Where `reach` falls short of the level, an inequality every protecting pattern
        /// meets: the sum over the candidate cells it withholds of `weights` is at least
        /// `bound` (Fischetti and Salazar's capacity cut, from the programme's dual).
        var weights: [(cell: Int, weight: Double)] = []
        var bound: Double = 0
        /// Where the attack reaches the level: the cells its witness moves, and how far.
        var moved: [(cell: Int, rise: Double, fall: Double)] = []
    }

    /// How far an attacker can move an item (the sum of `terms`) up, or down, by up to
    /// `level`, when every cell moves within its limits scaled by `open` (1 for a cell
    /// withheld or unpublished, 0 for one published; a fraction for a fractional pattern),
    /// the `frozen` cells (what the attacker knows: a lone contributor's own cell) stay put,
    /// and every relation holds.
    ///
    /// Where it falls short, the programme's reduced costs give Fischetti and Salazar's cut:
    /// the attack's value is at most a constant plus, for each cell, its reduced cost times
    /// its limit, for any pattern (the dual solution stays feasible when only the limits
    /// change), so a pattern can protect the item only by opening enough of the cells whose
    /// limits the dual prices. `candidate` says which cells a pattern may choose (the others
    /// keep their `open`). Nil when the solver gives up or the work runs out.
    func attack(
        _ terms: [(cell: Int, sign: Int8)], level: Int64, up: Bool, open: (Int) -> Double, frozen: (Int) -> Bool, candidate: (Int) -> Bool
    ) -> Attack? {
        guard level > 0, budget.remaining > 0 else { return nil }
        let before = glp_get_it_cnt(program)
        defer { budget.remaining -= Int(glp_get_it_cnt(program) - before) * max(rows, 1) }
        let sparse = self.direction(terms, up: up)
        var direction = [Double](repeating: 0, count: cells.count)
        for (k, coefficient) in sparse { direction[k] = coefficient }
        var limit = [Double](repeating: 0, count: 2 * cells.count)
        for (k, c) in cells.enumerated() {
            // (A relaxation's values may stray outside [0, 1] by a rounding error.)
            let open = frozen(c) ? 0 : min(1, open(c))
            let share = open > 1e-9 ? open : 0
            limit[2 * k] = share == 0 ? 0 : rise[k] * share
            limit[2 * k + 1] = share == 0 ? 0 : fall[k] * share
            // Minimise minus the item's change.
            set(2 * k, bound: limit[2 * k], cost: -direction[k])
            set(2 * k + 1, bound: limit[2 * k + 1], cost: direction[k])
        }
        holdItemRow(sparse, type: GLP_UP, at: Double(level))
        defer { freeItemRow() }
        guard solve() else { return nil }
        let reach = -glp_get_obj_val(program)
        let short = Double(level) - reach
        guard short > SecondarySuppressor.shortfall else {
            var moved: [(cell: Int, rise: Double, fall: Double)] = []
            for (k, c) in cells.enumerated() {
                let (r, f) = (glp_get_col_prim(program, Int32(2 * k + 1)), glp_get_col_prim(program, Int32(2 * k + 2)))
                if r > 1e-9 || f > 1e-9 { moved.append((c, r, f)) }
            }
            return Attack(reach: Double(level), moved: moved)
        }
        // The attack's value for any limits u is at most (the constant) + sum of -d_j u_j over
        // the columns with negative reduced cost d_j; equal at these limits.
        var bound = short
        var weights: [(cell: Int, weight: Double)] = []
        for (k, c) in cells.enumerated() where candidate(c) && !frozen(c) {
            var weight = 0.0
            for (j, full) in [(2 * k, rise[k]), (2 * k + 1, fall[k])] {
                let d = glp_get_col_dual(program, Int32(j + 1))
                guard d < -1e-9 else { continue }
                // Open now: its term is on both sides (a limit with no end had no price).
                if limit[j] > 0 { bound += full == .infinity ? 0 : -d * limit[j] }
                weight += full == .infinity ? .infinity : -d * full
            }
            if weight > 1e-9 { weights.append((c, weight)) }
        }
        // A cell that alone meets the bound is worth no more than it (the pattern is 0 or 1).
        weights = weights.map { ($0.cell, min($0.weight, bound)) }
        return Attack(reach: reach, weights: weights, bound: bound)
    }

    /// The dual simplex from the current basis, within the work left (and from the standard
    /// basis once more where GLPK could not factorise this one); false when the work ran
    /// out, the solver gave up, or there is no optimum.
    private func solve() -> Bool {
        var simplex = glp_smcp()
        glp_init_smcp(&simplex)
        simplex.msg_lev = GLP_MSG_OFF
        simplex.meth = GLP_DUALP
        // Every column is boxed: the long-step ratio test passes many bounds in one iteration
        // (the Zipf table: 38 s -> 34 s, and 544 -> 537 cells since other optima are reached).
        simplex.r_test = GLP_RT_FLIP
        simplex.it_lim = Int32(min(Int(Self.iterationLimit), budget.remaining / max(rows, 1) + 1))
        switch glp_simplex(program, &simplex) {
        case 0: break
        case GLP_EITLIM: return false
        default:
            glp_std_basis(program)
            guard glp_simplex(program, &simplex) == 0 else { return false }
        }
        return glp_get_status(program) == GLP_OPT
    }

    /// An item's change in the direction asked, per pair of columns (sorted, each once; a
    /// term whose cell cannot move adds nothing).
    private func direction(_ terms: [(cell: Int, sign: Int8)], up: Bool) -> [(pair: Int, coefficient: Double)] {
        var direction: [Int: Double] = [:]
        for t in terms where slot[t.cell] != 0 { direction[Int(slot[t.cell]) - 1, default: 0] += Double(up ? t.sign : -t.sign) }
        return direction.keys.sorted().compactMap { k in direction[k] == 0 ? nil : (k, direction[k]!) }
    }

    /// Sets ``itemRow`` to the item's change, bounded by `type` at `bound`, until
    /// ``freeItemRow()``.
    private func holdItemRow(_ direction: [(pair: Int, coefficient: Double)], type: Int32, at bound: Double) {
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        for (k, coefficient) in direction {
            indices += [Int32(2 * k + 1), Int32(2 * k + 2)]
            values += [coefficient, -coefficient]
        }
        glp_set_mat_row(program, itemRow, Int32(indices.count - 1), indices, values)
        glp_set_row_bnds(program, itemRow, type, bound, bound)
    }

    private func freeItemRow() {
        glp_set_mat_row(program, itemRow, 0, nil, nil)
        glp_set_row_bnds(program, itemRow, GLP_FR, 0, 0)
    }

    /// A whole-number witness over the cells a fractional one changes (and those that cost
    /// almost nothing), by branch and cut within ``branchNodes`` subproblems; nil if none.
    private func wholeWitness(_ change: [Double]) -> [Double]? {
        let columns = 2 * cells.count
        // Cells the fractional witness did not change and that cost something stay put.
        var held: [Int] = []
        for k in cells.indices where abs(change[k]) <= 1e-9 && price[2 * k] > freeCost && upper[2 * k] != 0 {
            glp_set_col_bnds(program, Int32(2 * k + 1), GLP_FX, 0, 0)
            glp_set_col_bnds(program, Int32(2 * k + 2), GLP_FX, 0, 0)
            held.append(k)
        }
        for j in 1...columns { glp_set_col_kind(program, Int32(j), GLP_IV) }
        defer {
            for j in 1...columns { glp_set_col_kind(program, Int32(j), GLP_CV) }
            // Their bounds are set again by the next witness.
            for k in held {
                upper[2 * k] = -1
                upper[2 * k + 1] = -1
            }
        }
        var parameters = glp_iocp()
        glp_init_iocp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.presolve = GLP_ON
        // A fixed number of subproblems, not a time limit: the same answer on every machine.
        var selected = 0
        parameters.cb_func = { tree, info in
            guard let tree, let info, glp_ios_reason(tree) == GLP_ISELECT else { return }
            let count = info.assumingMemoryBound(to: Int.self)
            count.pointee += 1
            if count.pointee > CertificateProgram.branchNodes { glp_ios_terminate(tree) }
        }
        _ = withUnsafeMutablePointer(to: &selected) { counter in
            parameters.cb_info = UnsafeMutableRawPointer(counter)
            return glp_intopt(program, &parameters)
        }
        let status = glp_mip_status(program)
        guard status == GLP_OPT || status == GLP_FEAS else { return nil }
        return cells.indices.map { glp_mip_col_val(program, Int32(2 * $0 + 1)) - glp_mip_col_val(program, Int32(2 * $0 + 2)) }
    }
}

/// The work the programmes of one search may still do (iterations times constraints),
/// shared by them all.
final class ProgramBudget {
    var remaining: Int
    /// Work kept for items that no route protects, spent only through
    /// ``drawingOnReserve(_:)``: the programmes that look for cheaper patterns can spend
    /// `remaining` long before the search reaches such an item, and without a witness it
    /// would refuse the release.
    var reserve: Int
    init(_ remaining: Int, reserve: Int = 0) {
        self.remaining = remaining
        self.reserve = reserve
    }

    /// Runs `body` with the reserve as the work left, keeping what it does not spend.
    func drawingOnReserve<T>(_ body: () -> T) -> T {
        let ordinary = remaining
        remaining = reserve
        defer {
            reserve = remaining
            remaining = ordinary
        }
        return body()
    }
}

extension SecondarySuppressor {
    /// The most cells (of the joint system) for which the search also solves a linear
    /// programme per item.
    static let programCells = 50_000

    /// The programme for this problem, or nil where it does not apply: no effort allowed,
    /// rounded published counts, more than ``programCells`` cells.
    func makeProgram() -> CertificateProgram? {
        guard policy.effort > 0, problem.rounding == nil, layout.cellCount <= Self.programCells else { return nil }
        // A magnitude cell's sum would move too: its cells stay put (and its items keep the
        // route search).
        let valued = self.valued
        let work = policy.effort * 1_000_000
        return CertificateProgram(self, budget: ProgramBudget(work, reserve: work)) { !valued[$0] }
    }

    /// Certificates for a cell item from the linear programme, one per direction it needs,
    /// each checked exactly by ``CertificateAudit``; nil where the programme does not apply
    /// or finds none.
    func proposal(_ item: Int, _ r: ProtectionRequirement, newCells: Bool, program: CertificateProgram? = nil) -> [ProtectionCertificate]? {
        guard let program = program ?? self.program, r.valueUp == 0, r.valueDown == 0 else { return nil }
        var result: [ProtectionCertificate] = []
        func checked(_ level: Int64, up: Bool, avoiding: Set<Int>?) -> ProtectionCertificate? {
            guard let p = program.witness(item, level: level, up: up, newCells: newCells, avoiding: avoiding, in: self) else { return nil }
            let certificate = ProtectionCertificate(cell: item, perturbation: p, up: up, down: !up, avoiding: avoiding)
            // The statuses the certificate would leave: what is withheld now, and what it moves.
            var statuses = problem.statuses
            for c in 0..<layout.cellCount where withheld[c] && !statuses[c].disposition.isWithheld { statuses[c].disposition = .secondary }
            for c in p.cells where !statuses[c].disposition.isWithheld && problem.published[c] { statuses[c].disposition = .secondary }
            return CertificateAudit.check(certificate, r, problem: problem, statuses: statuses, index: familyIndex) == nil ? certificate : nil
        }
        for up in [true, false] {
            let level = up ? r.countUp : r.countDown
            guard level > 0 else { continue }
            if let certificate = checked(level, up: up, avoiding: nil) {
                result.append(certificate)
                continue
            }
            // Where every witness moves some lone contributor's cell: one that may, and for
            // each such cell it moves, another that leaves that one alone (as ``cover`` does).
            guard policy.singletons, let first = checked(level, up: up, avoiding: []) else { return nil }
            result.append(first)
            for c in first.perturbation.cells where c != item && program.isLone(c) && !sameLone(c, item) {
                guard let other = checked(level, up: up, avoiding: [c]) else { return nil }
                result.append(other)
            }
        }
        return result.isEmpty ? nil : result
    }
}
