/// Makes the noisy tables of related cohorts agree with what the spec says of them, as
/// post-processing (it reads nothing but noisy figures and the spec, so it spends no budget):
///
/// - a cohort within another never counts more people than it, at the categories both are
///   cut by (a numerator never exceeds its denominator, a percentage never passes 100);
/// - cohorts that share nobody and lie within a third never together count more than it
///   (living in the community, near and far never add up to more than the disabled young
///   people in transition);
/// - a cohort is 0 where its filter leaves nobody (aged 18 or over: nobody in 14-17).
///
/// Each cohort's table is noised on its own (``NoisyTable``), so each adds up but nothing
/// ties one cohort's noise to another's. Noising the atoms of domain.md section 8 instead
/// would tie them, but a person's atom is their pattern of membership of every cohort: with
/// a dozen independent indicators that is thousands of atoms, and a published figure would
/// sum the noise of thousands of cells.
///
/// The tables are put right from the outermost cohort inwards (a cohort is only ever
/// lowered, so a bound met stays met while the cohorts within it are put right). Where the
/// cohorts within a whole exceed it at some categories, the excess is taken from all their
/// cells there by the least-squares (water-filling) step: each loses the same amount, none
/// goes below 0, whole numbers throughout. Every cohort's margins stay the sums of its cells.
public enum CohortAgreement {
    /// One cohort's noisy table.
    public struct Cohort: Sendable {
        /// The table noised: each person of the cohort in one of its inner cells.
        public var shape: TableShape
        /// Per dimension of `shape`, its index among the release's dimensions (the same
        /// index names the same ``TableDimension`` in every cohort).
        public var dimensions: [Int]
        /// Whether it counts people; a table of sums takes no part.
        public var countsPeople: Bool
        /// Per release dimension, the leaves where its filter leaves nobody.
        public var empty: [Int: Set<Int>]

        public init(shape: TableShape, dimensions: [Int], countsPeople: Bool = true, empty: [Int: Set<Int>] = [:]) {
            precondition(shape.dimensions.count == dimensions.count, "one release dimension per dimension of the table")
            self.shape = shape
            self.dimensions = dimensions
            self.countsPeople = countsPeople
            self.empty = empty
        }
    }

    /// Cohorts that share nobody (`parts`, ascending), all within `whole`: together they
    /// count at most what it counts, at every category all of them are cut by.
    public struct Bound: Sendable, Hashable {
        public var parts: [Int]
        public var whole: Int
    }

    /// Every bound the relations imply between cohorts counting people, outermost whole
    /// first: the order in which ``agree(_:cohorts:relations:)`` applies them.
    ///
    /// Lying within is closed under transitivity, and two cohorts share nobody when any
    /// cohorts containing them (or they themselves) do. Cohorts with the same people (each
    /// within the other) count the later within the earlier.
    public static func bounds(cohorts: [Cohort], relations: CohortRelations) -> [Bound] {
        let n = cohorts.count
        let outer = relations.containing(count: n)
        func strictlyWithin(_ a: Int, _ b: Int) -> Bool { CohortRelations.strictlyWithin(a, b, outer) }
        let apart = relations.disjointBothWays
        // Cohorts within two that share nobody share nobody either.
        var disjoint = Set<CohortRelations.Pair>()
        for a in 0..<n {
            for b in 0..<n where a != b {
                let (upA, upB) = (outer[a].union([a]), outer[b].union([b]))
                if upA.contains(where: { x in upB.contains { apart.contains(.init(x, $0)) } }) { disjoint.insert(.init(a, b)) }
            }
        }
        let depth = (0..<n).map { a in (0..<n).filter { strictlyWithin(a, $0) }.count }
        var result: [Bound] = []
        for whole in (0..<n).sorted(by: { (depth[$0], $0) < (depth[$1], $1) }) where cohorts[whole].countsPeople {
            let inner = (0..<n).filter { cohorts[$0].countsPeople && strictlyWithin($0, whole) }
            let dims = Set(cohorts[whole].dimensions)
            var seen = Set<[Int]>()
            for clique in CohortLayout.largestSetsApart(inner, apart: { disjoint.contains(.init($0, $1)) }) {
                // A bound at the categories all of a set are cut by says nothing finer of
                // fewer of them: every intersection of members' categories bounds the members
                // cut by it, finest first.
                var categories = Set(clique.map { dims.intersection(cohorts[$0].dimensions) })
                var grown = true
                while grown {
                    let meets = Set(categories.flatMap { a in categories.map { a.intersection($0) } })
                    grown = meets.count > categories.count
                    categories = meets
                }
                let cuts = categories.map { $0.sorted() }.sorted { a, b in a.count != b.count ? a.count > b.count : a.lexicographicallyPrecedes(b) }
                for cut in cuts {
                    let parts = clique.filter { Set(cohorts[$0].dimensions).isSuperset(of: cut) }
                    if seen.insert(parts).inserted { result.append(Bound(parts: parts, whole: whole)) }
                }
            }
        }
        return result
    }

    /// Puts the tables right; returns whether any figure moved.
    ///
    /// - Parameter values: per cohort, every cell of its `shape` (margins included, each the
    ///   sum of its children), none negative. Tables of sums are left as they are.
    @discardableResult
    public static func agree(_ values: inout [[Int64]], cohorts: [Cohort], relations: CohortRelations) -> Bool {
        precondition(values.count == cohorts.count, "one table per cohort")
        var inner = cohorts.indices.map { c in
            precondition(values[c].count == cohorts[c].shape.cellCount, "one figure per cell of the table")
            return cohorts[c].shape.innerToFull().map { values[c][$0] }
        }
        var moved = Array(repeating: false, count: cohorts.count)
        // Where a filter leaves nobody, nobody is counted.
        for (c, cohort) in cohorts.enumerated() where cohort.countsPeople && !cohort.empty.isEmpty {
            for (k, d) in cohort.dimensions.enumerated() {
                guard let leaves = cohort.empty[d], !leaves.isEmpty else { continue }
                for i in inner[c].indices where inner[c][i] != 0 && leaves.contains(leafPosition(cohort.shape, k, i)) {
                    inner[c][i] = 0
                    moved[c] = true
                }
            }
        }
        for bound in bounds(cohorts: cohorts, relations: relations) {
            let whole = cohorts[bound.whole]
            // The categories every cohort of the bound is cut by.
            let common = bound.parts.reduce(Set(whole.dimensions)) { $0.intersection(cohorts[$1].dimensions) }.sorted()
            let leafCounts = common.map { d in whole.shape.dimensions[whole.dimensions.firstIndex(of: d)!].leafCount }
            var positions: [Int: [Int]] = [:]
            for c in bound.parts + [bound.whole] { positions[c] = common.map { cohorts[c].dimensions.firstIndex(of: $0)! } }
            func key(_ c: Int, _ i: Int) -> Int {
                var key = 0
                for (j, k) in positions[c]!.enumerated() { key = key * leafCounts[j] + leafPosition(cohorts[c].shape, k, i) }
                return key
            }
            let keys = leafCounts.reduce(1, *)
            var limit = [Int64](repeating: 0, count: keys)
            for i in inner[bound.whole].indices { limit[key(bound.whole, i)] += inner[bound.whole][i] }
            var cells = [[(cohort: Int, cell: Int)]](repeating: [], count: keys)
            var total = [Int64](repeating: 0, count: keys)
            for c in bound.parts {
                for i in inner[c].indices {
                    let k = key(c, i)
                    cells[k].append((c, i))
                    total[k] += inner[c][i]
                }
            }
            for k in 0..<keys where total[k] > limit[k] {
                let lowered = waterFill(cells[k].map { inner[$0.cohort][$0.cell] }, to: limit[k])
                for (j, cell) in cells[k].enumerated() where inner[cell.cohort][cell.cell] != lowered[j] {
                    inner[cell.cohort][cell.cell] = lowered[j]
                    moved[cell.cohort] = true
                }
            }
        }
        for c in cohorts.indices where moved[c] {
            let shape = cohorts[c].shape
            var full = [Int64](repeating: 0, count: shape.cellCount)
            for (i, f) in shape.innerToFull().enumerated() { full[f] = inner[c][i] }
            shape.rollUp { full[$0] += full[$1] }
            values[c] = full
        }
        return moved.contains(true)
    }

    /// The leaf (its position among the dimension's leaves) of inner cell `i` in dimension `k`.
    static func leafPosition(_ shape: TableShape, _ k: Int, _ i: Int) -> Int {
        (i / shape.innerStrides[k]) % shape.dimensions[k].leafCount
    }

    /// Whole numbers, none negative, summing to `target` (at most the sum of `values`, none
    /// of which is negative), each `values[j]` lowered by the same amount θ or to 0: the
    /// nearest such point in least squares, with θ's fraction given to the largest values
    /// (then the first) so the result is whole.
    static func waterFill(_ values: [Int64], to target: Int64) -> [Int64] {
        precondition(target >= 0 && values.allSatisfy { $0 >= 0 })
        func kept(_ theta: Int64) -> Int64 { values.reduce(0) { $0 + max($1 - theta, 0) } }
        // The least whole θ keeping at most `target`.
        var (lo, hi) = (Int64(0), values.max() ?? 0)
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if kept(mid) <= target { hi = mid } else { lo = mid + 1 }
        }
        var result = values.map { max($0 - lo, 0) }
        var missing = target - kept(lo)
        // θ − 1 keeps more than the target: give one back to enough of the cells θ lowered.
        let order = values.indices.filter { values[$0] - lo >= 0 && values[$0] > 0 && lo > 0 }
            .sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        for j in order where missing > 0 {
            result[j] += 1
            missing -= 1
        }
        return result
    }
}
