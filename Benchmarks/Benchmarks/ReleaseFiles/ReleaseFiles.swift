// Writing and reading a release's documents: time and peak memory to encode release.json
// and a table's CSV file for a table of 249,000 cells (a three-level area hierarchy of
// 3,111 nodes by 80 categories with their total), and to decode release.json again as the
// audit does. The documents stream as they are written, so memory is the text and the cells.
import Benchmark
import DiscreetIO
import Foundation

/// A document with one big count table, a tenth of its cells withheld and the rest rounded.
func document() -> ReleaseDocument {
    var areas: [ReleaseDocument.Dimension.Category] = [.init(code: "T", label: nil, parent: nil, leaf: false)]
    for r in 0..<10 {
        areas.append(.init(code: "r\(r)", label: "Region \(r)", parent: "T", leaf: false))
        for d in 0..<10 {
            areas.append(.init(code: "r\(r)d\(d)", label: nil, parent: "r\(r)", leaf: false))
            for w in 0..<30 { areas.append(.init(code: "r\(r)d\(d)w\(w)", label: nil, parent: "r\(r)d\(d)", leaf: true)) }
        }
    }
    let kinds = [ReleaseDocument.Dimension.Category(code: "all", label: nil, parent: nil, leaf: false)]
        + (0..<80).map { ReleaseDocument.Dimension.Category(code: "k\($0)", label: nil, parent: "all", leaf: true) }
    var cells: [ReleaseDocument.TableCell] = []
    var state: UInt64 = 7
    for area in areas {
        for kind in kinds {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let withheld = state >> 60 == 0
            let figure = Decimal(Int(state >> 40) % 400 * 5)
            cells.append(ReleaseDocument.TableCell(
                codes: ["area": area.code, "kind": kind.code], value: withheld ? nil : figure, display: withheld ? "[c]" : "\(figure)",
                status: withheld ? "secondary" : "rounded", bounds: withheld ? .init(lower: 1, upper: nil) : .init(lower: figure - 2, upper: figure + 2),
                contributors: nil))
        }
    }
    let table = ReleaseDocument.Table(
        name: "big", title: "A big table", cohort: "cohort-1", measure: "count", column: nil, decimals: 0, dimensions: ["area", "kind"], cells: cells)
    return ReleaseDocument(
        title: "Benchmark", releaseID: "0", statuses: nil, display: nil, rounding: nil, policy: nil,
        cohorts: [.init(id: "cohort-1", filter: nil, measure: "count", column: nil, decimals: 0, smallCountsShown: false, dimensions: ["area", "kind"], within: [], countedBy: ["area", "kind"], empty: [])],
        disjoint: [], families: [],
        dimensions: [
            .init(name: "area", label: nil, column: "ward", total: "T", categories: areas), .init(name: "kind", label: nil, column: "kind", total: "all", categories: kinds),
        ],
        tables: [table], indicators: [])
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 5)
    Benchmark("Write release.json and the CSV file, 249k cells", configuration: configuration) { (benchmark: Benchmark, input: ReleaseDocument) in
        for _ in benchmark.scaledIterations {
            blackHole(input.encoded())
            blackHole(input.tables[0].csv)
        }
    } setup: {
        document()
    }
    Benchmark("Read release.json, 249k cells", configuration: configuration) { (benchmark: Benchmark, input: Data) in
        for _ in benchmark.scaledIterations { blackHole(try! ReleaseDocument.decode(input)) }
    } setup: {
        Data(document().encoded())
    }
}
