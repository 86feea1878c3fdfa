import DiscreetCore
import DiscreetIO
import FuzzSupport

// A release's release.json, as `discreet audit` reads it: decoded, rebuilt into the hidden
// table its figures come from, checked against the other files (which stay as written, so
// the manifest's checksums mostly disagree: a finding, not a failure) and audited.

let directory = Scratch.copy(Fixtures.path("release"), as: "release")

@_cdecl("LLVMFuzzerTestOneInput")
func test(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    // (`directory` first: a global is made on first use, and it copies the release.)
    _ = directory
    Scratch.write(bytes(data, count), to: "release/release.json")
    do {
        let audit = try PublishedAudit.run(directory: directory)
        for report in audit.reports.joined() {
            for (_, interval) in report.intervals { if let upper = interval.upper { precondition(interval.lower <= upper, "an interval with its ends crossed") } }
        }
    } catch {
        precondition(error.description.hasPrefix(directory), "an error that does not name the release")
    }
    return 0
}

@_cdecl("FuzzRelease_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, test)
}
