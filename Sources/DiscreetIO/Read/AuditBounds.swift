import DiscreetCore

/// Bounds an auditor assumes the attacker knows, read from a CSV file: one row per cell,
/// with a `table` column (a table of the release), a column per dimension of that table
/// (its category code; empty or absent for the total), and `lower` and `upper` (either may
/// be empty) in the table's units.
public enum AuditBounds {
    /// Per cohort id, per quantity name ("count" or "sum"), the bounds by cohort cell.
    public typealias Bounds = [String: [String: [Int: CellBounds]]]

    /// Reads the file against a release's tables. Errors name the file, line and column.
    public static func read(path: String, release: PublishedRelease) throws(ReleaseReadError) -> Bounds {
        let reader: CSVReader
        do {
            reader = try CSVReader(path: path)
        } catch {
            throw ReleaseReadError(description: describe(error))
        }
        defer { reader.close() }
        let header = reader.header
        guard let tableColumn = header.firstIndex(of: "table"), let lowerColumn = header.firstIndex(of: "lower"),
            let upperColumn = header.firstIndex(of: "upper")
        else {
            let missing = ["table", "lower", "upper"].filter { !header.contains($0) }.map { "'\($0)'" }
            throw ReleaseReadError(
                description: "\(path):1:\(header.count + 1): expected \(missing.count == 1 ? "column" : "columns") \(missing.joined(separator: ", ")) in the header "
                    + "(a bounds file needs 'table', 'lower' and 'upper'); it has \(header.count) \(header.count == 1 ? "field" : "fields"), none of them named so")
        }
        var result: Bounds = [:]
        while true {
            let more: Bool
            do {
                more = try reader.next()
            } catch {
                throw ReleaseReadError(description: describe(error))
            }
            guard more else { break }
            let line = reader.recordLine
            func text(_ i: Int) -> String { i < reader.fieldCount ? String(decoding: reader.field(i), as: UTF8.self) : "" }
            func fail(_ column: Int, _ what: String) -> ReleaseReadError {
                ReleaseReadError(description: "\(path):\(line):\(column + 1): \(what)")
            }
            if let issue = reader.issue ?? (reader.fieldCount != header.count ? .fieldCount(expected: header.count, found: reader.fieldCount) : nil) {
                throw fail((issue.field ?? 1) - 1, issue.message(columnName: nil))
            }
            let name = text(tableColumn)
            guard let table = release.tables[name] else { throw fail(tableColumn, "'table' must name a table of the release") }
            let cohort = release.cohorts.first { $0.id == table.cohort }!
            var nodes: [Int] = []
            for dim in cohort.shape.dimensions {
                guard table.dimensions.contains(dim.name), let i = header.firstIndex(of: dim.name), !text(i).isEmpty else {
                    nodes.append(dim.total)
                    continue
                }
                guard let node = dim.node(text(i)) else { throw fail(i, "'\(dim.name)' must be one of the dimension's category codes") }
                nodes.append(node)
            }
            let quantity = cohort.quantities[0]
            func bound(_ column: Int) throws(ReleaseReadError) -> Int64? {
                let t = text(column)
                if t.isEmpty { return nil }
                guard let v = ScaledDecimal.parse(Array(t.utf8), places: quantity.places), v >= 0 else {
                    throw fail(column, "'\(header[column])' must be empty or a non-negative number with at most \(quantity.places) decimal places")
                }
                return v
            }
            let b = CellBounds(lower: try bound(lowerColumn), upper: try bound(upperColumn))
            if let l = b.lower, let u = b.upper, l > u { throw fail(upperColumn, "'upper' is below 'lower'") }
            result[cohort.id, default: [:]][quantity.name, default: [:]][cohort.shape.cell(nodes)] = b
        }
        return result
    }
}
