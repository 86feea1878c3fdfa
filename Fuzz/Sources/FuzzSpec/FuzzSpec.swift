import DiscreetCore
import DiscreetIO
import FuzzSupport

// A release spec's YAML: read and checked, planned, and where it plans, the release computed
// from the fuzzing extract (classification, protection, rounding, audit). Every setting a
// mutation reaches is one a data officer could write. No message may repeat a record's value.

let extractPath = Fixtures.path("extract.csv")
let extract = Array(try! String(contentsOfFile: extractPath, encoding: .utf8).utf8)

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = bytes(data, count)
    let leak = Leak(csv: extract, publicText: String(decoding: input, as: UTF8.self))
    let spec: ReleaseSpec
    do {
        spec = try SpecReader.parse(bytes: input, path: "spec.yaml", directory: Fixtures.directory)
    } catch {
        for problem in error.problems {
            precondition(problem.location.line >= 0 && problem.location.column >= 0, "a problem located before the file")
        }
        return 0
    }
    let plan: ReleasePlan
    do {
        plan = try ReleasePlan(spec: spec)
    } catch {
        return 0
    }
    let options = IngestOptions(onError: .quarantine, temporaryDirectory: Scratch.directory, workers: 1)
    do {
        let release = try ReleasePipeline.compute(
            plan: plan, inputs: [InputSpec(path: extractPath, format: .csv)], options: options, randomness: .reproducible(seed: 1))
        for entry in release.ingest.quarantine { leak.check(entry.message + " " + entry.first.joined(separator: " "), "a bad-row report") }
        for finding in release.findings { leak.check("\(finding)", "an audit finding") }
        for fallback in release.fallbacks { leak.check(fallback, "a fallback note") }
    } catch {
        leak.check("\(error)", "an error")
    }
    return 0
}

@_cdecl("FuzzSpec_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
