import CGLPK

/// The master problem of Fischetti and Salazar's model of secondary suppression: choose
/// which candidate cells to withhold, at least cost, subject to capacity cuts (each says
/// that a pattern protecting some item must open enough of the cells an attack priced).
/// A 0-1 programme solved by GLPK's branch and cut within a fixed number of subproblems.
final class CoveringProgram {
    let program: OpaquePointer
    /// The global cell of each column (column k + 1).
    let cells: [Int]
    /// Per global cell, its column (0: not a candidate).
    let column: [Int32]
    /// The row bounding the cost from above (strictly below the best pattern found).
    let cutoffRow: Int32

    init(cells: [Int], cost: [Double], cellCount: Int) {
        program = glp_create_prob()!
        self.cells = cells
        var column = [Int32](repeating: 0, count: cellCount)
        for (k, c) in cells.enumerated() { column[c] = Int32(k + 1) }
        self.column = column
        glp_set_obj_dir(program, GLP_MIN)
        if !cells.isEmpty { glp_add_cols(program, Int32(cells.count)) }
        for (k, c) in cells.enumerated() {
            glp_set_col_bnds(program, Int32(k + 1), GLP_DB, 0, 1)
            glp_set_obj_coef(program, Int32(k + 1), cost[c])
        }
        cutoffRow = glp_add_rows(program, 1)
        var indices: [Int32] = [0] + (0..<cells.count).map { Int32($0 + 1) }
        var values: [Double] = [0] + cells.map { cost[$0] }
        glp_set_mat_row(program, cutoffRow, Int32(cells.count), &indices, &values)
        glp_set_row_bnds(program, cutoffRow, GLP_FR, 0, 0)
    }

    deinit { glp_delete_prob(program) }

    /// Only patterns costing at most `cost` are wanted.
    func cutoff(_ cost: Double) { glp_set_row_bnds(program, cutoffRow, GLP_UP, 0, cost) }

    /// Adds the inequality: the weights of the chosen cells add up to at least `bound`.
    func add(_ weights: [(cell: Int, weight: Double)], atLeast bound: Double) {
        var indices: [Int32] = [0]
        var values: [Double] = [0]
        for (c, w) in weights where column[c] != 0 {
            indices.append(column[c])
            values.append(w)
        }
        let row = glp_add_rows(program, 1)
        glp_set_mat_row(program, row, Int32(indices.count - 1), &indices, &values)
        glp_set_row_bnds(program, row, GLP_LO, bound, 0)
    }

    /// The optimum of the relaxation (every cell between 0 and 1), per column; nil where no
    /// pattern meets the cuts and the cutoff.
    func relaxation() -> [Double]? {
        var simplex = glp_smcp()
        glp_init_smcp(&simplex)
        simplex.msg_lev = GLP_MSG_OFF
        simplex.meth = GLP_DUALP
        if glp_simplex(program, &simplex) != 0 {
            glp_std_basis(program)
            guard glp_simplex(program, &simplex) == 0 else { return nil }
        }
        guard glp_get_status(program) == GLP_OPT else { return nil }
        return cells.indices.map { glp_get_col_prim(program, Int32($0 + 1)) }
    }

    /// What a search for a 0-1 pattern found.
    enum Outcome {
        /// No pattern meets the cuts and the cutoff.
        case none
        /// The cheapest pattern meeting them (proven), or the best found within the limit.
        case pattern([Bool], proven: Bool)
        /// The limit came first, with no pattern.
        case gaveUp
    }

    /// The cheapest 0-1 pattern meeting the cuts and the cutoff, by branch and cut within
    /// `nodes` subproblems (a count, not a clock: the same answer on every machine), and
    /// the subproblems it took.
    func whole(nodes: Int) -> (Outcome, Int) {
        for k in cells.indices { glp_set_col_kind(program, Int32(k + 1), GLP_BV) }
        defer { for k in cells.indices { glp_set_col_kind(program, Int32(k + 1), GLP_CV) } }
        var parameters = glp_iocp()
        glp_init_iocp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.presolve = GLP_ON
        // (GLPK's own cuts, Gomory's, MIR and covers, cost more a subproblem than they save
        // here, and its cover cuts print whatever the message level: all off, the default.)
        // Driebeck and Tomlin's branching heuristic (GLPK's default) evaluates a row of the
        // tableau per fractional column at every subproblem: far too slow with many cuts.
        parameters.br_tech = GLP_BR_MFV
        var limit = (selected: 0, most: nodes)
        parameters.cb_func = { tree, info in
            guard let tree, let info, glp_ios_reason(tree) == GLP_ISELECT else { return }
            let limit = info.assumingMemoryBound(to: (selected: Int, most: Int).self)
            limit.pointee.selected += 1
            if limit.pointee.selected > limit.pointee.most { glp_ios_terminate(tree) }
        }
        let code = withUnsafeMutablePointer(to: &limit) { pointer in
            parameters.cb_info = UnsafeMutableRawPointer(pointer)
            return glp_intopt(program, &parameters)
        }
        let selected = min(limit.selected, nodes)
        // The presolver found the relaxation infeasible: no pattern meets the cuts.
        if code == GLP_ENOPFS { return (.none, selected) }
        // Anything else but a finished or stopped search is a solver failure, not a proof.
        guard code == 0 || code == GLP_ESTOP else { return (.gaveUp, selected) }
        switch glp_mip_status(program) {
        case GLP_OPT: return (.pattern(cells.indices.map { glp_mip_col_val(program, Int32($0 + 1)) > 0.5 }, proven: limit.selected <= nodes), selected)
        case GLP_FEAS: return (.pattern(cells.indices.map { glp_mip_col_val(program, Int32($0 + 1)) > 0.5 }, proven: false), selected)
        case GLP_NOFEAS: return (.none, selected)
        default: return (.gaveUp, selected)
        }
    }
}

/// What the exact step of secondary suppression did (see ``SecondarySuppressor/optimise()``).
public struct OptimalPatternReport: Sendable, Hashable {
    /// The cost of the complementary cells before and after.
    public var costBefore = 0.0
    public var costAfter = 0.0
    /// Why the step stopped.
    public enum Stop: String, Sendable, Hashable {
        /// It did not apply: rounded published counts, more cells than it takes, no item it
        /// models, or no effort allowed.
        case notApplied = "not applied"
        /// No pattern meeting the model costs less than the one kept.
        case proven = "proven cheapest"
        /// The work allowed ran out (or the linear programme solver gave up).
        case outOfWork = "out of work"
        /// The rounds, or the subproblems of the 0-1 searches, ran out.
        case outOfRounds = "out of rounds"
        /// Some item has no pattern in the model (one the search protected another way,
        /// through lone contributors' cells: the model leaves it to the search).
        case outsideTheModel = "outside the model"
    }
    public var stop = Stop.notApplied
    /// Whether the step applied to the problem at all.
    public var applied: Bool { stop != .notApplied }
    /// Whether no pattern meeting the model costs less than the one kept (within the model:
    /// the attackers are outsiders and each lone contributor, every count non-negative; the
    /// items the model leaves out keep their cells).
    public var proven: Bool { stop == .proven }
    /// Rounds of the master programme, cuts added, and patterns certified exactly.
    public var rounds = 0
    public var cuts = 0
    /// Subproblems the master's 0-1 searches selected.
    public var subproblems = 0
    public var patternsTried = 0
}

extension SecondarySuppressor {
    /// The most cells of the joint system, and the most candidate cells (published, not
    /// withheld by the primary rules), for which the exact step runs: beyond about a
    /// thousand candidates its cut loop needs far more rounds than it is allowed (the
    /// 2,952-cell Zipf table, 2,500 candidates, ran out of work and changed nothing).
    static let exactCells = 5_000
    static let exactCandidates = 1_500
    /// The most rounds of the exact step's master programme (relaxation and 0-1 together),
    /// and the most subproblems its 0-1 searches select in all.
    static let exactRounds = 40
    static let exactNodes = 300
    /// The most subproblems of one 0-1 search.
    static let searchNodes = 100
    /// The most of those rounds spent on the relaxation (its last cuts gain little).
    static let relaxationRounds = 12
    /// An attack falling short of a level by less than this protects (floating point).
    static let shortfall = 1e-6

    /// Improves the pattern by Fischetti and Salazar's model, for joint systems of at most
    /// ``exactCells`` cells and ``exactCandidates`` candidates: a 0-1 programme over the complementary candidates, minimising
    /// their cost, to which every attack on an item that a proposed pattern fails to protect
    /// adds a capacity cut; the cheapest pattern that every attack accepts is then certified
    /// exactly, item by item (routes, or a programme over the withheld cells), and replaces
    /// the current one only where it costs less. Whatever happens, the pattern kept has a
    /// certificate for every item.
    ///
    /// Items the model leaves out (magnitude cells, value levels, items whose cells cannot
    /// move) keep their certificates, and the cells those use stay withheld.
    @discardableResult
    mutating func optimise() -> OptimalPatternReport {
        var report = OptimalPatternReport()
        guard program != nil, layout.cellCount <= Self.exactCells else { return report }
        let sensitive = problem.requirements.keys.sorted().filter { !problem.requirements[$0]!.isEmpty }
        let budget = ProgramBudget(policy.effort * 200_000)
        let valued = self.valued
        guard let attacker = CertificateProgram(self, budget: budget, include: { !valued[$0] }) else { return report }
        var modelled: [Int] = []
        var fixed = [Bool](repeating: false, count: layout.cellCount)
        for item in sensitive {
            let r = problem.requirements[item]!
            if r.valueUp == 0 && r.valueDown == 0 && problem.terms(of: item).allSatisfy({ attacker.slot[$0.cell] != 0 }) {
                modelled.append(item)
            } else {
                for certificate in certificates[item] ?? [] { for c in certificate.perturbation.cells { fixed[c] = true } }
            }
        }
        guard !modelled.isEmpty else { return report }
        let published = problem.published
        let primary = problem.statuses.map { $0.disposition.isWithheld }
        // (A cell an earlier release publishes is no candidate, and stays closed.)
        let candidates = attacker.cells.filter { published[$0] && !primary[$0] && !fixed[$0] && !banned[$0] }
        guard candidates.count <= Self.exactCandidates else { return report }
        var isCandidate = [Bool](repeating: false, count: layout.cellCount)
        for c in candidates { isCandidate[c] = true }
        /// Open whatever the pattern: withheld by the primary rules, unpublished, or kept.
        let alwaysOpen = (0..<layout.cellCount).map { primary[$0] || !published[$0] || fixed[$0] }
        func patternCost() -> Double { candidates.reduce(0.0) { withheld[$1] ? $0 + cost[$1] : $0 } }
        report.stop = .outOfRounds
        report.costBefore = patternCost()
        report.costAfter = report.costBefore
        let master = CoveringProgram(cells: candidates, cost: cost, cellCount: layout.cellCount)
        let tolerance = 1e-6
        master.cutoff(report.costBefore - tolerance)

        /// The last witness of each attack that reached its level.
        struct AttackKey: Hashable {
            var item: Int
            var up: Bool
            var known: Int
        }
        var witnesses: [AttackKey: [(cell: Int, rise: Double, fall: Double)]] = [:]
        /// Attacks every item against a pattern (per global cell, how open) and adds a cut for
        /// each it fails to protect; nil where the work ran out or an item cannot be protected
        /// by any pattern of the model (`report.stop` says which).
        func separate(_ open: [Double]) -> Int? {
            var added = 0
            /// Adds the cut of an attack that falls short; false where no pattern of the model
            /// can protect the item.
            func cut(_ attack: CertificateProgram.Attack) -> Bool {
                guard attack.weights.reduce(0.0, { $0 + $1.weight }) >= attack.bound - 1e-9 else { return false }
                // A little slack: the cut comes from floating point, and must not cut off a
                // pattern that protects. One the pattern meets within it adds nothing.
                let bound = attack.bound - 1e-6 * max(1, attack.bound)
                guard attack.weights.reduce(0.0, { $0 + $1.weight * open[$1.cell] }) < bound - 1e-6 else { return true }
                master.add(attack.weights, atLeast: bound)
                added += 1
                return true
            }
            let share: (Int) -> Double = { alwaysOpen[$0] ? 1 : open[$0] }
            for item in modelled {
                let r = problem.requirements[item]!
                let terms = problem.terms(of: item)
                for (up, level) in [(true, r.countUp), (false, r.countDown)] where level > 0 {
                    /// The attack by an outsider (nil) or a lone contributor: an earlier
                    /// witness where it still fits, else solved again.
                    func attack(knowing known: Int?) -> CertificateProgram.Attack? {
                        let key = AttackKey(item: item, up: up, known: known ?? -1)
                        if let moved = witnesses[key], attacker.fits(moved, open: share) { return .init(reach: Double(level), moved: moved) }
                        let found = attacker.attack(terms, level: level, up: up, open: share, frozen: { $0 == known }, candidate: { isCandidate[$0] })
                        if let found, found.reach >= Double(level) - Self.shortfall { witnesses[key] = found.moved }
                        return found
                    }
                    // An outsider; then each lone contributor whose cell the outsider's
                    // witness moves (one it leaves alone has that witness too).
                    guard let outsider = attack(knowing: nil) else {
                        report.stop = .outOfWork
                        return nil
                    }
                    guard outsider.reach >= Double(level) - Self.shortfall else {
                        guard cut(outsider) else {
                            report.stop = .outsideTheModel
                            return nil
                        }
                        continue
                    }
                    guard policy.singletons else { continue }
                    for m in outsider.moved where attacker.isLone(m.cell) && !sameLone(m.cell, item) {
                        guard let insider = attack(knowing: m.cell) else {
                            report.stop = .outOfWork
                            return nil
                        }
                        if insider.reach < Double(level) - Self.shortfall {
                            guard cut(insider) else {
                                report.stop = .outsideTheModel
                                return nil
                            }
                        }
                    }
                }
            }
            report.cuts += added
            return added
        }
        func spread(_ x: [Double]) -> [Double] {
            var open = [Double](repeating: 0, count: layout.cellCount)
            for (k, c) in candidates.enumerated() { open[c] = x[k] }
            return open
        }

        // The relaxation first: its cuts are cheap and guide the 0-1 searches.
        var x = [Double](repeating: 0, count: candidates.count)
        while report.rounds < Self.relaxationRounds {
            report.rounds += 1
            guard let added = separate(spread(x)) else { return report }
            if added == 0 { break }
            guard let next = master.relaxation() else {
                // Nothing cheaper meets the cuts: the pattern kept is optimal in the model.
                report.stop = .proven
                return report
            }
            x = next
        }
        var nodes = Self.exactNodes
        while report.rounds < Self.exactRounds {
            report.rounds += 1
            guard nodes > 0 else {
                report.stop = .outOfRounds
                return report
            }
            let (outcome, selected) = master.whole(nodes: min(nodes, Self.searchNodes))
            nodes -= selected
            report.subproblems += selected
            switch outcome {
            case .none:
                report.stop = .proven
                return report
            case .gaveUp:
                report.stop = .outOfRounds
                return report
            case .pattern(let pattern, let proven):
                guard let added = separate(spread(pattern.map { $0 ? 1 : 0 })) else { return report }
                if added > 0 { continue }
                report.patternsTried += 1
                var chosen = [Bool](repeating: false, count: layout.cellCount)
                for (k, c) in candidates.enumerated() where pattern[k] { chosen[c] = true }
                if adopt(chosen, candidates: candidates, items: modelled, budget: budget) {
                    report.costAfter = patternCost()
                    master.cutoff(report.costAfter - tolerance)
                    if proven {
                        report.stop = .proven
                        return report
                    }
                } else {
                    // Not certified exactly (no whole-number witness, or a lone contributor's
                    // cell in the way): look for another pattern.
                    master.add(candidates.filter { !chosen[$0] }.map { ($0, 1.0) }, atLeast: 1)
                }
            }
        }
        report.stop = .outOfRounds
        return report
    }

    /// Withholds exactly the candidates `chosen` says, and certifies every item in `items`
    /// over the cells then withheld; true if every one is certified (and the pattern kept,
    /// less the cells no certificate moves), else the pattern is put back as it was.
    mutating func adopt(_ chosen: [Bool], candidates: [Int], items: [Int], budget: ProgramBudget) -> Bool {
        let saved = (withheld, certificates, users)
        for c in candidates { withheld[c] = chosen[c] }
        let published = problem.published
        let valued = self.valued
        let withheldNow = withheld
        let program = CertificateProgram(self, budget: budget) { (withheldNow[$0] || !published[$0]) && !valued[$0] }
        var found: [(Int, [ProtectionCertificate])] = []
        for item in items {
            let r = problem.requirements[item]!
            guard let certified = certify(item, r, newCells: false) ?? proposal(item, r, newCells: false, program: program) else {
                (withheld, certificates, users) = saved
                return false
            }
            found.append((item, certified))
        }
        for (item, certified) in found {
            for old in certificates[item] ?? [] { for c in old.perturbation.cells { users[c]?.remove(item) } }
            certificates[item] = certified
            for certificate in certified { for c in certificate.perturbation.cells { users[c, default: []].insert(item) } }
        }
        for c in candidates where withheld[c] && users[c]?.isEmpty ?? true { withheld[c] = false }
        return true
    }
}
