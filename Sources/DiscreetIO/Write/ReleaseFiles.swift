import DiscreetCore
import Foundation

/// Renders a protected release into the files of a release directory. Only published
/// values appear in them; withheld cells have an empty value and their status.
enum ReleaseFiles {
    /// Every file of the release, relative path → content, the manifest last.
    static func render(_ release: ProtectedRelease, created: Date) -> [(path: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        let plan = release.plan
        if plan.spec.outputs.csv {
            for (t, planned) in plan.tables.enumerated() where planned.declared {
                files.append(("tables/\(planned.name).csv", tableCSV(release.tables[t], symbols: plan.spec.protection.display)))
            }
            if !plan.indicators.isEmpty { files.append(("indicators.csv", indicatorsCSV(release))) }
        }
        if plan.spec.outputs.json { files.append(("release.json", releaseJSON(release))) }
        files.append(("manifest.json", ReleaseManifest.render(release, created: created, files: files)))
        return files
    }

    /// A cohort's identifier in release.json.
    static func cohortID(_ c: Int) -> String { "cohort-\(c + 1)" }

    static func value(_ table: ProtectedTable, _ cell: Int) -> String? {
        table.published(cell).map { ScaledDecimal.format($0, places: table.data.measure.places) }
    }

    /// What a dashboard shows for a cell: the figure, or the symbol for what it is.
    static func display(_ table: ProtectedTable, _ cell: Int, _ symbols: DisplaySymbols) -> String {
        switch table.figure(cell) {
        case .exact, .rounded(_, _, notZero: false): return value(table, cell) ?? ""
        case .rounded(_, _, notZero: true): return symbols.roundsToZero ?? "0"
        case .small: return table.smallCountsUpTo.flatMap { symbols.small(upTo: $0) } ?? symbols.withheld
        case .withheld: return symbols.withheld
        }
    }

    /// What a dashboard shows for a percentage.
    static func display(_ percentage: PublishedPercentage, _ symbols: DisplaySymbols) -> String {
        switch percentage {
        case .value: return percentage.text
        case .withheld: return symbols.withheld
        case .notApplicable: return symbols.notApplicable
        }
    }

    /// The least and greatest true value a figure allows, where it is not exact, as
    /// release.json states them (in the table's units).
    static func bounds(_ table: ProtectedTable, _ cell: Int) -> (String, String)? {
        guard let b = table.figure(cell).bounds else { return nil }
        let places = table.data.measure.places
        return (ScaledDecimal.format(b.lower ?? 0, places: places), b.upper.map { ScaledDecimal.format($0, places: places) } ?? "null")
    }

    static func tableCSV(_ table: ProtectedTable, symbols: DisplaySymbols) -> [UInt8] {
        let magnitude = table.data.measure.isMagnitude
        var csv = CSVText(reserving: table.shape.cellCount * 32)
        csv.row(table.shape.dimensions.map(\.name) + ["value", "display", "status"] + (magnitude ? ["contributors"] : []))
        for cell in table.shape.displayOrder() {
            var row = table.shape.codes(of: cell)
            row.append(value(table, cell) ?? "")
            row.append(display(table, cell, symbols))
            row.append(table.statusName(cell))
            if magnitude { row.append(table.publishedContributors(cell).map(String.init) ?? "") }
            csv.row(row)
        }
        return csv.bytes
    }

    /// The dimensions any indicator is broken down by, in spec order.
    static func indicatorDimensions(_ plan: ReleasePlan) -> [Int] {
        let used = Set(plan.indicators.flatMap { plan.tables[$0.numerator].dimensions })
        return plan.spec.dimensions.indices.filter(used.contains)
    }

    static func indicatorsCSV(_ release: ProtectedRelease) -> [UInt8] {
        let plan = release.plan
        let dims = indicatorDimensions(plan)
        let symbols = plan.spec.protection.display
        var csv = CSVText()
        csv.row(["indicator", "group"] + dims.map { plan.spec.dimensions[$0].name }
            + [
                "numerator", "numerator_display", "numerator_status", "denominator", "denominator_display", "denominator_status",
                "percent", "percent_display", "percent_status",
            ])
        for (i, indicator) in plan.indicators.enumerated() {
            let figures = release.indicators[i]
            let n = release.tables[figures.numerator]
            let d = release.tables[figures.denominator]
            let own = plan.tables[figures.numerator].dimensions
            for cell in n.shape.displayOrder() {
                let nodes = n.shape.nodes(of: cell)
                var row = [indicator.spec.name, indicator.spec.group ?? ""]
                for dim in dims {
                    let dimension = plan.spec.dimensions[dim].dimension
                    if let k = own.firstIndex(of: dim) { row.append(dimension.codes[nodes[k]]) } else { row.append(dimension.codes[dimension.total]) }
                }
                row += [
                    value(n, cell) ?? "", display(n, cell, symbols), n.statusName(cell),
                    value(d, cell) ?? "", display(d, cell, symbols), d.statusName(cell),
                    figures.percentages[cell].text, display(figures.percentages[cell], symbols), figures.percentages[cell].status,
                ]
                csv.row(row)
            }
        }
        return csv.bytes
    }

    /// Categories where the filters leave a cohort (or the rest of a family) empty.
    static func renderEmpty(_ facts: [StructuralZeros.Leaves], _ key: String, _ spec: ReleaseSpec, into json: inout JSONText) {
        json.array(key)
        for fact in facts {
            let dim = spec.dimensions[fact.dimension]
            json.object()
            json.value("dimension", dim.name)
            json.strings("categories", fact.leaves.sorted().map { dim.dimension.codes[$0] })
            json.endObject()
        }
        json.endArray()
    }

    static func releaseJSON(_ release: ProtectedRelease) -> [UInt8] {
        let plan = release.plan
        let spec = plan.spec
        var json = JSONText(reserving: 1 << 20)
        json.object()
        json.value("title", spec.title)
        json.value("release_id", release.identity.id)
        json.object("statuses")
        json.value("published", "the value is published")
        json.value("primary", "withheld: the cell fails a primary rule (too few people, or dominated by few contributors)")
        json.value("secondary", "withheld to protect another withheld cell")
        json.value("rounded", "published rounded: the true value lies within the cell's 'bounds'")
        json.endObject()
        let symbols = spec.protection.display
        ReleaseManifest.renderDisplay(spec.protection, into: &json)
        if let rounding = spec.protection.rounding { ReleaseManifest.renderRounding(rounding, into: &json) }
        // Tables of one cohort are projections of one cohort table, and cohorts relate as the
        // spec's filters say: an auditor rebuilds the release's hidden table from this.
        let relations = release.layout.relations
        json.array("cohorts")
        for (c, cohort) in plan.cohorts.enumerated() {
            json.object()
            json.value("id", cohortID(c))
            json.value("filter", cohort.text)
            json.value("measure", cohort.measure.isMagnitude ? "sum" : "count")
            if let column = cohort.sumColumn { json.value("column", spec.columns[column].name) }
            json.value("decimals", cohort.measure.places)
            json.value("small_counts_shown", release.showsSmallCounts[c])
            json.strings("dimensions", cohort.publishedDimensions.map { spec.dimensions[$0].name })
            json.strings("within", relations.within.filter { $0.first == c }.map { cohortID($0.second) })
            json.strings("counted_by", cohort.dimensions.map { spec.dimensions[$0].name })
            renderEmpty(release.layout.zeros.cohorts[c] ?? [], "empty", spec, into: &json)
            json.endObject()
        }
        json.endArray()
        json.array("disjoint")
        for pair in relations.disjoint {
            json.array()
            json.value(nil, cohortID(pair.first))
            json.value(nil, cohortID(pair.second))
            json.endArray()
        }
        json.endArray()
        // The atoms of the hidden table: each family splits a cohort into its parts (which
        // share nobody) and the rest of its people.
        json.array("families")
        for family in release.layout.families {
            json.object()
            json.value("cohort", cohortID(family.parent))
            json.strings("parts", family.parts.map(cohortID))
            json.strings("dimensions", family.dimensions.map { spec.dimensions[$0].name })
            renderEmpty(release.layout.zeros.complements[[family.parent] + family.parts.sorted()] ?? [], "rest_empty", spec, into: &json)
            json.endObject()
        }
        json.endArray()
        json.array("dimensions")
        for d in spec.dimensions {
            let dim = d.dimension
            json.object()
            json.value("name", d.name)
            json.value("label", dim.label)
            json.value("column", spec.columns[d.column].name)
            json.value("total", dim.codes[dim.total])
            json.array("categories")
            for node in dim.displayOrder {
                json.object()
                json.value("code", dim.codes[node])
                json.value("label", dim.labels[node])
                json.value("parent", dim.parents[node] >= 0 ? dim.codes[dim.parents[node]] : nil)
                json.value("leaf", dim.isLeaf(node))
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.array("tables")
        for (t, planned) in plan.tables.enumerated() where planned.declared {
            let table = release.tables[t]
            json.object()
            json.value("name", planned.name)
            json.value("title", planned.title)
            json.value("cohort", cohortID(planned.cohort))
            json.value("measure", table.data.measure.isMagnitude ? "sum" : "count")
            if let c = plan.cohorts[planned.cohort].sumColumn { json.value("column", spec.columns[c].name) }
            json.strings("dimensions", table.shape.dimensions.map(\.name))
            json.array("cells")
            for cell in table.shape.displayOrder() {
                json.object()
                for (dim, code) in zip(table.shape.dimensions, table.shape.codes(of: cell)) { json.value(dim.name, code) }
                json.number("value", value(table, cell))
                json.value("display", display(table, cell, symbols))
                json.value("status", table.statusName(cell))
                if let (lower, upper) = bounds(table, cell) { json.number("bounds", "[\(lower), \(upper)]") }
                if table.data.measure.isMagnitude { json.number("contributors", table.publishedContributors(cell).map(String.init)) }
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.array("indicators")
        for (i, indicator) in plan.indicators.enumerated() {
            let figures = release.indicators[i]
            let n = release.tables[figures.numerator]
            let d = release.tables[figures.denominator]
            json.object()
            json.value("name", indicator.spec.name)
            json.value("title", indicator.spec.title)
            json.value("group", indicator.spec.group)
            json.value("decimals", figures.decimals)
            json.value("numerator_cohort", cohortID(plan.tables[figures.numerator].cohort))
            json.value("denominator_cohort", cohortID(plan.tables[figures.denominator].cohort))
            json.strings("dimensions", n.shape.dimensions.map(\.name))
            json.array("cells")
            for cell in n.shape.displayOrder() {
                json.object()
                for (dim, code) in zip(n.shape.dimensions, n.shape.codes(of: cell)) { json.value(dim.name, code) }
                json.number("numerator", value(n, cell))
                json.value("numerator_display", display(n, cell, symbols))
                json.value("numerator_status", n.statusName(cell))
                if let (lower, upper) = bounds(n, cell) { json.number("numerator_bounds", "[\(lower), \(upper)]") }
                json.number("denominator", value(d, cell))
                json.value("denominator_display", display(d, cell, symbols))
                json.value("denominator_status", d.statusName(cell))
                if let (lower, upper) = bounds(d, cell) { json.number("denominator_bounds", "[\(lower), \(upper)]") }
                let p = figures.percentages[cell]
                json.number("percent", p.text.isEmpty ? nil : p.text)
                json.value("percent_display", display(p, symbols))
                json.value("percent_status", p.status)
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.finish()
    }
}
