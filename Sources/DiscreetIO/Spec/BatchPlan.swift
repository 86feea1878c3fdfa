import DiscreetCore

/// A partner of a batch: everyone whose rows come from its extracts.
public struct BatchPartner: Sendable, Hashable {
    /// The name the spec gives it (the `partner` of its inputs), or its file's name.
    public var name: String
    /// A short name for directories and messages: the name in lower case, letters and
    /// digits kept, every other run of characters one hyphen.
    public var key: String
    /// Its inputs (indices into the spec's `inputs`).
    public var inputs: [Int]
}

/// One release of a batch and the tables and indicators of the joint plan it publishes.
public struct BatchRelease: Sendable {
    /// nil for the combined dashboard; otherwise the partner (an index into ``BatchPlan/partners``).
    public var partner: Int?
    /// The directory name: `combined`, or the partner's key.
    public var key: String
    /// The joint plan's tables it publishes, in the spec's order (indices into the plan's tables).
    public var tables: [Int]
    /// The joint plan's indicators it publishes, in the spec's order.
    public var indicators: [Int]
}

/// Every release of a batch as one plan: the combined dashboard over all partners, and each
/// partner's own tables and indicators, protected as one hidden table.
///
/// A partner's release counts the people its extracts hold: each cohort C gains a cohort
/// "C, from partner P's extract" (a person in it has a row of P's passing C's filter), which
/// lies within C and within P's copy of every cohort containing C. Partners' cohorts are not
/// disjoint (one person can be in several partners' extracts, and is counted once in the
/// combined dashboard). Differencing between releases, the combined figure minus a
/// partner's, is then a group of the joint plan like a denominator minus its numerator, and
/// the primary rules, secondary suppression and the audit protect it as they protect any.
public struct BatchPlan: Sendable {
    /// The name of the partner column in the joint spec: a name no spec can declare.
    public static let partnerColumnName = "\u{1}partner"

    /// The spec as written (without the partners' copies).
    public let spec: ReleaseSpec
    public let partners: [BatchPartner]
    /// The combined dashboard first, then each partner's release.
    public let releases: [BatchRelease]
    /// The joint plan.
    public let plan: ReleasePlan

    /// The batch without a partner (its extracts could not be used).
    public func without(partner p: Int) throws(SpecProblems) -> BatchPlan {
        var reduced = spec
        let dropped = Set(partners[p].inputs)
        reduced.inputs = spec.inputs.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        return try BatchPlan(spec: reduced)
    }

    /// Plans the batch for a checked spec.
    public init(spec: ReleaseSpec) throws(SpecProblems) {
        var partners: [BatchPartner] = []
        var partnerOfInput: [Int] = []
        for (i, input) in spec.inputs.enumerated() {
            let name = input.partner ?? Self.fileStem(input.path)
            if let p = partners.firstIndex(where: { $0.name == name }) {
                partners[p].inputs.append(i)
                partnerOfInput.append(p)
            } else {
                partnerOfInput.append(partners.count)
                partners.append(BatchPartner(name: name, key: Self.key(name), inputs: [i]))
            }
        }
        // Keys are directory names: unique, and never the combined release's.
        var used: Set<String> = ["combined"]
        for p in partners.indices {
            var key = partners[p].key.isEmpty ? "partner" : partners[p].key
            if used.contains(key) {
                var n = 2
                while used.contains("\(key)-\(n)") { n += 1 }
                key = "\(key)-\(n)"
            }
            used.insert(key)
            partners[p].key = key
        }

        var joint = spec
        let column = joint.columns.count
        joint.columns.append(Column(name: Self.partnerColumnName, type: .category))
        joint.declaredValues.append(partners.map(\.key))
        joint.partnerColumn = column
        joint.partnerOfInput = partnerOfInput
        func fromPartner(_ filter: FilterExpression?, _ key: String) -> FilterExpression {
            let test = FilterExpression.compare(name: Self.partnerColumnName, op: .equal, literal: .text(key), position: 0)
            return filter.map { .and($0, test) } ?? test
        }
        func text(_ filter: String, _ p: BatchPartner) -> String {
            filter.isEmpty ? "from \(p.name)'s extract" : "(\(filter)) and from \(p.name)'s extract"
        }
        for p in partners {
            for t in spec.tables {
                var copy = t
                copy.name = "\(p.key)/\(t.name)"
                copy.filter = fromPartner(t.filter, p.key)
                copy.filterText = text(t.filterText, p)
                joint.tables.append(copy)
            }
            for i in spec.indicators {
                var copy = i
                copy.name = "\(p.key)/\(i.name)"
                copy.numerator = fromPartner(i.numerator, p.key)
                copy.denominator = fromPartner(i.denominator, p.key)
                copy.numeratorText = text(i.numeratorText, p)
                copy.denominatorText = text(i.denominatorText, p)
                joint.indicators.append(copy)
            }
        }
        let plan = try ReleasePlan(spec: joint)
        // The plan merges identical tables: find each release's by name.
        func tables(_ prefix: String) -> [Int] {
            spec.tables.compactMap { t in plan.tables.firstIndex { $0.name == prefix + t.name } }
        }
        let perIndicators = spec.indicators.count
        var releases = [BatchRelease(partner: nil, key: "combined", tables: tables(""), indicators: Array(0..<perIndicators))]
        for (p, partner) in partners.enumerated() {
            releases.append(BatchRelease(
                partner: p, key: partner.key, tables: tables("\(partner.key)/"),
                indicators: Array(((p + 1) * perIndicators)..<((p + 2) * perIndicators))))
        }
        self.spec = spec
        self.partners = partners
        self.releases = releases
        self.plan = plan
    }

    /// A name for directories: lower case letters and digits, other runs one hyphen.
    static func key(_ name: String) -> String {
        var result = ""
        var gap = false
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                if gap && !result.isEmpty { result.append("-") }
                result.unicodeScalars.append(scalar)
                gap = false
            } else {
                gap = true
            }
        }
        return result
    }

    /// A file's name without its directory and extension.
    static func fileStem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
