import DiscreetCore
import DiscreetIO
import FuzzSupport

// A partner's own table or indicator file for `discreet check`, read against the fuzzing
// spec (as a workbook where it starts as a ZIP archive does, `PK`): bad input is a problem
// naming the file, never a crash; a table that reads is checked, and where it can be
// repaired, the repair passes the check.

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(data, count)
    let path = Scratch.write(input, to: input.starts(with: [0x50, 0x4B]) ? "table.xlsx" : "table.csv")
    let plan = FuzzingSpec.plan
    let table: SubmittedTable
    do {
        table = try SubmittedTableReader.read(path: path, plan: plan)
    } catch {
        precondition(!error.problems.isEmpty && error.problems.allSatisfy { $0.path == path }, "a problem that does not name the table's file")
        return 0
    }
    _ = SubmittedTableReader.check(table, plan: plan)
    guard table.indicator == nil else { return 0 }
    let primary = plan.spec.protection.primary
    guard let more = try? SubmittedTableRepair.additionalSuppressions(
        shape: table.shape, values: table.values, withheld: table.withheld, bounds: table.bounds, primary: primary, secondary: plan.spec.protection.secondary)
    else { return 0 }
    var values = table.values
    var withheld = table.withheld
    for c in more {
        precondition(values[c] != nil, "the repair withholds a cell the table does not publish")
        values[c] = nil
        withheld[c] = true
    }
    let left = SubmittedTableCheck.run(shape: table.shape, values: values, withheld: withheld, bounds: table.bounds, primary: primary)
    precondition(left.isEmpty, "a repaired table fails the check")
    return 0
}

@_cdecl("FuzzCheck_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
