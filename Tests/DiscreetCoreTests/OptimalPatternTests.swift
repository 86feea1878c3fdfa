import Testing
@testable import DiscreetCore
import DiscreetTestSupport

/// The exact step of secondary suppression (Fischetti and Salazar's model, ``SecondarySuppressor/optimise()``)
/// against known optima.
@Suite struct OptimalPatternTests {
    /// V2: sdcTable's minimum-loss pattern (3 complementary cells) is what the exact step
    /// keeps, and it proves nothing cheaper protects A/female.
    @Test func v2IsProvenOptimal() throws {
        let m = try Microdata1()
        let (statuses, suppressor, _) = try protect(m.counts, PrimaryPolicy(frequency: FrequencyRule(threshold: 2, comparator: .lessOrEqual)))
        #expect(suppressor.optimisation.applied && suppressor.optimisation.proven)
        #expect(statuses.filter { $0.disposition == .secondary }.count == 3)
    }

    /// Small random two-way tables: the cheapest pattern over every subset of the cells
    /// (found by enumeration, each subset attacked by the tests' own exact simplex) costs
    /// what the exact step's pattern costs, and the step proves it. Lone contributors are
    /// not assumed to know their cells here, so the step's model is the whole truth (in two
    /// dimensions a fractional witness means a whole-number one). The route search alone is
    /// beaten on some of the tables: the negative control that shows the comparison bites.
    @Test func theExactStepFindsTheCheapestPatternOfSmallTables() throws {
        var beaten = 0
        var compared = 0
        for seed in UInt64(0)..<24 {
            var rng = TestRandom(seed + 500)
            let rows = dimension("r", (0..<(3 + rng.below(2))).map { "r\($0)" })
            let cols = dimension("c", (0..<3).map { "c\($0)" })
            let shape = TableShape(dimensions: [rows, cols])!
            let table = countTable(shape, inner: (0..<shape.innerCellCount).map { _ in Int64(rng.chance(0.3) ? 1 + rng.below(3) : 3 + rng.below(9)) })
            let primary = PrimaryPolicy(frequency: FrequencyRule(threshold: 3, comparator: .less))
            let policy = SecondaryPolicy(singletons: false, cost: .cells)
            let (statuses, suppressor, problem) = try protect(table, primary, policy)
            guard !problem.requirements.isEmpty else { continue }
            #expect(CertificateAudit.verify(problem: problem, statuses: statuses, certificates: suppressor.certificates, singletons: false).isEmpty)
            let candidates = (0..<shape.cellCount).filter { !problem.statuses[$0].disposition.isWithheld && table.values[$0] > 0 }
            let sensitive = problem.requirements.keys.sorted()

            /// Whether withholding `chosen` (besides the primary cells) protects every
            /// sensitive cell against the tests' attacker.
            func protects(_ chosen: Set<Int>) -> Bool {
                var attacker = AtomAttacker(dimensions: [rows, cols], atoms: [[0]])
                for cell in 0..<shape.cellCount {
                    let form = attacker.form(cohort: 0, nodes: shape.nodes(of: cell))
                    if problem.statuses[cell].disposition.isWithheld || chosen.contains(cell) {
                        attacker.know(form, lower: 1, upper: nil)
                    } else {
                        attacker.know(form, lower: table.values[cell], upper: table.values[cell])
                    }
                }
                let intervals = attacker.intervals(sensitive.map { attacker.form(cohort: 0, nodes: shape.nodes(of: $0)) })
                return zip(sensitive, intervals).allSatisfy { cell, interval in
                    guard let interval else { return false }
                    let r = problem.requirements[cell]!
                    let v = Rational(table.values[cell])
                    return (interval.upper.map { $0 >= v + Rational(r.countUp) } ?? true) && interval.lower <= v - Rational(r.countDown)
                }
            }
            // Every subset by size; a subset of k cells costs at least k.
            var best = Double.infinity
            var size = 0
            while size <= candidates.count && Double(size) < best {
                var subset = Array(0..<size)
                while true {
                    let chosen = Set(subset.map { candidates[$0] })
                    let cost = chosen.reduce(0.0) { $0 + suppressor.cost[$1] }
                    if cost < best - 1e-9 && protects(chosen) { best = cost }
                    // The next subset of this size in lexicographic order.
                    guard let i = subset.indices.last(where: { subset[$0] < candidates.count - size + $0 }) else { break }
                    subset[i] += 1
                    for j in (i + 1)..<size { subset[j] = subset[j - 1] + 1 }
                }
                size += 1
            }
            let kept = (0..<shape.cellCount).filter { statuses[$0].disposition == .secondary }.reduce(0.0) { $0 + suppressor.cost[$1] }
            #expect(suppressor.optimisation.proven, "seed \(seed)")
            #expect(abs(kept - best) < 1e-6, "seed \(seed): the exact step keeps a pattern costing \(kept), the cheapest costs \(best)")
            #expect(abs(suppressor.optimisation.costAfter - kept) < 1e-6)
            #expect(protects(Set((0..<shape.cellCount).filter { statuses[$0].disposition == .secondary })), "seed \(seed)")
            if suppressor.optimisation.costBefore > best + 1e-6 { beaten += 1 }
            compared += 1
        }
        #expect(compared >= 15)
        #expect(beaten > 0, "the route search found the cheapest pattern of every table: the comparison shows nothing")
    }
}
