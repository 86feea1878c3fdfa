import DiscreetCore
import DiscreetIO
import FuzzSupport

// An extract, read against the fuzzing spec: the CSV reader with a small buffer must see
// exactly the records it sees with a large one; then the rows are classified and grouped by
// person into the spec's tables (spilling to the encrypted temporary file half the time).
// No message may repeat a record's value. (Protection is fuzzed through the spec target.)

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

    let leak = Leak(csv: input, publicText: FuzzingSpec.text + large.header.joined(separator: ","))
    for issue in large.issues { leak.check(issue, "a CSV issue") }
    if let error = large.error { leak.check("\(error)", "a CSV error") }

    FuzzingSpec.ingest(InputSpec(path: path, format: .csv), spilling: count % 2 == 0, leak: leak)
    return 0
}

@_cdecl("FuzzCSV_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
