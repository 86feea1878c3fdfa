/// Verifies protection certificates exactly, in integer arithmetic.
///
/// A certificate is accepted only if its perturbation, scaled by the required amounts and
/// added to the true table, gives a table that (1) satisfies every relation of the table
/// (checked relation by relation from the table's shape, not from how the perturbation was
/// built), (2) changes no published cell (except a count published rounded, within the
/// interval its figure will tell), (3) keeps every cell non-negative in every
/// quantity the table publishes, (4) leaves every empty cell alone, and (5) keeps every
/// count within what the release tells of it (a small count shown as "fewer than 5"; any
/// withheld count is at least 1 where zeros are published). Such a table is one
/// an outsider cannot tell from the truth, so the sensitive cell's interval reaches at
/// least as far as the certificate moves it. Against someone alone in a cell, who knows
/// its value, a certificate counts only if it leaves that cell alone: for each direction,
/// some valid certificate must leave alone each published lone-contributor cell.
public enum CertificateAudit {
    /// A sensitive cell whose protection is not proven, and why.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        public var cell: Int
        public var reason: String
        public var description: String { reason }
    }

    /// Every failure; empty when every sensitive cell is proven protected.
    public static func verify(
        problem: SuppressionProblem, statuses: [CellStatus], certificates: [Int: [ProtectionCertificate]], singletons: Bool
    ) -> [Failure] {
        let shape = problem.table.shape
        let table = problem.table
        var failures: [Failure] = []
        for (cell, requirement) in problem.requirements.sorted(by: { $0.key < $1.key }) where !requirement.isEmpty {
            guard statuses[cell].disposition.isWithheld else {
                failures.append(Failure(cell: cell, reason: "the sensitive cell is published"))
                continue
            }
            let needUp = requirement.countUp > 0 || requirement.valueUp > 0
            let needDown = requirement.countDown > 0 || requirement.valueDown > 0
            // For each direction: the lone-contributor cells every valid certificate changes.
            // Someone alone in such a cell could rule out each certificate; none may remain.
            var knownToAll: [Bool: Set<Int>?] = [true: nil, false: nil]
            var reasons: [String] = []
            for certificate in certificates[cell] ?? [] where certificate.cell == cell {
                if let problem = check(
                    certificate, requirement, table: table, shape: shape, statuses: statuses, published: problem.published,
                    knownCount: problem.knownCount, roundingSlack: problem.roundingSlack)
                {
                    reasons.append(problem)
                    continue
                }
                var lone = Set<Int>()
                if singletons {
                    for c in certificate.perturbation.cells
                    where c != cell && problem.published[c] && table.contributors(c) == 1 && !table.sameLoneContributor(c, cell) {
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
                failures.append(Failure(cell: cell, reason: "no valid certificate for the \(which) protection" + detail))
            }
        }
        return failures
    }

    /// Why a certificate is invalid, or nil when it is valid.
    static func check(
        _ certificate: ProtectionCertificate, _ r: ProtectionRequirement, table: AggregatedTable, shape: TableShape,
        statuses: [CellStatus], published: [Bool], knownCount: (Int) -> CellBounds? = { _ in nil },
        roundingSlack: (Int) -> (down: Int64, up: Int64)? = { _ in nil }
    ) -> String? {
        var change: [Int: Int64] = [:]
        for (c, sign) in certificate.perturbation.changes {
            guard c >= 0 && c < shape.cellCount else { return "a cell is out of range" }
            guard sign == 1 || sign == -1 else { return "a sign is not +1 or -1" }
            guard change.updateValue(Int64(sign), forKey: c) == nil else { return "a cell appears twice" }
        }
        guard change[certificate.cell] == 1 else { return "the sensitive cell does not move by exactly its protection" }
        for (c, delta) in change where delta != 0 {
            if c == certificate.cell { continue }
            if published[c] && !statuses[c].disposition.isWithheld {
                // Only a count published rounded may move, within what its figure tells.
                guard let slack = roundingSlack(c) else { return "it changes a published cell" }
                let moves = [certificate.up ? delta * r.countUp : 0, certificate.down ? -delta * r.countDown : 0]
                if moves.contains(where: { $0 > slack.up || -$0 > slack.down }) || r.valueUp != 0 || r.valueDown != 0 {
                    return "it moves a rounded published count beyond what its figure tells"
                }
            }
            if table.contributors(c) == 0 { return "it changes an empty cell" }
        }
        // Every relation that involves a changed cell still holds.
        for c in change.keys {
            let nodes = shape.nodes(of: c)
            for (d, dim) in shape.dimensions.enumerated() {
                var totals: [Int] = []
                if !dim.isLeaf(nodes[d]) { totals.append(c) }
                if dim.parents[nodes[d]] >= 0 { totals.append(c + (dim.parents[nodes[d]] - nodes[d]) * shape.strides[d]) }
                for total in totals {
                    let node = shape.nodes(of: total)[d]
                    var sum: Int64 = 0
                    for child in dim.children[node] { sum += change[total + (child - node) * shape.strides[d]] ?? 0 }
                    if sum != (change[total] ?? 0) { return "it breaks a relation of the table" }
                }
            }
        }
        // Non-negativity of the witnesses, in each published quantity.
        for (c, delta) in change {
            let n = table.contributors(c)
            let v = table.values[c]
            if certificate.up {
                if n + delta * r.countUp < 0 { return "a count would become negative" }
                if table.measure.isMagnitude && v + delta * r.valueUp < 0 { return "a value would become negative" }
            }
            if certificate.down {
                if n - delta * r.countDown < 0 { return "a count would become negative" }
                if table.measure.isMagnitude && v - delta * r.valueDown < 0 { return "a value would become negative" }
            }
            if let b = knownCount(c) {
                for count in [certificate.up ? n + delta * r.countUp : nil, certificate.down ? n - delta * r.countDown : nil].compactMap({ $0 }) {
                    if count < (b.lower ?? 0) || count > (b.upper ?? .max) { return "a count would leave the range the release shows for it" }
                }
            }
        }
        return nil
    }
}
