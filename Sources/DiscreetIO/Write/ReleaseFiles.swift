import DiscreetCore
import Foundation

/// Renders a release's document into the files of a release directory. Only published
/// values appear in them; withheld cells have an empty value and their status.
enum ReleaseFiles {
    /// Every file of the release, relative path → content, the manifest last.
    static func render(_ document: ReleaseDocument, outputs: OutputSpec, manifest: ReleaseManifest.Run, created: Date) -> [(path: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        if outputs.csv {
            for table in document.tables { files.append(("tables/\(table.name).csv", tableCSV(table))) }
            if !document.indicators.isEmpty { files.append(("indicators.csv", indicatorsCSV(document))) }
        }
        if outputs.json { files.append(("release.json", document.encoded())) }
        files.append(("manifest.json", ReleaseManifest.render(document, run: manifest, created: created, files: files)))
        return files
    }

    /// A cohort's identifier in release.json.
    static func cohortID(_ c: Int) -> String { "cohort-\(c + 1)" }

    /// A published figure's text with its table's decimal places ("" where withheld).
    static func text(_ value: Decimal?, places: Int) -> String {
        guard let value else { return "" }
        return value.units(places: places).map { ScaledDecimal.format($0, places: places) } ?? value.description
    }

    static func tableCSV(_ table: ReleaseDocument.Table) -> [UInt8] {
        let magnitude = table.measure == "sum"
        let places = table.decimals ?? 0
        let noisy = table.cells.contains { $0.errorBound != nil }
        var csv = CSVText(reserving: table.cells.count * 32)
        csv.row(table.dimensions + ["value", "display", "status"] + (magnitude ? ["contributors"] : []) + (noisy ? ["error_bound"] : []))
        for cell in table.cells {
            var row = table.dimensions.map { cell.codes[$0] ?? "" }
            row += [text(cell.value, places: places), cell.display ?? "", cell.status]
            if magnitude { row.append(cell.contributors.map(String.init) ?? "") }
            if noisy { row.append(text(cell.errorBound, places: places)) }
            csv.row(row)
        }
        return csv.bytes
    }

    static func indicatorsCSV(_ document: ReleaseDocument) -> [UInt8] {
        // The dimensions any indicator is broken down by, in the release's order.
        let used = Set(document.indicators.flatMap(\.dimensions))
        let dims = document.dimensions.filter { used.contains($0.name) }
        let noisy = document.noise != nil
        var csv = CSVText()
        csv.row(["indicator", "group"] + dims.map(\.name)
            + [
                "numerator", "numerator_display", "numerator_status", "denominator", "denominator_display", "denominator_status",
                "percent", "percent_display", "percent_status",
            ]
            + (noisy ? ["numerator_error_bound", "denominator_error_bound", "percent_lower", "percent_upper"] : []))
        for indicator in document.indicators {
            for cell in indicator.cells {
                var row = [indicator.name, indicator.group ?? ""]
                for dim in dims { row.append(cell.codes[dim.name] ?? dim.total) }
                for f in [cell.numerator, cell.denominator] { row += [text(f.value, places: 0), f.display ?? "", f.status] }
                // The percentage as shown (its decimal places vary where small denominators
                // get whole numbers).
                row += [cell.percent == nil ? "" : cell.percentDisplay ?? "", cell.percentDisplay ?? "", cell.percentStatus]
                if noisy {
                    row += [text(cell.numerator.errorBound, places: 0), text(cell.denominator.errorBound, places: 0)]
                    let interval = cell.percentInterval
                    row += [interval?.lower.map { $0.description } ?? "", interval?.upper.map { $0.description } ?? ""]
                }
                csv.row(row)
            }
        }
        return csv.bytes
    }

    /// Categories where the filters leave a cohort (or the rest of a family) empty.
    static func categories(_ facts: [StructuralZeros.Leaves], _ spec: ReleaseSpec) -> [ReleaseDocument.Categories] {
        facts.map { fact in
            let dim = spec.dimensions[fact.dimension]
            return ReleaseDocument.Categories(dimension: dim.name, categories: fact.leaves.sorted().map { dim.dimension.codes[$0] })
        }
    }
}

extension ReleaseDocument {
    /// What a protected release publishes. Its tables are read only through what they
    /// publish: each cell's published figure, its status and the bounds the release states.
    public init(_ release: ProtectedRelease) {
        let plan = release.plan
        let spec = plan.spec
        let protection = spec.protection
        let display = protection.display
        func value(_ table: ProtectedTable, _ cell: Int) -> Decimal? {
            table.published(cell).map { Decimal(units: $0, places: table.data.measure.places) }
        }
        /// What a dashboard shows for a cell: the figure, or the symbol for what it is.
        func shown(_ table: ProtectedTable, _ cell: Int) -> String {
            switch table.figure(cell) {
            case .exact, .rounded(_, _, notZero: false), .noisy:
                return table.published(cell).map { ScaledDecimal.format($0, places: table.data.measure.places) } ?? ""
            case .rounded(_, _, notZero: true): return display.roundsToZero ?? "0"
            case .small: return table.smallCountsUpTo.flatMap { display.small(upTo: $0) } ?? display.withheld
            case .withheld: return display.withheld
            }
        }
        func bounds(_ table: ProtectedTable, _ cell: Int) -> Bounds? {
            guard let b = table.figure(cell).bounds else { return nil }
            let places = table.data.measure.places
            return Bounds(lower: Decimal(units: b.lower ?? 0, places: places), upper: b.upper.map { Decimal(units: $0, places: places) })
        }
        func errorBound(_ table: ProtectedTable, _ cell: Int) -> Decimal? {
            guard case .noisy(_, let bound) = table.figure(cell) else { return nil }
            return Decimal(units: bound, places: table.data.measure.places)
        }
        func codes(_ table: ProtectedTable, _ cell: Int) -> [String: String] {
            Dictionary(uniqueKeysWithValues: zip(table.shape.dimensions.map(\.name), table.shape.codes(of: cell)))
        }
        let cohortID = ReleaseFiles.cohortID
        let relations = release.layout.relations
        let cohorts = plan.cohorts.enumerated().map { c, cohort in
            Cohort(
                id: cohortID(c), filter: cohort.text, measure: cohort.measure.isMagnitude ? "sum" : "count",
                column: cohort.sumColumn.map { spec.columns[$0].name }, decimals: cohort.measure.places, smallCountsShown: release.showsSmallCounts[c],
                dimensions: cohort.publishedDimensions.map { spec.dimensions[$0].name },
                within: relations.within.filter { $0.first == c }.map { cohortID($0.second) },
                countedBy: cohort.dimensions.map { spec.dimensions[$0].name }, empty: ReleaseFiles.categories(release.layout.zeros.cohorts[c] ?? [], spec))
        }
        // The atoms of the hidden table: each family splits a cohort into its parts (which
        // share nobody) and the rest of its people.
        let families = release.layout.families.map { family in
            Family(
                cohort: cohortID(family.parent), parts: family.parts.map(cohortID), dimensions: family.dimensions.map { spec.dimensions[$0].name },
                restEmpty: ReleaseFiles.categories(release.layout.zeros.complements[[family.parent] + family.parts.sorted()] ?? [], spec))
        }
        let dimensions = spec.dimensions.map { d in
            let dim = d.dimension
            return Dimension(
                name: d.name, label: dim.label, column: spec.columns[d.column].name, total: dim.codes[dim.total],
                categories: dim.displayOrder.map { node in
                    Dimension.Category(
                        code: dim.codes[node], label: dim.labels[node], parent: dim.parents[node] >= 0 ? dim.codes[dim.parents[node]] : nil, leaf: dim.isLeaf(node))
                })
        }
        let tables = plan.tables.enumerated().filter { $0.element.declared }.map { t, planned in
            let table = release.tables[t]
            let magnitude = table.data.measure.isMagnitude
            return Table(
                name: planned.name, title: planned.title, cohort: cohortID(planned.cohort), measure: magnitude ? "sum" : "count",
                column: plan.cohorts[planned.cohort].sumColumn.map { spec.columns[$0].name }, decimals: table.data.measure.places,
                dimensions: table.shape.dimensions.map(\.name),
                cells: table.shape.displayOrder().map { cell in
                    TableCell(
                        codes: codes(table, cell), value: value(table, cell), display: shown(table, cell), status: table.statusName(cell), bounds: bounds(table, cell),
                        contributors: magnitude ? table.publishedContributors(cell) : nil, errorBound: errorBound(table, cell))
                })
        }
        let indicators = plan.indicators.enumerated().map { i, indicator in
            let figures = release.indicators[i]
            let n = release.tables[figures.numerator]
            let d = release.tables[figures.denominator]
            func figure(_ table: ProtectedTable, _ cell: Int) -> Figure {
                Figure(
                    value: value(table, cell), display: shown(table, cell), status: table.statusName(cell), bounds: bounds(table, cell),
                    errorBound: errorBound(table, cell))
            }
            return Indicator(
                name: indicator.spec.name, title: indicator.spec.title, group: indicator.spec.group, decimals: figures.decimals,
                numeratorCohort: cohortID(plan.tables[figures.numerator].cohort), denominatorCohort: cohortID(plan.tables[figures.denominator].cohort),
                dimensions: n.shape.dimensions.map(\.name),
                cells: n.shape.displayOrder().map { cell in
                    let p = figures.percentages[cell]
                    let shownPercent: String
                    switch p {
                    case .value: shownPercent = p.text
                    case .withheld: shownPercent = display.withheld
                    case .notApplicable: shownPercent = display.notApplicable
                    }
                    // The interval in the percentage's own decimal places.
                    let interval = (figures.intervals?[cell] ?? nil).map { range -> Bounds in
                        let places: Int
                        if case .value(_, let d) = p { places = d } else { places = figures.decimals }
                        return Bounds(lower: Decimal(units: range.lowerBound, places: places), upper: Decimal(units: range.upperBound, places: places))
                    }
                    return IndicatorCell(
                        codes: codes(n, cell), numerator: figure(n, cell), denominator: figure(d, cell), percent: p.text.isEmpty ? nil : Decimal(string: p.text),
                        percentDisplay: shownPercent, percentStatus: p.status, percentInterval: interval)
                })
        }
        let statuses: [String: String] = release.cellKey != nil
            ? ["perturbed": "published perturbed by the cell key method: the true value is within the release's 'largest_perturbation' of it, and the same people get the same perturbation in every table and release"]
            : release.noise != nil
            ? [
                "noisy": "published with differentially private noise: the true value is within the cell's 'error_bound' of it with the release's stated confidence",
                "below_threshold": "withheld because its noisy figure is below the release's 'suppress_below' (decided on the noisy figure, not the true value)",
            ]
            : [
                "published": "the value is published",
                "primary": "withheld: the cell fails a primary rule (too few people, or dominated by few contributors)",
                "secondary": "withheld to protect another withheld cell",
                "rounded": "published rounded: the true value lies within the cell's 'bounds'",
            ]
        let noise = release.noise.map { run in
            let spec = run.spec
            return NoiseStatement(
                mechanism: run.mechanism.name, accounting: spec.accounting.rawValue, spent: spec.amount.description, tablesNoised: run.shares,
                spentPerTable: run.shareText, strategy: spec.strategy.rawValue, figures: spec.postProcessing.rawValue, confidence: spec.confidence.description,
                dataset: spec.dataset, requester: spec.requester, datasetBudget: run.budget?.total.description, datasetSpent: run.budget?.spent.description,
                suppressBelow: spec.suppressBelow,
                clamp: spec.clamps.isEmpty ? nil : Dictionary(uniqueKeysWithValues: spec.clamps.map { column, range in
                    let places = plan.spec.columns[column].type.scale
                    return (plan.spec.columns[column].name, Bounds(lower: Decimal(units: range.lowerBound, places: places), upper: Decimal(units: range.upperBound, places: places)))
                }),
                meaning: (spec.strategy == .finest
                    ? "each cohort's finest table (each person in one cell) is noised once with its share of the budget; every table, numerator and denominator is a sum of "
                        + "its cells, so figures of one cohort add up."
                    : "each published figure of a cohort, margins included, is noised once, with the cohort's share of the budget divided by the most figures one person is in; "
                        + "the least-squares fit to them, not negative and rounded under control, makes the cohort's figures add up.")
                    + " A sum adds each person's contribution clamped to the column's 'clamp' range, and its noise is scaled by the range's wider end. A figure's error_bound (a percentage's interval) holds the true value with the stated confidence"
                    + (spec.postProcessing == .nonNegative
                        ? "; post-processing to non-negative whole numbers that add up, with no cohort above a cohort it lies within (no numerator above its denominator), "
                            + "moved each figure by an amount included in its bound" : ""))
        }
        self.init(
            title: spec.title, releaseID: release.releaseID,
            statuses: statuses,
            display: Display(protection), rounding: protection.rounding.map(RoundingStatement.init),
            policy: Policy(spec: spec, onError: release.onError, fallbacks: release.fallbacks, layout: release.layout), cohorts: cohorts,
            disjoint: relations.disjoint.map { [cohortID($0.first), cohortID($0.second)] }, families: families, dimensions: dimensions, tables: tables,
            indicators: indicators, noise: noise,
            cellKey: release.cellKey.map { key in
                CellKeyStatement(
                    ptable: key.tableSource, ptableSHA256: key.tableSHA256, largestPerturbation: key.table.largestPerturbation,
                    recordKeys: {
                        switch key.recordKeys {
                        case .secret: return "each person's record key is HMAC-SHA256 of their identifier under the release's secret key (kept by the data officer, never published)"
                        case .column(let name): return "each person's record key is read from the extracts' column '\(name)' (never published)"
                        }
                    }(),
                    meaning: "each count is its true value plus the perturbation the perturbation table gives for its count and its cell key (the sum of its people's record keys modulo 2^32); "
                        + "cells are perturbed one by one, so margins need not equal the sum of their children; percentages are taken from the perturbed counts")
            })
    }
}
