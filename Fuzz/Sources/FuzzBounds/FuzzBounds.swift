import DiscreetCore
import DiscreetIO
import FuzzSupport

// A bounds file for `audit --bounds` (what an attacker is assumed to know of each cell),
// read against the fuzzing release; bounds that read are then used by the whole audit.

let releaseDirectory = Fixtures.path("release")
let release = try! ReleaseReader.read(directory: releaseDirectory)

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let path = Scratch.write(bytes(data, count), to: "bounds.csv")
    do {
        let bounds = try AuditBounds.read(path: path, release: release)
        for (_, quantities) in bounds {
            for (_, cells) in quantities {
                for (_, b) in cells {
                    if let l = b.lower, let u = b.upper { precondition(l <= u, "bounds read with lower above upper") }
                }
            }
        }
        _ = try PublishedAudit.run(directory: releaseDirectory, boundsFile: path)
    } catch {
        precondition(error.description.hasPrefix(path), "an error that does not name the bounds file")
    }
    return 0
}

@_cdecl("FuzzBounds_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
