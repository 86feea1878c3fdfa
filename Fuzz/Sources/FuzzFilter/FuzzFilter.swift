import DiscreetCore
import FuzzSupport

// A filter's text: parsing it, printing it and parsing that again prints the same text (the
// printed form is what the manifest records, so it must mean what was written);
// a filter that compiles is held to the decision procedure the spec relies on (which cohort
// lies within which): a row the compiled filter passes is one the logic must find possible,
// and a filter the logic calls always true passes every row tried.

let columns: [String: (slot: Int, type: ColumnType)] = [
    "age": (0, .integer), "cost": (1, .decimal(places: 2)), "outcome": (2, .category), "ward": (3, .category), "id": (4, .identifier),
]
let logic = FilterLogic(
    domains: ["age": .number(places: 0), "cost": .number(places: 2), "outcome": .category(values: nil), "ward": .category(values: nil)],
    searchLimit: 100_000)

/// Category codes by slot value: the ones the rows below use, then any a filter names (new
/// for each input, so that memory does not grow with the run).
final class Codes {
    var values: [String: Int64] = ["NEET": 0, "unknown": 1, "EET": 2, "W1": 3]
    func code(_ text: String) -> Int64 {
        if let v = values[text] { return v }
        let v = Int64(100 + values.count)
        values[text] = v
        return v
    }
}
/// Rows to try: each column missing, at the values filters commonly test, and (for
/// categories) at a code no filter names.
let rows: [[Int64]] = {
    var rows: [[Int64]] = []
    for age: Int64 in [RowSlot.missing, -1, 0, 13, 14, 17, 18, 25, 26, 1_000_000] {
        for cost: Int64 in [RowSlot.missing, 0, 150, 151, 99_999] {
            for outcome: Int64 in [RowSlot.missing, 0, 1, 2, 99_999] {
                for ward: Int64 in [RowSlot.missing, 3, 99_999] { rows.append([age, cost, outcome, ward, RowSlot.missing]) }
            }
        }
    }
    return rows
}()

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: bytes(data, count), as: UTF8.self)
    let expression: FilterExpression
    do {
        expression = try FilterExpression.parse(text)
    } catch {
        precondition(error.position >= 1 && error.position <= text.unicodeScalars.count + 1, "an error points outside the filter")
        return 0
    }
    let printed = expression.description
    guard let again = try? FilterExpression.parse(printed) else { fatalError("a printed filter does not parse") }
    precondition(again.description == printed, "printing and parsing changes the filter")

    let codes = Codes()
    let context = FilterProgram.Context(columns: columns) { _, code in codes.code(code) }
    guard let program = try? FilterProgram.compile(expression, context: context) else { return 0 }
    let passing = rows.filter { row in row.withUnsafeBufferPointer { program.evaluate($0.baseAddress!) } }
    if !passing.isEmpty { precondition(logic.disjoint(expression, expression) != true, "the logic calls a filter some row passes impossible") }
    if logic.implies(nil, expression) == true { precondition(passing.count == rows.count, "the logic calls a filter always true that a row fails") }
    precondition(logic.implies(expression, expression) != false, "a filter does not imply itself")
    return 0
}

@_cdecl("FuzzFilter_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
