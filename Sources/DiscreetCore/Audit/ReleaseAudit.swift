/// Something the audit found wrong with a release. Any finding refuses the release.
public struct AuditFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A cell that fails a primary rule is published.
        case sensitivePublished(rules: PrimaryRuleSet)
        /// A withheld cell can be computed exactly from published figures and the table's
        /// relations: the only withheld cell of a margin relation.
        case recoverable
        /// A percentage is published although its numerator or denominator is withheld.
        case percentageOfWithheld(indicator: String)
        /// No pattern of suppressions protects this sensitive cell.
        case unprotectable
        /// The protection of this sensitive cell is not proven (the certificate audit says why).
        case unproven(String)
        /// A rounded or small-count figure whose stated range does not hold the true value,
        /// or a rounded figure that is not a multiple of the base.
        case misstated
        /// A group of people counted by subtracting published figures (a denominator minus
        /// its numerator) that fails the frequency or zero rule.
        case groupPublished
        /// A figure of a differentially private release that is not noisy: its true value
        /// would be published.
        case notNoisy
        /// A noisy margin that is not the sum of its children, or a negative figure where the
        /// release promises none.
        case inconsistentNoise(String)
        /// What the audit of one release of a batch, read alone, finds (the table names
        /// the release).
        case aloneFinding(String)
        /// A group whose change since the previous release (this one minus that one, named)
        /// is told exactly and is small: the cell, or it and other withheld cells.
        case smallChange(Int64, cells: Int, previous: String)
    }

    public var kind: Kind
    public var table: String
    /// The cell's category codes, dimension by dimension.
    public var cell: [String]

    public init(kind: Kind, table: String, cell: [String]) {
        self.kind = kind
        self.table = table
        self.cell = cell
    }

    public var description: String {
        let named = ["table", "indicator", "group"].contains { table.hasPrefix($0) }
        let at = "\(named ? table : "table '\(table)'"), cell (\(cell.joined(separator: ", ")))"
        switch kind {
        case .sensitivePublished(let rules): return "\(at): published although it fails \(rules.names.joined(separator: ", "))"
        case .recoverable: return "\(at): withheld, but recoverable exactly from its margins"
        case .percentageOfWithheld(let indicator): return "indicator '\(indicator)', \(at): a percentage of a withheld figure is published"
        case .unprotectable: return "\(at): sensitive, and no pattern of suppressions can protect it"
        case .unproven(let reason): return "\(at): protection not proven: \(reason)"
        case .misstated: return "\(at): the range the release states for this figure does not hold its true value"
        case .groupPublished: return "\(at): a group this small can be counted by subtracting published figures"
        case .notNoisy: return "\(at): a release with noise would publish this figure without noise"
        case .inconsistentNoise(let reason): return "\(at): \(reason)"
        case .aloneFinding(let finding): return "release '\(table)', audited alone: \(finding)"
        case .smallChange(let change, let cells, let previous):
            let group = cells == 1 ? "" : " and \(cells - 1) other withheld cell\(cells == 2 ? "" : "s") with it"
            return "\(at)\(group): changed by \(change > 0 ? "+" : "")\(change) since release \(previous), a group this small joining or leaving"
        }
    }
}

/// Checks a differentially private release before it is written: every figure noisy, none
/// true, and the noisy figures as consistent as the release says (each margin the sum of its
/// children; none negative where post-processing promises so).
public enum NoisyReleaseAudit {
    public static let checks = [
        "every published figure is noisy: no true value is published (a figure below the release's threshold is withheld on its noisy value)",
        "every margin is the sum of its children in every table",
        "no figure is negative where the release publishes non-negative figures",
        "no numerator exceeds its denominator where the release publishes non-negative figures (they agree between cohorts)",
    ]

    /// What the audit checks of a release perturbed by the cell key method.
    public static let perturbedChecks = [
        "every published figure is perturbed by the cell key method: no figure is published as it stands",
        "no figure is negative",
    ]

    /// - Parameter indicators: each with its name; where `nonNegative` and the figures are
    ///   noisy (not perturbed cell by cell), no published numerator may exceed its denominator.
    public static func run(tables: [ProtectedTable], indicators: [(name: String, figures: IndicatorFigures)] = [], nonNegative: Bool) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        for (name, figures) in indicators where nonNegative {
            let (n, d) = (tables[figures.numerator], tables[figures.denominator])
            guard n.noise?.perturbed == false && d.noise?.perturbed == false else { continue }
            for cell in 0..<n.shape.cellCount {
                if let top = n.published(cell), let bottom = d.published(cell), top > bottom {
                    findings.append(AuditFinding(kind: .inconsistentNoise("the numerator exceeds its denominator"), table: "indicator '\(name)'", cell: n.shape.codes(of: cell)))
                }
            }
        }
        for table in tables {
            let shape = table.shape
            for cell in 0..<shape.cellCount {
                if table.noise?.belowThreshold[cell] == true { continue }
                guard case .noisy(let v, _) = table.figure(cell) else {
                    findings.append(AuditFinding(kind: .notNoisy, table: table.name, cell: shape.codes(of: cell)))
                    continue
                }
                if nonNegative && v < 0 {
                    findings.append(AuditFinding(kind: .inconsistentNoise("negative, where the release publishes no negative figure"), table: table.name, cell: shape.codes(of: cell)))
                }
            }
            // Among the figures shown: a relation with a figure withheld below the threshold
            // holds among the noisy figures, which are not all published. Figures perturbed
            // cell by cell (the cell key method) do not add up.
            for relation in shape.relations() where table.noise?.perturbed != true {
                guard let total = table.published(relation.total) else { continue }
                let parts = relation.parts.map { table.published($0) }
                guard parts.allSatisfy({ $0 != nil }) else { continue }
                let sum = parts.reduce(Int64(0)) { $0 &+ $1! }
                if total != sum {
                    findings.append(AuditFinding(kind: .inconsistentNoise("not the sum of its children"), table: table.name, cell: shape.codes(of: relation.total)))
                }
            }
        }
        return findings
    }
}

/// Checks a release before it is written. It looks only at what the release publishes,
/// the tables' relations and the primary policy, so it can judge any release however it
/// was produced.
public enum ReleaseAudit {
    /// What the audit checks, for manifests and reports.
    public static let checks = [
        "every sensitive cell has a verified certificate: a table consistent with every relation, published figure and non-negativity in which the cell is at least its protection levels away from its true value",
        "every cell failing a primary rule is withheld (rules re-applied to the true values)",
        "no withheld cell is the only withheld cell of a margin relation whose other figures are exact",
        "no percentage is published whose numerator or denominator is withheld",
        "every rounded figure is a multiple of the base, and every rounded or small-count figure's stated range holds its true value",
    ]

    /// Every finding; an empty list means the release may be written.
    public static func run(tables: [ProtectedTable], indicators: [(name: String, figures: IndicatorFigures)], primary: PrimaryPolicy) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        for table in tables {
            let codes = table.shape.codes(of:)
            // Primary rules, judged again from the true values: no sensitive cell may be published.
            for cell in 0..<table.shape.cellCount where !table.statuses[cell].disposition.isWithheld {
                let failed = primary.failures(of: table.data, cell: cell)
                if !failed.isEmpty { findings.append(AuditFinding(kind: .sensitivePublished(rules: failed), table: table.name, cell: codes(cell))) }
            }
            // What a figure says about the true value must be true.
            if table.rounding != nil || table.smallCountsUpTo != nil {
                for cell in 0..<table.shape.cellCount {
                    let figure = table.figure(cell)
                    guard let bounds = figure.bounds else { continue }
                    let x = table.data.values[cell]
                    var holds = x >= (bounds.lower ?? 0) && x <= (bounds.upper ?? .max)
                    if case .rounded(let r, _, _) = figure, let base = table.rounding?.policy.base, r % base != 0 { holds = false }
                    if !holds { findings.append(AuditFinding(kind: .misstated, table: table.name, cell: codes(cell))) }
                }
            }
            // A margin relation with a single withheld cell and every other figure exact gives
            // that cell away.
            for relation in table.shape.relations() {
                var withheld = -1
                var count = 0
                var rounded = false
                for cell in [relation.total] + relation.parts {
                    if table.statuses[cell].disposition.isWithheld {
                        withheld = cell
                        count += 1
                        if count > 1 { break }
                    } else if table.rounding?.rounded[cell] == true {
                        rounded = true
                    }
                }
                if count == 1 && !rounded { findings.append(AuditFinding(kind: .recoverable, table: table.name, cell: codes(withheld))) }
            }
        }
        for (name, figures) in indicators {
            let n = tables[figures.numerator]
            let d = tables[figures.denominator]
            for cell in 0..<n.shape.cellCount {
                if case .value = figures.percentages[cell], n.published(cell) == nil || d.published(cell) == nil {
                    findings.append(AuditFinding(kind: .percentageOfWithheld(indicator: name), table: n.name, cell: n.shape.codes(of: cell)))
                }
            }
        }
        // One finding per cell and kind.
        var seen = Set<AuditFinding>()
        return findings.filter { seen.insert($0).inserted }
    }
}
