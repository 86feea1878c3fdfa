import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a release directory atomically: every file goes into a hidden sibling
/// directory, which is renamed into place only when all of them are written and synced.
/// A failure at any point leaves no directory at the destination (or the previous release
/// untouched, when overwriting).
public struct ReleaseDirectory {
    /// Where the release will be.
    public let path: String
    /// Replace an existing release there.
    public let overwrite: Bool
    /// Called before each file is written, with its relative path; throwing aborts the
    /// release (tests use it to inject failures).
    public var beforeEachFile: ((String) throws -> Void)?

    public init(path: String, overwrite: Bool) {
        self.path = path
        self.overwrite = overwrite
    }

    public enum Failure: Error, CustomStringConvertible {
        case exists(String)
        case io(String)

        public var description: String {
            switch self {
            case .exists(let path): return "\(path) already exists: choose another --out, or pass --overwrite to replace it"
            case .io(let message): return message
            }
        }
    }

    /// Fails early when the destination exists and may not be replaced.
    public func checkDestination() throws(Failure) {
        if FileManager.default.fileExists(atPath: path) && !overwrite { throw .exists(path) }
    }

    /// Writes `files` (relative path → content) as the release.
    public func write(_ files: [(path: String, bytes: [UInt8])]) throws(Failure) {
        try checkDestination()
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(parent): \(error.localizedDescription)")
        }
        let staging = try Self.makeTemporaryDirectory(in: parent, prefix: "." + url.lastPathComponent + ".partial-")
        do {
            for file in files {
                try beforeEachFile?(file.path)
                let target = staging + "/" + file.path
                let dir = (target as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try Self.writeSynced(target, file.bytes)
            }
            Self.syncDirectory(staging)
            if FileManager.default.fileExists(atPath: path) {
                // Keep the old release aside until the new one is in place.
                let old = try Self.makeTemporaryDirectory(in: parent, prefix: "." + url.lastPathComponent + ".old-")
                rmdir(old)
                guard rename(path, old) == 0 else { throw Failure.io("cannot move the previous release aside: \(POSIX.lastError)") }
                guard rename(staging, path) == 0 else {
                    let reason = POSIX.lastError
                    _ = rename(old, path)
                    throw Failure.io("cannot move the release into place: \(reason)")
                }
                try? FileManager.default.removeItem(atPath: old)
            } else {
                guard rename(staging, path) == 0 else { throw Failure.io("cannot move the release into place: \(POSIX.lastError)") }
            }
            Self.syncDirectory(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            if let failure = error as? Failure { throw failure }
            throw .io("cannot write the release: \(error)")
        }
    }

    static func makeTemporaryDirectory(in parent: String, prefix: String) throws(Failure) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io("cannot create a directory in \(parent): \(POSIX.lastError)")
        }
        return String(cString: made)
    }

    /// Writes one file atomically: a temporary file beside it, synced, then renamed into
    /// place, readable by its owner only where `mode` says so.
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        let staging = try makeTemporaryDirectory(in: parent, prefix: "." + url.lastPathComponent + ".partial-")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let temporary = staging + "/" + url.lastPathComponent
        try writeSynced(temporary, bytes, mode: mode)
        guard rename(temporary, path) == 0 else { throw .io("cannot move \(path) into place: \(POSIX.lastError)") }
        syncDirectory(parent)
    }

    static func writeSynced(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)
        if fd < 0 { throw .io("cannot create \(path): \(POSIX.lastError)") }
        defer { POSIX.closeFile(fd) }
        var done = 0
        let failure: String? = bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let w = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    return POSIX.lastError
                }
                done += w
            }
            return nil
        }
        if let failure { throw .io("cannot write \(path): \(failure)") }
        if fsync(fd) != 0 { throw .io("cannot sync \(path): \(POSIX.lastError)") }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        POSIX.closeFile(fd)
    }
}
