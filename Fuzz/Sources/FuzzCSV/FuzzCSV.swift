import DiscreetCore
import DiscreetIO
import FuzzSupport

// An extract, read against the fuzzing spec: the CSV reader with a small buffer must see
// exactly the records it sees with a large one; then the rows are classified and grouped by
// person into the spec's tables (spilling to the encrypted temporary file half the time).
// No message may repeat a record's value. (Protection is fuzzed through the spec target.)

let plan = try! ReleasePipeline.plan(specPath: Fixtures.path("spec.yaml"))
let specText = try! String(contentsOfFile: Fixtures.path("spec.yaml"), encoding: .utf8)

/// Every record, field by field, as the reader sees it with a buffer of `size` bytes.
func records(_ path: String, bufferSize size: Int) -> (header: [String], records: [[[UInt8]]], issues: [String], error: CSVError?) {
    let reader: CSVReader
    do {
        reader = try CSVReader(path: path, bufferSize: size)
    } catch {
        return ([], [], [], error)
    }
    defer { reader.close() }
    var result: [[[UInt8]]] = []
    var issues: [String] = []
    var line = 0
    do {
        while try reader.next() {
            precondition(reader.recordLine > line, "record lines go forward")
            line = reader.recordLine
            result.append((0..<reader.fieldCount).map { Array(reader.field($0)) })
            if let issue = reader.issue { issues.append("\(reader.recordLine): \(issue)") }
        }
    } catch {
        return (reader.header, result, issues, error)
    }
    return (reader.header, result, issues, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(data, count)
    let path = Scratch.write(input, to: "extract.csv")

    let small = records(path, bufferSize: 1 + (count * 7) % 61)
    let large = records(path, bufferSize: count + 16)
    precondition(small.header == large.header && small.records == large.records && small.issues == large.issues && small.error == large.error,
        "the buffer size changes what is read")

    let leak = Leak(csv: input, publicText: specText + large.header.joined(separator: ","))
    for issue in large.issues { leak.check(issue, "a CSV issue") }
    if let error = large.error { leak.check("\(error)", "a CSV error") }

    let options = IngestOptions(onError: .quarantine, memoryBudget: count % 2 == 0 ? 512 : 32 << 20, temporaryDirectory: Scratch.directory, workers: 1)
    do {
        let result = try Ingest(plan: plan, options: options).run(inputs: [InputSpec(path: path, format: .csv)])
        for entry in result.quarantine {
            leak.check(entry.message + " " + entry.first.joined(separator: " "), "a bad-row report")
        }
        for conflict in result.conflicts { leak.check(conflict.first.joined(separator: " "), "a conflict report") }
    } catch {
        leak.check("\(error)", "an error")
    }
    return 0
}

@_cdecl("FuzzCSV_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
