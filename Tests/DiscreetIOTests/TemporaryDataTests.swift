import Foundation
import Testing
@testable import DiscreetIO

#if canImport(Glibc)
import Glibc
#endif

/// What a run leaves on disk while it works, and after it dies: spill files with no name,
/// encrypted with a key that stays in memory; hidden directories beside the release that
/// the next run removes once their owner is dead.
@Suite struct TemporaryDataTests {
    static func hex(_ s: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            bytes.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return bytes
    }

    /// RFC 8439, sections 2.3.2 (the block function) and 2.4.2 (encryption).
    @Test func chaCha20MatchesRFC8439() {
        let cipher = ChaCha20(key: Array(0..<32))
        var block = [UInt8](repeating: 0, count: 64)
        block.withUnsafeMutableBytes { cipher.apply($0, nonce: (0x0900_0000, 0x4a00_0000, 0), counter: 1) }
        #expect(block == Self.hex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"))
        let plain = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        var text = plain
        text.withUnsafeMutableBytes { cipher.apply($0, nonce: (0, 0x4a00_0000, 0), counter: 1) }
        #expect(text == Self.hex(
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d"))
        text.withUnsafeMutableBytes { cipher.apply($0, nonce: (0, 0x4a00_0000, 0), counter: 1) }
        #expect(text == plain)
    }

    /// A run paused once every row is read, with its records spilled: the temporary
    /// directory lists nothing of it, and the spill file (read through its descriptor)
    /// holds no identifier of the input in clear; counting from it stays exact.
    @Test func spillFilesHaveNoNameAndNoIdentifierInClear() throws {
        var rows = "id,ward,age,sex,cost,outcome,extra\n"
        var people = Set<Int>()
        var rng: UInt64 = 7
        for _ in 0..<20_000 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1
            let person = Int(rng >> 40) % 6000
            people.insert(person)
            rows += "SECRET-\(person),\(["w1", "w2", "w3"][person % 3]),\(14 + person % 12),\(person % 2 == 0 ? "F" : "M"),1.00,,x\n"
        }
        let f = try Fixture(data: rows)
        let temporary = f.dir.path + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let seen = SeenSpill()
        var options = IngestOptions(onError: .stop, memoryBudget: 1 << 16, temporaryDirectory: temporary)
        options.workers = 2
        options.beforeGrouping = { fd in seen.look(fd, directory: temporary) }
        let result = try Ingest(plan: f.plan, options: options).run(inputs: [f.input])
        #expect(result.spilled)
        let look = seen.result
        #expect(look.bytes > 100_000)
        #expect(look.listed == [])
        #expect(look.link.hasSuffix("(deleted)"), "\(look.link)")
        #expect(!look.clear)
        #expect(f.value(result, "people", ["CITY", "ALL"]) == Int64(people.count))
        // The same search finds the identifiers where they are in clear.
        #expect(SeenSpill.contains(Array(rows.utf8), Array("SECRET-".utf8)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary) == [])
    }

    /// What the pause saw.
    final class SeenSpill: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: (bytes: Int, listed: [String], link: String, clear: Bool) = (0, [], "", true)

        var result: (bytes: Int, listed: [String], link: String, clear: Bool) { lock.withLock { seen } }

        func look(_ fd: Int32?, directory: String) {
            guard let fd else { return }
            let size = Int(lseek(fd, 0, SEEK_END))
            var bytes = [UInt8](repeating: 0, count: size)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, size, 0) }
            let listed = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["?"]
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? ""
            lock.withLock { seen = (got, listed, link, Self.contains(bytes, Array("SECRET-".utf8))) }
        }

        static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            guard haystack.count >= needle.count else { return false }
            for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
                if Array(haystack[i..<(i + needle.count)]) == needle { return true }
            }
            return false
        }
    }

    /// The id of a process that has ended.
    static func deadProcess() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// Beside a release: a half-written one whose run died is removed, one whose run lives
    /// (it holds the lock) is kept, and a previous release set aside by a run that died
    /// before putting the new one in place is put back.
    @Test func leftoversOfDeadRunsAreRemovedAndLiveOnesKept() throws {
        let dir = TemporaryDirectory()
        let out = dir.path + "/release"
        let dead = try Self.deadProcess()
        let stale = dir.path + "/.release.partial-\(dead)-abcdef"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        dir.file(".release.partial-\(dead)-abcdef/people.csv", "id\nSECRET\n")
        let live = dir.path + "/.release.partial-\(getpid())-ghijkl"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        let held = open(live, O_RDONLY | O_DIRECTORY)
        #expect(flock(held, LOCK_EX | LOCK_NB) == 0)
        defer { close(held) }
        let aside = dir.path + "/.release.old-\(dead)-mnopqr"
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        dir.file(".release.old-\(dead)-mnopqr/manifest.json", "{}")

        // The previous release comes back, so the new one must replace it.
        #expect(throws: ReleaseDirectory.Failure.self) { try ReleaseDirectory(path: out, overwrite: false).write([("manifest.json", Array("new".utf8))]) }
        #expect(FileManager.default.fileExists(atPath: out + "/manifest.json"))
        #expect(!FileManager.default.fileExists(atPath: stale) && !FileManager.default.fileExists(atPath: aside))
        #expect(FileManager.default.fileExists(atPath: live))
        try ReleaseDirectory(path: out, overwrite: true).write([("manifest.json", Array("new".utf8))])
        #expect(try String(contentsOfFile: out + "/manifest.json", encoding: .utf8) == "new")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == [".release.partial-\(getpid())-ghijkl", "release"])
    }
}
