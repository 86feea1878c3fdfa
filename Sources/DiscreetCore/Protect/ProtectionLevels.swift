/// How wide the attacker's interval around a cell failing a frequency rule must be.
public enum FrequencyProtection: Sendable, Hashable {
    /// The interval must reach the first count that is not small (the threshold for `<`,
    /// threshold + 1 for `<=`): an attacker cannot tell whether the count is small.
    case reachThreshold
    /// The interval must reach `upper` above and `lower` below the true count.
    case fixed(upper: Int64, lower: Int64)
    /// For releases that show small counts as such ("fewer than 5"), which tells everyone
    /// that a count lies between 1 and the largest small count: within that band nobody may
    /// tell the count exactly. The interval must reach one above the true count, or one
    /// below where the count is the largest small one. (Covering the whole band is often
    /// impossible: when all of a category's counts are small, their small total already
    /// narrows each of them.)
    case band

    /// The largest count a frequency rule calls small.
    public static func largestSmall(_ rule: FrequencyRule) -> Int64 {
        rule.comparator == .less ? rule.threshold - 1 : rule.threshold
    }
}

/// What protecting one sensitive cell requires: how far above and below its true value
/// the attacker's interval must reach, in each of the two quantities a cell can publish.
public struct ProtectionRequirement: Sendable, Hashable {
    /// In people (counts, or the contributor count of a magnitude cell).
    public var countUp: Int64 = 0
    public var countDown: Int64 = 0
    /// In the magnitude's units (scaled by its decimal places).
    public var valueUp: Int64 = 0
    public var valueDown: Int64 = 0

    public init(countUp: Int64 = 0, countDown: Int64 = 0, valueUp: Int64 = 0, valueDown: Int64 = 0) {
        self.countUp = countUp
        self.countDown = countDown
        self.valueUp = valueUp
        self.valueDown = valueDown
    }

    /// Whether nothing is required.
    public var isEmpty: Bool { countUp == 0 && countDown == 0 && valueUp == 0 && valueDown == 0 }
}

extension PrimaryPolicy {
    /// The protection a cell needs, given the rules it fails.
    ///
    /// Frequency and zero rules protect the count (an attacker must not learn that a cell
    /// is small, or empty). Dominance, p% and (p,q) protect the magnitude with the classical
    /// levels, upper and lower alike (the lower capped at the value itself):
    /// - (n,k): (100/k)·sum(top n) − X
    /// - p%: p/100·x1 − (X − x1 − x2)
    /// - (p,q): p/q·x1 − (X − x1 − x2)
    public func requirement(for table: AggregatedTable, cell: Int, failed: PrimaryRuleSet, frequency protection: FrequencyProtection) -> ProtectionRequirement {
        var r = requirement(count: table.contributors(cell), failed: failed, frequency: protection)
        guard table.measure.isMagnitude else { return r }
        let x = Int128(table.values[cell])
        let top = table.largest(cell)
        let x1 = Int128(top.first ?? 0)
        let x2 = Int128(top.dropFirst().first ?? 0)
        var level: Int128 = 0
        func ceilDiv(_ a: Int128, _ b: Int128) -> Int128 { a <= 0 ? 0 : (a + b - 1) / b }
        if failed.contains(.dominance) {
            for rule in dominance where rule.fails(total: table.values[cell], largest: top) {
                let s = top.prefix(rule.n).reduce(Int128(0)) { $0 + Int128($1) }
                let k = rule.k
                // (100/k)·S − X = (100·den·S − num·X) / num
                level = max(level, ceilDiv(100 * Int128(k.denominator) * s - Int128(k.numerator) * x, Int128(k.numerator)))
            }
        }
        if failed.contains(.pPercent), let rule = pPercent {
            let p = rule.p
            // p/100·x1 − R = (num·x1 − 100·den·R) / (100·den)
            level = max(level, ceilDiv(Int128(p.numerator) * x1 - 100 * Int128(p.denominator) * (x - x1 - x2), 100 * Int128(p.denominator)))
        }
        if failed.contains(.pq), let rule = pq {
            let (p, q) = (rule.p, rule.q)
            // p/q·x1 − R = (pn·qd·x1 − R·qn·pd) / (qn·pd)
            let num = Int128(p.numerator) * Int128(q.denominator) * x1 - (x - x1 - x2) * Int128(q.numerator) * Int128(p.denominator)
            level = max(level, ceilDiv(num, Int128(q.numerator) * Int128(p.denominator)))
        }
        // A sensitive cell always needs some protection, even where rounding made the level 0.
        if failed.contains(.dominance) || failed.contains(.pPercent) || failed.contains(.pq) { level = max(level, 1) }
        r.valueUp = Int64(clamping: level)
        r.valueDown = min(r.valueUp, table.values[cell])
        return r
    }

    /// The protection a count of `n` people needs, given the frequency and zero rules it
    /// fails (a cell's count, or a group an attacker can count by subtraction).
    public func requirement(count n: Int64, failed: PrimaryRuleSet, frequency protection: FrequencyProtection) -> ProtectionRequirement {
        var r = ProtectionRequirement()
        if failed.contains(.zero) { r.countUp = 1 }
        if failed.contains(.frequency), let frequency {
            switch protection {
            case .reachThreshold:
                let notSmall = frequency.comparator == .less ? frequency.threshold : frequency.threshold + 1
                r.countUp = max(r.countUp, notSmall - n)
            case .fixed(let upper, let lower):
                r.countUp = max(r.countUp, upper)
                r.countDown = max(r.countDown, min(lower, n))
            case .band:
                if n < FrequencyProtection.largestSmall(frequency) { r.countUp = max(r.countUp, 1) } else { r.countDown = max(r.countDown, 1) }
            }
        }
        return r
    }
}
