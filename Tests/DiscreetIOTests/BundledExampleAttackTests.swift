import DiscreetCore
import DiscreetTestSupport
import Foundation
import Testing
@testable import DiscreetIO

/// The bundled example, protected under the default spec and every preset, then attacked
/// from its written release.json by the atom attacker of the tests (not the production
/// audit): no group counted by subtraction (a denominator minus its numerator, a cohort
/// minus one within it, a cohort minus every part of a split) that holds 1 to 4 people (1
/// to the largest small count) is pinned down, and where the rules protect small counts by
/// their threshold, none is even known to be small.
///
/// The attacker solves, for each group, the hidden table of the cohorts that bear on it:
/// the cohorts containing the larger one, and those within it that contain, lie within or
/// share nobody with a subtracted one, as every set of them a person can be in by the
/// categories those below the larger one are broken down by. (What the larger cohort's
/// other tables say, by categories none of these uses, constrains them only through their
/// shared margins, which the attacker has.)
@Suite struct BundledExampleAttackTests {
    struct Release {
        var dimensions: [TableDimension]
        var cohorts: [String]
        var published: [[Int]]
        var within: Set<[Int]>
        var disjoint: Set<[Int]>
        var families: [(parent: Int, parts: [Int])]
        /// Categories (dimension, leaf) where a cohort, or a family's rest, holds nobody.
        var empty: [Int: [(dimension: Int, leaf: Int)]]
        var restEmpty: [[Int]: [(dimension: Int, leaf: Int)]]
        /// Per cohort, per published cell (nodes over every dimension): what the release
        /// says (lower, upper; upper nil when unbounded).
        var figures: [[[Int]: (lower: Int64, upper: Int64?)]]
    }

    /// Reads release.json as any JSON reader would.
    static func read(_ directory: String) throws -> Release {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/release.json"))) as! [String: Any]
        var dims: [TableDimension] = []
        for d in root["dimensions"] as! [[String: Any]] {
            let total = d["total"] as! String
            let entries = (d["categories"] as! [[String: Any]]).compactMap { c -> HierarchyEntry? in
                let code = c["code"] as! String
                guard code != total else { return nil }
                let parent = c["parent"] as? String
                return HierarchyEntry(code: code, parent: parent == total ? nil : parent)
            }
            dims.append(try TableDimension.build(name: d["name"] as! String, total: total, entries: entries))
        }
        let cohorts = (root["cohorts"] as! [[String: Any]])
        let ids = cohorts.map { $0["id"] as! String }
        func index(_ id: String) -> Int { ids.firstIndex(of: id)! }
        func dimension(_ name: String) -> Int { dims.firstIndex { $0.name == name }! }
        var release = Release(
            dimensions: dims, cohorts: ids, published: cohorts.map { ($0["dimensions"] as! [String]).map(dimension).sorted() },
            within: [], disjoint: [], families: [], empty: [:], restEmpty: [:], figures: ids.map { _ in [:] })
        func facts(_ list: Any?) -> [(dimension: Int, leaf: Int)] {
            ((list as? [[String: Any]]) ?? []).flatMap { entry in
                let d = dimension(entry["dimension"] as! String)
                return (entry["categories"] as! [String]).map { (d, dims[d].node($0)!) }
            }
        }
        for (k, c) in cohorts.enumerated() { release.empty[k] = facts(c["empty"]) }
        // (A release of version 0.3 states no relations.)
        for (k, c) in cohorts.enumerated() { for outer in c["within"] as? [String] ?? [] { release.within.insert([k, index(outer)]) } }
        for pair in root["disjoint"] as? [[String]] ?? [] { release.disjoint.insert([index(pair[0]), index(pair[1])].sorted()) }
        for f in root["families"] as? [[String: Any]] ?? [] {
            let family = (index(f["cohort"] as! String), (f["parts"] as! [String]).map(index))
            release.families.append(family)
            release.restEmpty[[family.0] + family.1.sorted()] = facts(f["rest_empty"])
        }
        func record(_ cohort: Int, _ cell: [String: Any], _ key: String, _ boundsKey: String) {
            let nodes = dims.map { d in (cell[d.name] as? String).map { d.node($0)! } ?? d.total }
            if let bounds = cell[boundsKey] as? [Any] {
                release.figures[cohort][nodes] = ((bounds[0] as! NSNumber).int64Value, (bounds[1] as? NSNumber)?.int64Value)
            } else if let v = cell[key] as? NSNumber {
                release.figures[cohort][nodes] = (v.int64Value, v.int64Value)
            } else {
                release.figures[cohort][nodes] = (0, nil)
            }
        }
        for t in root["tables"] as! [[String: Any]] {
            let c = index(t["cohort"] as! String)
            // Contributor counts of a magnitude table are its cohort's counts.
            let key = t["measure"] as! String == "sum" ? "contributors" : "value"
            for cell in t["cells"] as! [[String: Any]] { record(c, cell, key, key == "value" ? "bounds" : "-") }
        }
        for i in root["indicators"] as! [[String: Any]] {
            for part in ["numerator", "denominator"] {
                let c = index(i["\(part)_cohort"] as! String)
                for cell in i["cells"] as! [[String: Any]] { record(c, cell, part, "\(part)_bounds") }
            }
        }
        return release
    }

    /// The interval of a group for an attacker who knows the release and how its cohorts
    /// relate.
    static func attack(_ r: Release, plus: Int, minus: [Int], at nodes: [Int]) -> (lower: Rational, upper: Rational?)? {
        func isWithin(_ a: Int, _ b: Int) -> Bool { a == b || r.within.contains([a, b]) }
        func apart(_ a: Int, _ b: Int) -> Bool { r.disjoint.contains([a, b].sorted()) }
        let n = r.cohorts.count
        var chain = (0..<n).filter { isWithin(plus, $0) }
        for c in 0..<n where !chain.contains(c) && isWithin(c, plus) {
            if minus.contains(where: { isWithin(c, $0) || isWithin($0, c) || apart(c, $0) }) { chain.append(c) }
        }
        // Categories: those the cohorts below the larger one use, and the group's own, and
        // those where the filters leave a cohort or a family's rest empty.
        var grid = Set((0..<r.dimensions.count).filter { nodes[$0] != r.dimensions[$0].total })
        for c in chain where c != plus && isWithin(c, plus) { grid.formUnion(r.published[c]) }
        for c in chain { for fact in r.empty[c] ?? [] { grid.insert(fact.dimension) } }
        let families = r.families.filter { f in chain.contains(f.parent) && f.parts.allSatisfy(chain.contains) }
        for f in families { for fact in r.restEmpty[[f.parent] + f.parts.sorted()] ?? [] { grid.insert(fact.dimension) } }
        let dims = grid.sorted()
        // Every set of the chain's cohorts a person can be in.
        var atoms: [Set<Int>] = []
        for mask in 1..<(1 << chain.count) {
            let atom = Set(chain.indices.filter { mask & (1 << $0) != 0 }.map { chain[$0] })
            if atom.contains(where: { a in chain.contains { b in isWithin(a, b) && !atom.contains(b) } }) { continue }
            if atom.contains(where: { a in atom.contains { b in apart(a, b) } }) { continue }
            atoms.append(atom)
        }
        var attacker = AtomAttacker(dimensions: dims.map { r.dimensions[$0] }, atoms: atoms)
        for c in chain {
            for (cellNodes, figure) in r.figures[c] {
                guard cellNodes.indices.allSatisfy({ grid.contains($0) || cellNodes[$0] == r.dimensions[$0].total }) else { continue }
                attacker.know(attacker.form(cohort: c, nodes: dims.map { cellNodes[$0] }), lower: figure.lower, upper: figure.upper)
            }
        }
        // What the filters say: nobody there.
        func at(_ d: Int, _ leaf: Int) -> [Int] { dims.map { $0 == d ? leaf : r.dimensions[$0].total } }
        for c in chain { for fact in r.empty[c] ?? [] { attacker.know(attacker.form(cohort: c, nodes: at(fact.dimension, fact.leaf)), lower: 0, upper: 0) } }
        for f in families {
            for fact in r.restEmpty[[f.parent] + f.parts.sorted()] ?? [] {
                attacker.know(attacker.form(plus: f.parent, minus: f.parts, nodes: at(fact.dimension, fact.leaf)), lower: 0, upper: 0)
            }
        }
        return attacker.interval(attacker.form(plus: plus, minus: minus, nodes: dims.map { nodes[$0] }))
    }

    /// Protects the example under a spec or preset into a temporary directory.
    static func protect(_ spec: String) throws -> (dir: TemporaryDirectory, out: String, made: ProtectedRelease) {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        let plan = try ReleasePipeline.plan(specPath: PresetReleaseTests.root + "/fixtures/transitions/\(spec).yaml")
        let made = try ReleasePipeline.protect(
            plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop, temporaryDirectory: dir.path),
            destination: ReleaseDirectory(path: out, overwrite: false))
        return (dir, out, made)
    }

    @Test(arguments: ["spec", "preset-nhs", "preset-dfe", "preset-ofqual", "preset-ons-srs"])
    func noGroupIsPinnedToASmallCount(spec: String) throws {
        let (dir, out, made) = try Self.protect(spec)
        _ = dir
        let release = try Self.read(out)
        // The filters say: nobody aged 18 or over is in the 14-17 band, and everyone in
        // transition in the 18-25 band is aged 18 or over.
        let adults = made.plan.cohorts.firstIndex { $0.label == "employed_16_hours.denominator" }!
        let band = release.dimensions.firstIndex { $0.name == "age_band" }!
        #expect(release.empty[adults]!.contains { $0.dimension == band && release.dimensions[band].codes[$0.leaf] == "14-17" })
        #expect(release.restEmpty.contains { key, facts in key == [0, adults] && facts.contains { release.dimensions[band].codes[$0.leaf] == "18-25" } })
        let found = Self.attackEverySmallGroup(release, made: made, spec: spec)
        #expect(found.attacked > 10)
        #expect(found.problems == [])
    }

    /// Negative control: the release version 0.3.0 made of the example (each cohort
    /// protected alone), read with the relations its spec implies, gives groups away.
    @Test func theAttackFindsWhatVersion0_3Published() throws {
        let (dir, out, made) = try Self.protect("spec")
        _ = dir
        var old = try Self.read(PresetReleaseTests.root + "/fixtures/releases/transitions-0.3.0")
        let now = try Self.read(out)
        #expect(old.cohorts == now.cohorts && old.published == now.published)
        old.within = now.within
        old.disjoint = now.disjoint
        old.families = now.families
        old.empty = now.empty
        old.restEmpty = now.restEmpty
        let found = Self.attackEverySmallGroup(old, made: made, spec: "0.3.0")
        #expect(found.problems.filter { $0.hasSuffix("is pinned") }.count >= 10)
    }

    /// Attacks every group of 1 to the largest small count; returns how many, and each
    /// that is pinned (or known to be small where the rules protect small counts so).
    static func attackEverySmallGroup(_ release: Release, made: ProtectedRelease, spec: String) -> (attacked: Int, problems: [String]) {
        let plan = made.plan
        // The relations hold in the data.
        let truth = made.ingest.cohorts
        let layout = made.layout
        func count(_ c: Int, _ nodes: [Int]) -> Int64 {
            let block = layout.blocks[c]
            return truth[c].contributors(block.shape.cell(block.dimensions.map { nodes[$0] }))
        }
        let rule = plan.spec.protection.primary.frequency!
        let small = 1...FrequencyProtection.largestSmall(rule)
        let byThreshold = plan.spec.protection.secondary.frequency == .reachThreshold
        // The groups: pairs one within the other, and families of several parts.
        var groups: [(plus: Int, minus: [Int])] = release.within.map { ($0[1], [$0[0]]) }
        groups += release.families.filter { $0.parts.count > 1 }.map { ($0.parent, $0.parts) }
        var attacked = 0
        var problems: [String] = []
        for (plus, minus) in groups.sorted(by: { ([$0.plus] + $0.minus).lexicographicallyPrecedes([$1.plus] + $1.minus) }) {
            for nodes in release.figures[plus].keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where minus.allSatisfy({ release.figures[$0][nodes] != nil }) {
                let value = count(plus, nodes) - minus.reduce(0) { $0 + count($1, nodes) }
                let what = "\(spec): cohort \(release.cohorts[plus]) minus \(minus.map { release.cohorts[$0] }) at \(nodes) (\(value) people)"
                if value < 0 { problems.append("\(what) is negative in the data") }
                guard small.contains(value) else { continue }
                attacked += 1
                guard let interval = attack(release, plus: plus, minus: minus, at: nodes) else {
                    problems.append("\(what): no hidden table fits the release")
                    continue
                }
                if interval.upper == interval.lower {
                    problems.append("\(what) is pinned")
                } else if byThreshold, let upper = interval.upper, upper <= Rational(small.upperBound) && interval.lower >= Rational(1) {
                    problems.append("\(what) is known to be small")
                }
            }
        }
        return (attacked, problems)
    }
}
