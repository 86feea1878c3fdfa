import DiscreetIO
import Foundation

/// The signature of a libFuzzer test function: one input, 0 to keep it in the corpus.
public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: FuzzTest
) -> CInt

/// Hands the process to libFuzzer, which runs `test` on each input (see `-help=1`).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ test: FuzzTest) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, test)
}

/// The input's bytes.
public func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let data, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: count))
}

/// Files shared by every target: the fuzzing spec, its extract and a release made from them.
public enum Fixtures {
    /// `Fuzz/Fixtures`, found from this source file (the targets run from the build tree).
    public static let directory: String = {
        if let path = ProcessInfo.processInfo.environment["DISCREET_FUZZ_FIXTURES"] { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    public static func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}

/// The fuzzing spec (`Fixtures/spec.yaml`), planned once.
public enum FuzzingSpec {
    public static let plan = try! ReleasePipeline.plan(specPath: Fixtures.path("spec.yaml"))
    public static let text = try! String(contentsOfFile: Fixtures.path("spec.yaml"), encoding: .utf8)

    /// Reads `input` against the spec (bad rows quarantined) and holds every report and error
    /// to `leak`. With `spilling`, records go through the store and to the encrypted
    /// temporary file almost at once; without, an input sorted by person is read as a stream,
    /// cut into parts of 64 bytes for two workers, and must give what the store gives.
    public static func ingest(_ input: InputSpec, spilling: Bool, leak: Leak) {
        var options = IngestOptions(onError: .quarantine, memoryBudget: spilling ? 512 : 32 << 20, temporaryDirectory: Scratch.directory, workers: spilling ? 1 : 2)
        options.streamSortedInput = !spilling
        options.partBytes = 64
        do {
            let result = try Ingest(plan: plan, options: options).run(inputs: [input])
            for entry in result.quarantine { leak.check(entry.message + " " + entry.first.joined(separator: " "), "a bad-row report") }
            for conflict in result.conflicts { leak.check(conflict.first.joined(separator: " "), "a conflict report") }
            if !spilling {
                options.streamSortedInput = false
                let stored = try Ingest(plan: plan, options: options).run(inputs: [input])
                func account(_ r: IngestResult) -> [String] {
                    ["\(r.people)"] + r.inputs.map { "\($0.rows) \($0.quarantined) \($0.sha256)" }
                        + r.quarantine.map { "\($0.reason) \($0.column ?? "") \($0.count) \($0.first)" } + r.conflicts.map { "\($0.table) \($0.people)" }
                }
                precondition(result.cohorts == stored.cohorts && account(result) == account(stored), "the stream and the store disagree")
            }
        } catch {
            leak.check("\(error)", "an error")
        }
    }
}

/// A directory of this process's own for the files a target writes each run, removed at
/// exit (and, since a crash skips that, inside `DISCREET_FUZZ_SCRATCH` when set, which
/// `scripts/fuzz` removes after the run).
public enum Scratch {
    public static let directory: String = {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["DISCREET_FUZZ_SCRATCH"] ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        var template = Array("\(base)/discreet-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("cannot make a scratch directory in \(base)") }
        let path = String(cString: made)
        atexit { Scratch.removeAll() }
        return path
    }()

    /// Writes `bytes` to a file of the scratch directory (replacing it) and returns its path.
    @discardableResult
    public static func write(_ bytes: [UInt8], to name: String) -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        var written = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                precondition(n > 0, "cannot write \(path)")
                written += n
            }
        }
        close(fd)
        return path
    }

    /// Copies a directory into the scratch directory once.
    public static func copy(_ source: String, as name: String) -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: path) {
            try! FileManager.default.copyItem(atPath: source, toPath: path)
        }
        return path
    }

    static func removeAll() { try? FileManager.default.removeItem(atPath: directory) }
}

/// The oracle every reader is held to besides not crashing: no message repeats a value of a
/// record. A record's value counts when it looks like an identifier (eight bytes or more,
/// with three digits and two letters or more: a message's own words and locations do not)
/// and appears nowhere in the header or the spec.
public struct Leak {
    let candidates: [[UInt8]]
    let publicText: [UInt8]

    /// The candidate values of a CSV input's records: fields split naively at commas and line
    /// ends (a quoted field's pieces are still pieces of a value).
    public init(csv: [UInt8], publicText: String) {
        var candidates: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        for line in csv.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 10 || $0 == 13 }).dropFirst() {
            for field in line.split(separator: 44) {
                let value = field.filter { $0 != 34 }
                guard value.count >= 8 else { continue }
                let digits = value.count { $0 >= 48 && $0 <= 57 }
                let letters = value.count { ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 }
                if digits >= 3 && letters >= 2 && seen.insert(value).inserted { candidates.append(value) }
            }
        }
        self.candidates = candidates
        self.publicText = Array(publicText.utf8)
    }

    /// Fails (a crash libFuzzer reports) when `message` contains a record's value.
    public func check(_ message: String, _ what: String) {
        let text = Array(message.utf8)
        for value in candidates where Self.find(value, in: text) && !Self.find(value, in: publicText) {
            fatalError("\(what) repeats a value of a record")
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
