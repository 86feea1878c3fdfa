import Foundation
@testable import DiscreetCore

/// The repository root (tests read fixtures from it).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

/// sdcTable's microdata1 (validation case V1), aggregated by region x gender with the core
/// accumulator: one person per record.
struct Microdata1 {
    let region: TableDimension
    let gender: TableDimension
    let shape: TableShape
    let counts: AggregatedTable
    let sums: AggregatedTable

    init(topCount: Int = 2) throws {
        let text = try String(contentsOfFile: repositoryRoot + "/fixtures/validation/microdata1.csv", encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        region = try TableDimension.build(name: "region", total: "Total", entries: ["A", "B", "C", "D"].map { HierarchyEntry(code: $0) })
        gender = try TableDimension.build(name: "gender", total: "Total", entries: ["male", "female"].map { HierarchyEntry(code: $0) })
        shape = TableShape(dimensions: [region, gender])!
        var count = TableAccumulator(shape: shape, measure: .count, topCount: 0)
        var sum = TableAccumulator(shape: shape, measure: .sum(column: "val", places: 0), topCount: topCount)
        for row in rows {
            let cell = region.node(row[1])! * shape.innerStrides[0] + gender.node(row[2])! * shape.innerStrides[1]
            count.add(cell: cell, value: 1)
            sum.add(cell: cell, value: Int64(row[3])!)
        }
        counts = try count.finish()
        sums = try sum.finish()
    }

    func cell(_ r: String, _ g: String) -> Int { shape.cell([region.node(r)!, gender.node(g)!]) }

    /// The cells (as "region/gender") a policy marks sensitive.
    func sensitive(_ table: AggregatedTable, _ policy: PrimaryPolicy) -> Set<String> {
        var result = Set<String>()
        for cell in 0..<shape.cellCount where !policy.failures(of: table, cell: cell).isEmpty {
            let nodes = shape.nodes(of: cell)
            result.insert("\(region.codes[nodes[0]])/\(gender.codes[nodes[1]])")
        }
        return result
    }
}
