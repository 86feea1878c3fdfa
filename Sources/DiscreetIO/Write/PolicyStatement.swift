import DiscreetCore
import Foundation

extension ReleaseDocument {
    /// The protection settings a release was made with, as release.json and the manifest
    /// state them: settings from the spec (and its preset), never figures of the data.
    public struct Policy: Codable, Sendable, Equatable {
        public var preset: String?
        public var onError: String?
        public var conflicts: String?
        public var primary: Primary
        public var secondary: Secondary?
        public var rounding: RoundingStatement?
        /// Where the policy could not be applied as asked, and what was done instead.
        public var fallbacks: [String]?
        public var relatedCohorts: RelatedCohorts?
        public var display: Display?
        public var percentages: Percentages?

        enum CodingKeys: String, CodingKey {
            case preset
            case onError = "on_error"
            case conflicts, primary, secondary, rounding, fallbacks
            case relatedCohorts = "related_cohorts"
            case display, percentages
        }

        public struct Primary: Codable, Sendable, Equatable {
            public var frequency: Frequency?
            public var zeros: String?
            public var dominance: [Dominance]?
            public var pPercent: PPercent?
            public var pq: PQ?

            enum CodingKeys: String, CodingKey {
                case frequency, zeros, dominance
                case pPercent = "p_percent"
                case pq
            }
        }

        public struct Frequency: Codable, Sendable, Equatable {
            public var threshold: Int64
            public var comparator: String
            public var sensitiveWhen: String?

            enum CodingKeys: String, CodingKey {
                case threshold, comparator
                case sensitiveWhen = "sensitive_when"
            }
        }

        public struct Dominance: Codable, Sendable, Equatable {
            public var n: Int
            public var k: Decimal
            public var comparator: String
            public var sensitiveWhen: String?

            enum CodingKeys: String, CodingKey {
                case n, k, comparator
                case sensitiveWhen = "sensitive_when"
            }
        }

        public struct PPercent: Codable, Sendable, Equatable {
            public var p: Decimal
            public var comparator: String
            public var sensitiveWhen: String?

            enum CodingKeys: String, CodingKey {
                case p, comparator
                case sensitiveWhen = "sensitive_when"
            }
        }

        public struct PQ: Codable, Sendable, Equatable {
            public var p: Decimal
            public var q: Decimal
            public var comparator: String
            public var sensitiveWhen: String?

            enum CodingKeys: String, CodingKey {
                case p, q, comparator
                case sensitiveWhen = "sensitive_when"
            }
        }

        public struct Secondary: Codable, Sendable, Equatable {
            public var method: String?
            public var frequencyProtection: FrequencyProtectionSetting?
            public var singletons: String?
            public var cost: String?
            public var weights: [String: [String: Int]]?
            /// The work the linear programmes were allowed (absent in releases made before it existed).
            public var effort: Int?

            enum CodingKeys: String, CodingKey {
                case method
                case frequencyProtection = "frequency_protection"
                case singletons, cost, weights, effort
            }
        }

        /// `threshold`, `band`, or fixed levels `{upper, lower}`.
        public enum FrequencyProtectionSetting: Codable, Sendable, Equatable {
            case named(String)
            case fixed(upper: Int64, lower: Int64)

            struct Levels: Codable {
                var upper: Int64
                var lower: Int64
            }

            public init(from decoder: any Decoder) throws {
                if let name = try? decoder.singleValueContainer().decode(String.self) {
                    self = .named(name)
                } else {
                    let levels = try Levels(from: decoder)
                    self = .fixed(upper: levels.upper, lower: levels.lower)
                }
            }

            public func encode(to encoder: any Encoder) throws {
                switch self {
                case .named(let name):
                    var c = encoder.singleValueContainer()
                    try c.encode(name)
                case .fixed(let upper, let lower):
                    try Levels(upper: upper, lower: lower).encode(to: encoder)
                }
            }

            /// The name the audit goes by: `threshold`, `band` or `fixed`.
            public var name: String {
                switch self {
                case .named(let name): return name
                case .fixed: return "fixed"
                }
            }
        }

        public struct RelatedCohorts: Codable, Sendable, Equatable {
            public var relations: Int
            public var families: Int
            public var about: String?
        }

        public struct Percentages: Codable, Sendable, Equatable {
            public var decimals: Int
            public var wholeNumbersBelowDenominator: Int64?
            public var computedFrom: String?

            enum CodingKeys: String, CodingKey {
                case decimals
                case wholeNumbersBelowDenominator = "whole_numbers_below_denominator"
                case computedFrom = "computed_from"
            }
        }

        /// The frequency and zero rules stated, as the audit applies them to groups counted
        /// by subtraction (nil without a frequency rule it can use).
        public var frequencyAndZeros: PrimaryPolicy {
            var rule: FrequencyRule?
            if let f = primary.frequency, let comparator = RuleComparator(rawValue: f.comparator), comparator == .less || comparator == .lessOrEqual {
                rule = FrequencyRule(threshold: f.threshold, comparator: comparator)
            }
            return PrimaryPolicy(frequency: rule, zeros: primary.zeros.flatMap(ZeroPolicy.init(rawValue:)) ?? .publish)
        }
    }
}

extension ReleaseDocument.Display {
    init(_ protection: ProtectionSpec) {
        let display = protection.display
        withheld = display.withheld
        small = protection.primary.frequency.flatMap { display.small(upTo: FrequencyProtection.largestSmall($0)) }
        notApplicable = display.notApplicable
        roundsToZero = display.roundsToZero
    }
}

extension ReleaseDocument.RoundingStatement {
    init(_ rounding: RoundingPolicy) {
        method = rounding.method.rawValue
        base = rounding.base
        margins = rounding.method != .controlled ? rounding.margins.rawValue : nil
        levels = rounding.levels.map { Levels(dimension: $0.dimension, depth: $0.depth) }
        sums = rounding.sums.flatMap { Decimal(string: $0.description) }
        appliesTo = rounding.sums == nil ? "published counts (sums are exact)" : "published counts and sums (contributor counts are exact)"
        meaning = "between R - \(rounding.below) and R + \(rounding.above), and not below 0"
    }
}

extension ReleaseDocument.Policy {
    /// The settings of a release: the spec's protection (expanded from its preset), the
    /// run's error policy, the fallbacks taken, and how many relations between cohorts the
    /// protection used.
    init(spec: ReleaseSpec, onError: ErrorPolicy, fallbacks: [String], layout: CohortLayout) {
        let protection = spec.protection
        preset = protection.preset?.rawValue
        self.onError = onError.rawValue
        conflicts = spec.conflicts.rawValue
        let p = protection.primary
        primary = Primary(
            frequency: p.frequency.map { f in
                Frequency(threshold: f.threshold, comparator: f.comparator.rawValue, sensitiveWhen: "0 < contributors \(f.comparator.rawValue) \(f.threshold)")
            },
            zeros: p.zeros.rawValue,
            dominance: p.dominance.map { d in
                Dominance(
                    n: d.n, k: Decimal(string: d.k.description) ?? 0, comparator: d.comparator.rawValue,
                    sensitiveWhen: "sum of the \(d.n) largest \(d.comparator.rawValue) \(d.k)% of the cell total")
            },
            pPercent: p.pPercent.map { r in
                PPercent(p: Decimal(string: r.p.description) ?? 0, comparator: r.comparator.rawValue, sensitiveWhen: "total - x1 - x2 \(r.comparator.rawValue) \(r.p)% of x1")
            },
            pq: p.pq.map { r in
                PQ(
                    p: Decimal(string: r.p.description) ?? 0, q: Decimal(string: r.q.description) ?? 0, comparator: r.comparator.rawValue,
                    sensitiveWhen: "total - x1 - x2 \(r.comparator.rawValue) (p/q) x1")
            })
        let s = protection.secondary
        let frequency: FrequencyProtectionSetting
        switch s.frequency {
        case .reachThreshold: frequency = .named("threshold")
        case .band: frequency = .named("band")
        case .fixed(let upper, let lower): frequency = .fixed(upper: upper, lower: lower)
        }
        secondary = Secondary(
            method: s.method.rawValue, frequencyProtection: frequency, singletons: s.singletons ? "protect" : "ignore", cost: s.cost.rawValue,
            weights: s.weights.isEmpty ? nil : s.weights, effort: s.effort)
        rounding = protection.rounding.map(ReleaseDocument.RoundingStatement.init)
        self.fallbacks = fallbacks
        relatedCohorts = RelatedCohorts(
            relations: layout.relations.within.count + layout.relations.disjoint.count, families: layout.families.count,
            about: "groups counted by subtracting published figures (a denominator minus its numerator, a cohort minus one within it) get the primary rules like any count")
        display = ReleaseDocument.Display(protection)
        percentages = Percentages(decimals: protection.percentDecimals, wholeNumbersBelowDenominator: protection.percentWholeBelow, computedFrom: "published figures")
    }
}
