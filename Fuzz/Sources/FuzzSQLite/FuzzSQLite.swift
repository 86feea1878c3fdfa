import DiscreetCore
import DiscreetIO
import FuzzSupport

// A SQLite extract (the whole database file), read against the fuzzing spec: SQLite's own
// checks meet a damaged file first; whatever it lets through, the reader and the row
// classification must handle without crashing, and no message may repeat a record's value.

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(data, count)
    let path = Scratch.write(input, to: "extract.sqlite")
    // The identifiers of the seeds are long runs of letters and digits: any such run in the
    // file that is not in the spec counts as a record's value.
    let leak = Leak(csv: [65, 10] + input.map { ($0 >= 48 && $0 <= 57) || (($0 | 0x20) >= 97 && ($0 | 0x20) <= 122) ? $0 : 10 }, publicText: FuzzingSpec.text)

    // The reader alone: every row, every field.
    if let reader = try? SQLiteReader(path: path, table: nil) {
        var fields = 0
        while (try? reader.next()) == true {
            for i in 0..<reader.fieldCount { fields &+= reader.field(i).count }
        }
        reader.close()
        _ = fields
    }
    FuzzingSpec.ingest(InputSpec(path: path, format: .sqlite), spilling: count % 2 == 0, leak: leak)
    return 0
}

@_cdecl("FuzzSQLite_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
