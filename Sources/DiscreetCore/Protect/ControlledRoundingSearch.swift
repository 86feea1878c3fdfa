/// Controlled rounding where no network holds the table: three or more dimensions, two
/// hierarchies, linked tables. Each cell that is not a multiple of the base rounds down or
/// up (a 0-1 choice), every relation fixes how many of its cells round up, and the least
/// total change is sought by depth-first branch and bound with constraint propagation.
///
/// Unlike a two-way table, such a table may have no controlled rounding at all; the search
/// says so when it has tried every choice, and gives up after a set number of decisions.
public enum ControlledRoundingSearch {
    /// What the search found.
    public enum Outcome: Sendable, Equatable {
        /// A controlled rounding (per cell; cells outside the scope keep their values);
        /// `least` when the search finished, so that no rounding changes the cells less.
        case rounded([Int64], least: Bool)
        /// Every choice was tried: no controlled rounding exists.
        case impossible
        /// The decision limit was reached before any rounding was found.
        case gaveUp
    }

    /// Rounds the `scope` cells so that every relation (all of whose cells must be in the
    /// scope) adds up, each cell at one of its two adjacent multiples of `base`.
    ///
    /// - Parameters:
    ///   - decisionLimit: the most choices tried before a first rounding is found.
    ///   - improvementLimit: the most choices tried after it, looking for a cheaper one.
    public static func round(
        values: [Int64], scope: [Int], relations: [(total: Int, parts: [Int])], base: Int64, decisionLimit: Int = 2_000_000,
        improvementLimit: Int = 200_000
    ) -> Outcome {
        // Variables: cells that are not multiples of the base.
        var variable = [Int: Int]()
        var cells: [Int] = []
        var cost: [Int64] = []  // change in total absolute change when rounding up instead of down
        for c in scope where values[c] % base != 0 {
            variable[c] = cells.count
            cells.append(c)
            cost.append(base - 2 * (values[c] % base))
        }
        // Each relation: Σ coef·y = k over its variables.
        var terms: [[(v: Int, coef: Int8)]] = []
        var target: [Int] = []
        var seen = Set<[Int]>()
        for relation in relations {
            guard seen.insert([relation.total] + relation.parts.sorted()).inserted else { continue }
            var floors = -(values[relation.total] - values[relation.total] % base)
            for p in relation.parts { floors += values[p] - values[p] % base }
            var row: [(v: Int, coef: Int8)] = []
            if let v = variable[relation.total] { row.append((v, 1)) }
            for p in relation.parts { if let v = variable[p] { row.append((v, -1)) } }
            let k = Int(floors / base)
            if row.isEmpty {
                if k != 0 { return .impossible }
                continue
            }
            terms.append(row)
            target.append(k)
        }
        var solver = Solver(count: cells.count, terms: terms, target: target, cost: cost)
        let outcome = solver.solve(limit: decisionLimit, improvementLimit: improvementLimit)
        guard let best = outcome.best else { return outcome.exhausted ? .impossible : .gaveUp }
        var result = values
        for (v, c) in cells.enumerated() { result[c] = values[c] - values[c] % base + (best[v] == 1 ? base : 0) }
        return .rounded(result, least: outcome.exhausted)
    }

    /// Branch and bound over 0-1 variables with equality constraints of ±1 coefficients.
    struct Solver {
        let count: Int
        let terms: [[(v: Int, coef: Int8)]]
        let target: [Int]
        let cost: [Int64]
        /// Per variable, its constraints and coefficients.
        var uses: [[(c: Int, coef: Int8)]]
        var value: [Int8]
        /// Per constraint: the sum of assigned terms, and its free positive and negative terms.
        var sum: [Int]
        var freePositive: [Int]
        var freeNegative: [Int]
        var trail: [Int] = []
        var spent: Int64 = 0
        /// The sum over free variables of min(0, cost): the most they can still save.
        var saving: Int64 = 0
        var order: [Int]

        init(count: Int, terms: [[(v: Int, coef: Int8)]], target: [Int], cost: [Int64]) {
            self.count = count
            self.terms = terms
            self.target = target
            self.cost = cost
            var uses = [[(c: Int, coef: Int8)]](repeating: [], count: count)
            freePositive = [Int](repeating: 0, count: terms.count)
            freeNegative = [Int](repeating: 0, count: terms.count)
            for (c, row) in terms.enumerated() {
                for t in row {
                    uses[t.v].append((c, t.coef))
                    if t.coef > 0 { freePositive[c] += 1 } else { freeNegative[c] += 1 }
                }
            }
            self.uses = uses
            value = [Int8](repeating: -1, count: count)
            sum = [Int](repeating: 0, count: terms.count)
            saving = cost.reduce(0) { $0 + min(0, $1) }
            // In cell order: the cells of a line come together, so that the line's last
            // choices are forced (tried against ordering by constraint count, which
            // scatters the choices and gave up on tables a tenth the size).
            order = Array(0..<count)
        }

        mutating func assign(_ v: Int, _ x: Int8) {
            value[v] = x
            trail.append(v)
            saving -= min(0, cost[v])
            if x == 1 { spent += cost[v] }
            for (c, coef) in uses[v] {
                if coef > 0 { freePositive[c] -= 1 } else { freeNegative[c] -= 1 }
                sum[c] += Int(coef) * Int(x)
            }
        }

        mutating func undo(to mark: Int) {
            while trail.count > mark {
                let v = trail.removeLast()
                let x = value[v]
                value[v] = -1
                saving += min(0, cost[v])
                if x == 1 { spent -= cost[v] }
                for (c, coef) in uses[v] {
                    if coef > 0 { freePositive[c] += 1 } else { freeNegative[c] += 1 }
                    sum[c] -= Int(coef) * Int(x)
                }
            }
        }

        /// Forces what the constraints touched by the trail from `mark` on imply; false on a
        /// contradiction.
        mutating func propagate(from mark: Int) -> Bool {
            var next = mark
            while next < trail.count {
                let v = trail[next]
                next += 1
                for (c, _) in uses[v] {
                    let low = sum[c] - freeNegative[c]
                    let high = sum[c] + freePositive[c]
                    let k = target[c]
                    if k < low || k > high { return false }
                    guard freePositive[c] + freeNegative[c] > 0, k == low || k == high else { continue }
                    // At the least sum every free positive term is 0 and negative 1; at the
                    // greatest, the other way round.
                    for t in terms[c] where value[t.v] < 0 {
                        assign(t.v, (t.coef > 0) == (k == high) ? 1 : 0)
                    }
                }
            }
            return true
        }

        /// Searches in attempts of a share of the limit each, each in another order of the
        /// variables (a depth-first search that went wrong early can thrash for long; another
        /// order often finds a rounding at once). An attempt that tries every choice proves
        /// there is none.
        mutating func solve(limit: Int, improvementLimit: Int) -> (best: [Int8]?, exhausted: Bool) {
            // Constraints with no variable assigned yet still need checking once.
            for c in terms.indices {
                let low = sum[c] - freeNegative[c]
                let high = sum[c] + freePositive[c]
                if target[c] < low || target[c] > high { return (nil, true) }
            }
            // Values forced from the start.
            for c in terms.indices where target[c] == sum[c] - freeNegative[c] || target[c] == sum[c] + freePositive[c] {
                for t in terms[c] where value[t.v] < 0 {
                    assign(t.v, (t.coef > 0) == (target[c] == sum[c] + freePositive[c]) ? 1 : 0)
                }
            }
            guard propagate(from: 0) else { return (nil, true) }
            let start = trail.count
            let attempts = 8
            let natural = Array(0..<count)
            for attempt in 0..<attempts {
                undo(to: start)
                switch attempt {
                case 0: order = natural
                case 1: order = natural.reversed()
                default:
                    // Interleaved: every s-th variable first, then the next residue, and so on.
                    let s = [2, 3, 5, 7, 11, 13][attempt - 2]
                    order = natural.sorted { ($0 % s, $0) < ($1 % s, $1) }
                }
                let result = depthFirst(from: start, limit: attempt == attempts - 1 ? limit - (attempts - 1) * (limit / attempts) : limit / attempts, improvementLimit: improvementLimit)
                if result.best != nil || result.exhausted { return result }
            }
            return (nil, false)
        }

        /// One depth-first branch and bound from the state after the forced values.
        mutating func depthFirst(from start: Int, limit: Int, improvementLimit: Int) -> (best: [Int8]?, exhausted: Bool) {
            var best: [Int8]?
            var bestCost = Int64.max
            // Each decision: its variable, the value tried first, the trail before it, whether
            // both values are tried, and its place in the order (every variable before it
            // was assigned when it was made).
            var stack: [(v: Int, tried: Int8, mark: Int, both: Bool, position: Int)] = []
            var decisions = 0
            var stopAt = limit
            var cursor = 0
            var ok = true
            while true {
                if ok && spent + saving < bestCost {
                    while cursor < order.count && value[order[cursor]] >= 0 { cursor += 1 }
                    if cursor == order.count {
                        if best == nil { stopAt = decisions + improvementLimit }
                        best = value
                        bestCost = spent
                        ok = false
                        continue
                    }
                    decisions += 1
                    if decisions > stopAt { return (best, false) }
                    let v = order[cursor]
                    let first: Int8 = cost[v] < 0 ? 1 : 0
                    let mark = trail.count
                    stack.append((v, first, mark, false, cursor))
                    assign(v, first)
                    ok = propagate(from: mark)
                    continue
                }
                // Backtrack to the latest decision with its other value untried.
                while let top = stack.last, top.both { undo(to: top.mark); stack.removeLast() }
                guard let top = stack.popLast() else { return (best, true) }
                undo(to: top.mark)
                cursor = top.position
                stack.append((top.v, 1 - top.tried, top.mark, true, top.position))
                assign(top.v, 1 - top.tried)
                ok = propagate(from: top.mark)
            }
        }
    }
}
