/// Verifies protection certificates exactly, in integer arithmetic.
///
/// A certificate is accepted only if its perturbation, scaled by the required amounts (over
/// the amount it moves the item by, where it has weights; the result must be whole numbers)
/// and added to the true tables, gives tables that (1) satisfy every relation of every cohort
/// table (checked relation by relation from each table's shape, not from how the
/// perturbation was built), (2) change no published cell (except a count published rounded,
/// within the interval its figure will tell), (3) keep every cell non-negative in every
/// quantity the table publishes, and every family's complement (a parent cohort minus its
/// parts) non-negative, and empty where it is known to be, (4) leave every empty cell alone,
/// (5) keep every count within what the release tells of it (a small count shown as "fewer
/// than 5"; any withheld count is at least 1 where zeros are published), and (6) move the
/// item, a cell or a group counted by subtraction, by exactly the required amount. Such
/// tables are ones an outsider cannot tell from the truth, so the item's interval reaches at
/// least as far as the certificate moves it. Against someone alone in a cell, who knows its
/// value, a certificate counts only if it leaves that cell alone: for each direction, some
/// valid certificate must leave alone each published lone-contributor cell.
public enum CertificateAudit {
    /// A sensitive item whose protection is not proven, and why.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        public var cell: Int
        public var reason: String
        public var description: String { reason }
    }

    /// Every failure; empty when every sensitive item is proven protected.
    ///
    /// - Parameter statuses: per global cell.
    public static func verify(
        problem: SuppressionProblem, statuses: [CellStatus], certificates: [Int: [ProtectionCertificate]], singletons: Bool
    ) -> [Failure] {
        let index = FamilyIndex(problem.layout)
        var failures: [Failure] = []
        for (item, requirement) in problem.requirements.sorted(by: { $0.key < $1.key }) where !requirement.isEmpty {
            if !problem.isGroup(item) && !statuses[item].disposition.isWithheld {
                failures.append(Failure(cell: item, reason: "the sensitive cell is published"))
                continue
            }
            let needUp = requirement.countUp > 0 || requirement.valueUp > 0
            let needDown = requirement.countDown > 0 || requirement.valueDown > 0
            // For each direction: the lone-contributor cells every valid certificate changes.
            // Someone alone in such a cell could rule out each certificate; none may remain.
            var knownToAll: [Bool: Set<Int>?] = [true: nil, false: nil]
            var reasons: [String] = []
            for certificate in certificates[item] ?? [] where certificate.cell == item {
                if let problem = check(certificate, requirement, problem: problem, statuses: statuses, index: index) {
                    reasons.append(problem)
                    continue
                }
                var lone = Set<Int>()
                if singletons {
                    for c in certificate.perturbation.cells
                    where c != item && problem.published[c] && problem.counts[c] == 1 && !problem.sameLoneContributor(c, item)
                    {
                        lone.insert(c)
                    }
                }
                for direction in [true, false] where direction ? certificate.up : certificate.down {
                    knownToAll[direction] = (knownToAll[direction]!).map { $0.intersection(lone) } ?? lone
                }
            }
            func proven(_ direction: Bool) -> Bool { knownToAll[direction]!.map { $0.isEmpty } ?? false }
            let provenUp = proven(true)
            let provenDown = proven(false)
            if needUp && !provenUp || needDown && !provenDown {
                let which = [needUp && !provenUp ? "upper" : nil, needDown && !provenDown ? "lower" : nil].compactMap { $0 }.joined(separator: " and ")
                let detail = reasons.isEmpty ? " (or a lone contributor could rule out every one)" : " (\(reasons.joined(separator: "; ")))"
                failures.append(Failure(cell: item, reason: "no valid certificate for the \(which) protection" + detail))
            }
        }
        return failures
    }

    /// Where each cohort cell enters a family's complement: per global cell, the families
    /// and complement cells it is the parent's or a part's figure of.
    struct FamilyIndex {
        var entries: [Int: [(family: Int, cell: Int)]] = [:]

        init(_ layout: CohortLayout) {
            for (f, family) in layout.families.enumerated() {
                for h in 0..<family.shape.cellCount {
                    entries[layout.global(family.parent, family.parentCells[h]), default: []].append((f, h))
                    for (i, part) in family.parts.enumerated() {
                        entries[layout.global(part, family.partCells[i][h]), default: []].append((f, h))
                    }
                }
            }
        }
    }

    /// Why a certificate is invalid, or nil when it is valid.
    static func check(
        _ certificate: ProtectionCertificate, _ r: ProtectionRequirement, problem: SuppressionProblem, statuses: [CellStatus], index: FamilyIndex
    ) -> String? {
        let layout = problem.layout
        var change: [Int: Int64] = [:]
        let weights = certificate.perturbation.weights
        guard weights == nil || weights!.count == certificate.perturbation.cells.count else { return "the weights do not match the cells" }
        for (i, (c, sign)) in certificate.perturbation.changes.enumerated() {
            guard c >= 0 && c < layout.cellCount else { return "a cell is out of range" }
            guard sign == 1 || sign == -1 else { return "a sign is not +1 or -1" }
            let weight = weights?[i] ?? 1
            guard weight > 0 && weight <= 1 << 40 else { return "a weight is not a positive whole number" }
            guard change.updateValue(Int64(sign) * weight, forKey: c) == nil else { return "a cell appears twice" }
        }
        let item = certificate.cell
        // The item moves by `effect` units of the perturbation; each witness scales it so
        // that the item moves by exactly its level, in whole numbers.
        let effect = problem.terms(of: item).reduce(Int64(0)) { $0 + Int64($1.sign) * (change[$1.cell] ?? 0) }
        guard effect >= 1, weights != nil || effect == 1 else {
            return problem.isGroup(item) ? "the group does not move by exactly its protection" : "the sensitive cell does not move by exactly its protection"
        }
        let levels = [certificate.up ? r.countUp : 0, certificate.down ? r.countDown : 0, certificate.up ? r.valueUp : 0, certificate.down ? r.valueDown : 0]
        for delta in change.values {
            for level in levels {
                let (product, overflow) = delta.multipliedReportingOverflow(by: level)
                if overflow { return "a witness would be too large" }
                if product % effect != 0 { return "a witness would not be whole numbers" }
            }
        }
        /// A cell's change in the witness for one quantity and direction.
        func scaled(_ delta: Int64, _ level: Int64) -> Int64 { delta * level / effect }
        for (c, delta) in change where delta != 0 {
            let (b, local) = layout.local(c)
            if layout.blocks[b].empty?[local] == true { return "it changes a cell known to be empty" }
            if c == item { continue }
            if problem.published[c] && !statuses[c].disposition.isWithheld {
                // Only a count published rounded may move, within what its figure tells.
                guard let slack = problem.roundingSlack(c) else { return "it changes a published cell" }
                let moves = [certificate.up ? scaled(delta, r.countUp) : 0, certificate.down ? -scaled(delta, r.countDown) : 0]
                if moves.contains(where: { $0 > slack.up || -$0 > slack.down }) || r.valueUp != 0 || r.valueDown != 0 {
                    return "it moves a rounded published count beyond what its figure tells"
                }
            }
            if problem.counts[c] == 0 { return "it changes an empty cell" }
        }
        // Every relation of every cohort table that involves a changed cell still holds.
        for c in change.keys {
            let (b, local) = layout.local(c)
            let shape = layout.blocks[b].shape
            let base = layout.offsets[b]
            let nodes = shape.nodes(of: local)
            for (d, dim) in shape.dimensions.enumerated() {
                var totals: [Int] = []
                if !dim.isLeaf(nodes[d]) { totals.append(local) }
                if dim.parents[nodes[d]] >= 0 { totals.append(local + (dim.parents[nodes[d]] - nodes[d]) * shape.strides[d]) }
                for total in totals {
                    let node = shape.nodes(of: total)[d]
                    var sum: Int64 = 0
                    for child in dim.children[node] { sum += change[base + total + (child - node) * shape.strides[d]] ?? 0 }
                    if sum != (change[base + total] ?? 0) { return "it breaks a relation of a table" }
                }
            }
        }
        // Every complement it touches stays non-negative (and empty where it is known to be).
        var touched = Set<[Int]>()
        for c in change.keys { for e in index.entries[c] ?? [] { touched.insert([e.family, e.cell]) } }
        for key in touched.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let family = layout.families[key[0]]
            let h = key[1]
            var delta = change[layout.global(family.parent, family.parentCells[h])] ?? 0
            for (i, part) in family.parts.enumerated() { delta -= change[layout.global(part, family.partCells[i][h])] ?? 0 }
            guard delta != 0 else { continue }
            if family.emptyComplement?[h] == true { return "it changes a complement known to be empty" }
            let k = problem.complements[key[0]][h]
            if certificate.up && k + scaled(delta, r.countUp) < 0 || certificate.down && k - scaled(delta, r.countDown) < 0 {
                return "a complement would become negative (more people in a cohort's parts than in the cohort)"
            }
        }
        // Non-negativity of the witnesses, in each published quantity.
        for (c, delta) in change {
            let n = problem.counts[c]
            let v = problem.value(c)
            let magnitude = problem.isMagnitude(c)
            if certificate.up {
                if n + scaled(delta, r.countUp) < 0 { return "a count would become negative" }
                if magnitude && v + scaled(delta, r.valueUp) < 0 { return "a value would become negative" }
            }
            if certificate.down {
                if n - scaled(delta, r.countDown) < 0 { return "a count would become negative" }
                if magnitude && v - scaled(delta, r.valueDown) < 0 { return "a value would become negative" }
            }
            if let b = problem.knownCount(c) {
                let counts = [certificate.up ? n + scaled(delta, r.countUp) : nil, certificate.down ? n - scaled(delta, r.countDown) : nil]
                for count in counts.compactMap({ $0 }) {
                    if count < (b.lower ?? 0) || count > (b.upper ?? .max) { return "a count would leave the range the release shows for it" }
                }
            }
        }
        return nil
    }
}
