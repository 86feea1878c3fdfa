/// A sensitive cell that no pattern of suppressions can protect: a global cell, or an
/// implied group (an item at or past ``CohortLayout/cellCount``).
public struct SuppressionFailure: Error, Sendable, Hashable {
    public var cell: Int
}

/// What a release must protect, over every cohort table of a set of linked cohorts (a
/// ``CohortLayout``): the true values, which cells some table publishes, the statuses after
/// the primary rules, and what each sensitive *item* requires.
///
/// An item is a global cell of the layout (numbers below ``CohortLayout/cellCount``), or an
/// implied group, a group of people an attacker can count by subtracting published figures
/// (numbers from ``CohortLayout/cellCount`` on, in the order of ``groups``). Groups get the
/// frequency and zero rules like any count.
public struct SuppressionProblem: Sendable {
    public var layout: CohortLayout
    /// Per block, its true values.
    public var tables: [AggregatedTable]
    /// Per global cell, whether some table publishes it (the others are never published,
    /// and are free to differ in a witness).
    public var published: [Bool]
    /// Per global cell.
    public var statuses: [CellStatus]
    /// The groups an attacker can count by subtraction among published cells.
    public var groups: [ImpliedGroup]
    /// Per group, the number of people in it.
    public var groupCounts: [Int64]
    /// Per group, the rules it fails.
    public var groupFailures: [PrimaryRuleSet]
    /// The sensitive items and their requirements.
    public var requirements: [Int: ProtectionRequirement]
    /// Counts the release shows to lie within bounds although they are withheld (small
    /// counts shown as "fewer than 5"): every witness must keep them there.
    public var countBounds: [Int: CellBounds]
    /// Per global cell, whether an earlier release fixed its status (empty: none did): a
    /// cell it withheld stays withheld, and one it published stays published, so that no
    /// witness may move it (see ``keep(_:withheld:)``).
    public private(set) var kept: [Bool] = []
    /// Per global cell, whether the previous release of the same figures withheld it (empty:
    /// there was none): withholding it again costs less (see ``prefer(_:)``).
    public private(set) var preferred: [Bool] = []
    /// Requirements that serve instead of an item's first one when that cannot be met: a
    /// small count shown as such must not be told exactly, one above or one below.
    public var alternatives: [Int: ProtectionRequirement] = [:]
    /// Per block, the least count anyone can tell a withheld published cell has (other than
    /// one with its own `countBounds`): 1 where zeros are published, since an empty cell is
    /// then never withheld; the first count that is not small where small counts are shown
    /// as such; 0 where zeros may be withheld. Every witness keeps non-empty published cells
    /// at least this large.
    public var leastWithheld: [Int64]
    /// The rounding the release applies to published counts: a certificate may move a
    /// published count within what its rounded figure will tell, and leave it published.
    public var rounding: RoundedFigureRules?
    /// Per global cell, whether the rounding's levels reach it (nil: every cell).
    public var roundingScope: [Bool]?
    /// Per family of the layout, per cell of its shape, the true complement.
    public let complements: [[Int64]]
    /// Per global cell, the number of people (the contributors of a magnitude cell).
    public let counts: [Int64]

    /// A problem from its parts; statuses, requirements and bounds are per global cell.
    public init(
        layout: CohortLayout, tables: [AggregatedTable], published: [Bool], statuses: [CellStatus], groups: [ImpliedGroup] = [],
        requirements: [Int: ProtectionRequirement], countBounds: [Int: CellBounds] = [:], leastWithheld: [Int64]? = nil
    ) {
        precondition(tables.count == layout.blocks.count && published.count == layout.cellCount && statuses.count == layout.cellCount)
        for (b, t) in tables.enumerated() {
            precondition(t.shape.dimensions.map(\.codes) == layout.blocks[b].shape.dimensions.map(\.codes), "block \(b) has the wrong shape")
        }
        self.layout = layout
        self.tables = tables
        self.published = published
        self.statuses = statuses
        self.groups = groups
        self.requirements = requirements
        self.countBounds = countBounds
        self.leastWithheld = leastWithheld ?? [Int64](repeating: 0, count: tables.count)
        var counts: [Int64] = []
        counts.reserveCapacity(layout.cellCount)
        for t in tables { for c in 0..<t.shape.cellCount { counts.append(t.contributors(c)) } }
        self.counts = counts
        complements = layout.complements(counts: counts)
        groupCounts = groups.map { g in g.terms.reduce(0) { $0 + Int64($1.sign) * counts[$1.cell] } }
        groupFailures = groups.map { _ in [] }
    }

    /// One table on its own (no other cohort relates to it).
    public init(
        table: AggregatedTable, published: [Bool], statuses: [CellStatus], requirements: [Int: ProtectionRequirement],
        countBounds: [Int: CellBounds] = [:], withheldCountsAtLeast: Int64 = 0
    ) {
        self.init(
            layout: Self.single(table), tables: [table], published: published, statuses: statuses, requirements: requirements,
            countBounds: countBounds, leastWithheld: [withheldCountsAtLeast])
    }

    /// Applies the primary rules to one table on its own; with `rounding`, the rounding the
    /// release will apply to its published counts.
    public init(
        table: AggregatedTable, published: [Bool], primary: PrimaryPolicy, secondary: SecondaryPolicy, rounding: RoundedFigureRules? = nil
    ) {
        self.init(layout: Self.single(table), tables: [table], published: published, primary: primary, secondary: secondary, rounding: rounding)
    }

    /// The layout of one table with no relations.
    static func single(_ table: AggregatedTable) -> CohortLayout {
        CohortLayout(
            dimensions: table.shape.dimensions, cohorts: [(published: Array(table.shape.dimensions.indices), measure: table.measure)],
            relations: CohortRelations())
    }

    /// Applies the primary rules to every published cell of every block and to every group
    /// an attacker can count by subtraction among them.
    ///
    /// - Parameters:
    ///   - published: per global cell, whether some table publishes it.
    ///   - rounding: the rounding the release will apply to published counts.
    ///   - showsSmall: per block, whether its small counts are shown as such where the policy
    ///     says so (``FrequencyProtection/band``); nil: every count table's are.
    public init(
        layout: CohortLayout, tables: [AggregatedTable], published: [Bool], primary: PrimaryPolicy, secondary: SecondaryPolicy,
        rounding: RoundedFigureRules? = nil, showsSmall: [Bool]? = nil
    ) {
        var statuses = [CellStatus](repeating: .published, count: layout.cellCount)
        var requirements: [Int: ProtectionRequirement] = [:]
        var countBounds: [Int: CellBounds] = [:]
        var alternatives: [Int: ProtectionRequirement] = [:]
        var least: [Int64] = []
        for (b, table) in tables.enumerated() {
            // Small counts shown as such apply to count tables; elsewhere they are withheld
            // like any other cell, and need to reach the threshold.
            let band = secondary.frequency == .band && !table.measure.isMagnitude && showsSmall?[b] ?? true
            var own = secondary
            if secondary.frequency == .band && !band { own.frequency = .reachThreshold }
            let frequency = own.frequency
            let atLeast = Self.withheldCountsAtLeast(primary: primary, secondary: own, measure: table.measure)
            least.append(atLeast)
            for cell in 0..<table.shape.cellCount where published[layout.global(b, cell)] {
                let failed = primary.failures(of: table, cell: cell)
                guard !failed.isEmpty else { continue }
                let g = layout.global(b, cell)
                statuses[g] = CellStatus(disposition: .primary, failed: failed)
                var r = primary.requirement(for: table, cell: cell, failed: failed, frequency: frequency)
                // Nobody can be led to think a withheld count is below what the release tells.
                if !band || !ProtectedTable.showsAsSmall(statuses[g], measure: table.measure) {
                    r.countDown = min(r.countDown, max(0, table.contributors(cell) - atLeast))
                }
                requirements[g] = r
                if band, let rule = primary.frequency, ProtectedTable.showsAsSmall(statuses[g], measure: table.measure) {
                    let n = table.contributors(cell)
                    countBounds[g] = CellBounds(lower: 1, upper: FrequencyProtection.largestSmall(rule))
                    if n > 1 && n < FrequencyProtection.largestSmall(rule) { alternatives[g] = ProtectionRequirement(countDown: 1) }
                }
            }
        }
        self.init(
            layout: layout, tables: tables, published: published, statuses: statuses, groups: layout.groups(published: published),
            requirements: requirements, countBounds: countBounds, leastWithheld: least)
        // Groups: counts of people, judged like any count; they may be empty, so nothing
        // below 0 is told.
        for (k, n) in groupCounts.enumerated() {
            let failed = primary.failures(count: n)
            groupFailures[k] = failed
            guard !failed.isEmpty else { continue }
            var r = primary.requirement(count: n, failed: failed, frequency: secondary.frequency)
            r.countDown = min(r.countDown, n)
            if !r.isEmpty { self.requirements[layout.cellCount + k] = r }
        }
        self.alternatives = alternatives
        if let rounding {
            self.rounding = rounding
            var scope: [Bool]?
            for (b, block) in layout.blocks.enumerated() {
                guard let levels = rounding.policy.levelScope(block.shape) else { continue }
                if scope == nil { scope = [Bool](repeating: true, count: layout.cellCount) }
                for c in 0..<block.shape.cellCount { scope![layout.global(b, c)] = levels[c] }
            }
            roundingScope = scope
        }
    }

    /// The least count a withheld cell can be told to have under a policy (see
    /// ``leastWithheld``).
    public static func withheldCountsAtLeast(primary: PrimaryPolicy, secondary: SecondaryPolicy, measure: Measure) -> Int64 {
        guard primary.zeros == .publish else { return 0 }
        if secondary.frequency == .band && !measure.isMagnitude, let rule = primary.frequency { return FrequencyProtection.largestSmall(rule) + 1 }
        return 1
    }

    // MARK: - One table's view (a layout of one block)

    /// The only table of a problem about one table.
    public var table: AggregatedTable { tables[0] }
    /// The least count of a withheld cell in the first block (see ``leastWithheld``).
    public var withheldCountsAtLeast: Int64 { leastWithheld[0] }

    // MARK: - Items and cells

    /// Whether an item is an implied group.
    public func isGroup(_ item: Int) -> Bool { item >= layout.cellCount }

    /// The global cells whose changes move an item, each with its sign.
    public func terms(of item: Int) -> [(cell: Int, sign: Int8)] {
        isGroup(item) ? groups[item - layout.cellCount].terms : [(cell: item, sign: Int8(1))]
    }

    /// The number of people an item counts.
    public func count(of item: Int) -> Int64 { isGroup(item) ? groupCounts[item - layout.cellCount] : counts[item] }

    /// Whether a global cell belongs to a magnitude table.
    public func isMagnitude(_ g: Int) -> Bool { tables[layout.local(g).block].measure.isMagnitude }

    /// The true value of a global cell (the sum of a magnitude cell).
    public func value(_ g: Int) -> Int64 {
        let (b, c) = layout.local(g)
        return tables[b].values[c]
    }

    /// Whether the one person of cell `c` is the one person of a group. Where the group's
    /// larger cohort has one person at the group's categories, that person is the group's,
    /// and `c` shares it as it would share any cell's lone contributor. Otherwise `c` must
    /// be a cell of the larger cohort with someone at categories, within the group's and
    /// its own (or below them), where the subtracted cohorts have nobody.
    func lonePersonIsTheGroup(_ c: Int, _ item: Int) -> Bool {
        let group = groups[item - layout.cellCount]
        guard counts[c] == 1, count(of: item) == 1 else { return false }
        if counts[group.plus] == 1 { return sameLoneContributor(c, group.plus) }
        let (b, local) = layout.local(c)
        let (plusBlock, plusCell) = layout.local(group.plus)
        let minus = group.minus.map { layout.local($0).block }
        /// The most people of the subtracted cohorts at a cell's categories.
        func subtracted(_ m: Int, of block: Int) -> Int64 { minus.reduce(0) { $0 + tables[$1].contributors(layout.project(m, of: block, to: $1)) } }
        // Someone where the cell meets the added one (the cell's only person, then) and
        // nobody of a subtracted cohort at those categories: that person is the group's.
        if b == plusBlock, let top = tables[b].shape.meet(local, plusCell), let below = cells(below: top, in: b, refining: { _ in true }),
            below.contains(where: { tables[b].contributors($0) > 0 && subtracted($0, of: b) == 0 })
        {
            return true
        }
        // Or the group's person at categories within the cell's (the added cohort has more
        // people there than the subtracted ones), where the cell's cohort holds the added one.
        guard b == plusBlock || layout.relations.within.contains(CohortRelations.Pair(plusBlock, b)),
            let below = cells(below: plusCell, in: plusBlock, refining: { _ in true })
        else { return false }
        return below.contains { m in
            guard tables[plusBlock].contributors(m) > subtracted(m, of: plusBlock), let mb = layout.cell(m, of: plusBlock, in: b) else { return false }
            return tables[b].shape.meet(mb, local) == mb
        }
    }

    /// How far a published count may move, down and up, and still agree with the rounded
    /// figure the release will show for it (whichever figure the rounding draws); nil where
    /// it will not be rounded.
    public func roundingSlack(_ g: Int) -> (down: Int64, up: Int64)? {
        guard let rounding, published[g], roundingScope?[g] ?? true, !isMagnitude(g) else { return nil }
        let x = counts[g]
        let b = rounding.whateverTheFigure(x)
        return (x - (b.lower ?? 0), (b.upper ?? .max) - x)
    }

    /// Fixes a published cell's status as an earlier release, still published, shows it:
    /// withheld, or published (no witness may then move it, and no pattern withhold it).
    /// The earlier release counted the same people under the same rules, so a cell it
    /// published is not sensitive here either.
    public mutating func keep(_ g: Int, withheld: Bool) {
        if kept.isEmpty { kept = [Bool](repeating: false, count: layout.cellCount) }
        kept[g] = true
        if withheld && !statuses[g].disposition.isWithheld { statuses[g].disposition = .secondary }
    }

    /// Marks a cell the previous release of the same figures withheld: the secondary
    /// suppression withholds it again where that costs little (at
    /// ``SecondarySuppressor/carriedForwardCost`` of its cost), so that a reader comparing
    /// the two releases sees the same cells withheld where the data allow, and cannot guess
    /// a cell withheld now from its figure last time, or the reverse.
    public mutating func prefer(_ g: Int) {
        if preferred.isEmpty { preferred = [Bool](repeating: false, count: layout.cellCount) }
        preferred[g] = true
    }

    /// What the release tells of a cell's count should it be withheld, if anything.
    public func knownCount(_ g: Int) -> CellBounds? {
        if let b = countBounds[g] { return b }
        let least = leastWithheld[layout.local(g).block]
        guard least > 0, published[g], counts[g] > 0 else { return nil }
        return CellBounds(lower: least)
    }

    /// Whether two cells with one person each hold the same person: in one table, their
    /// cells overlap in a cell with someone in it; across two cohorts one within the other,
    /// some cohort between them (either included) has that inner person alone at the inner
    /// cell's categories, and someone where those meet the outer cell's (so the inner person
    /// is in the outer cell, whose only person it is). Failing that, some cell of a cohort
    /// between, below the inner cell's categories in the dimensions the inner cohort keeps,
    /// holds one person, someone where it meets the outer cell, and someone of the inner
    /// cohort: that one person is then both (the outer cell's person is there, and so is
    /// the inner cell's).
    public func sameLoneContributor(_ a: Int, _ b: Int) -> Bool {
        if isGroup(b) { return lonePersonIsTheGroup(a, b) }
        guard counts[a] == 1 && counts[b] == 1 else { return false }
        let (ba, ca) = layout.local(a)
        let (bb, cb) = layout.local(b)
        if ba == bb { return tables[ba].sameLoneContributor(ca, cb) }
        let within = Set(layout.relations.within)
        func lies(_ x: Int, _ y: Int) -> Bool { x == y || within.contains(CohortRelations.Pair(x, y)) }
        for (inner, outer, ci, co) in [(ba, bb, ca, cb), (bb, ba, cb, ca)] where lies(inner, outer) {
            for x in tables.indices where lies(inner, x) && lies(x, outer) {
                let px = layout.project(ci, of: inner, to: x)
                guard tables[x].contributors(px) == 1, let cx = layout.cell(co, of: outer, in: x), let meet = tables[x].shape.meet(px, cx) else { continue }
                if tables[x].contributors(meet) > 0 { return true }
            }
        }
        for (inner, outer, ci, co) in [(ba, bb, ca, cb), (bb, ba, cb, ca)] where lies(inner, outer) {
            for x in tables.indices where lies(inner, x) && lies(x, outer) {
                guard let cx = layout.cell(co, of: outer, in: x) else { continue }
                if loneBelow(ci, of: inner, in: x, meeting: cx) { return true }
            }
        }
        return false
    }

    /// The most cells ``cells(below:in:refining:)`` gives.
    static let loneSearchCells = 4_096

    /// The cells of block `x` whose category in each dimension `refining` accepts is the
    /// cell's or a descendant of it (the same as the cell's elsewhere); nil where there are
    /// more than ``loneSearchCells``.
    func cells(below cell: Int, in x: Int, refining: (Int) -> Bool) -> [Int]? {
        let shape = tables[x].shape
        var result = [0]
        for (k, node) in shape.nodes(of: cell).enumerated() {
            let d = layout.blocks[x].dimensions[k]
            var below = [node]
            if refining(d) {
                var i = 0
                while i < below.count {
                    below += layout.dimensions[d].children[below[i]]
                    i += 1
                }
            }
            guard result.count * below.count <= Self.loneSearchCells else { return nil }
            result = result.flatMap { c in below.map { c + $0 * shape.strides[k] } }
        }
        return result
    }

    /// Whether some cell of block `x` (a cohort within which block `inner` lies) below the
    /// categories of `inner`'s cell `ci` (or their descendants, in the dimensions `inner`
    /// keeps; totals elsewhere) has one person, someone where it meets `x`'s cell `outer`,
    /// and someone of `inner` where its categories meet `ci`.
    func loneBelow(_ ci: Int, of inner: Int, in x: Int, meeting outer: Int) -> Bool {
        let kept = Set(layout.blocks[inner].dimensions)
        guard let candidates = cells(below: layout.project(ci, of: inner, to: x), in: x, refining: kept.contains) else { return false }
        let shape = tables[x].shape
        return candidates.contains { m in
            guard tables[x].contributors(m) == 1, let meet = shape.meet(m, outer), tables[x].contributors(meet) > 0,
                let mi = layout.cell(m, of: x, in: inner), let both = tables[inner].shape.meet(mi, ci)
            else { return false }
            return tables[inner].contributors(both) > 0
        }
    }
}
