import CPOSIX
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a release directory atomically: every file goes into a hidden sibling
/// directory, which takes the release's place in one step only when all of them are
/// written and synced. A failure at any point leaves no directory at the destination (or
/// the previous release untouched, when overwriting).
///
/// The hidden directory (`.NAME.partial-PID-XXXXXX`) is locked while its run lives. A run
/// that is killed leaves it behind; the next run writing beside it removes it once its
/// owner is dead (its lock is free and its process gone), and never touches another live
/// run's.
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
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(parent): \(error.localizedDescription)")
        }
        let staging = try Staging(beside: path)
        defer { staging.release() }
        do {
            // (Checked again: the staging may have put back a release a dead run set aside.)
            try checkDestination()
            for file in files {
                try beforeEachFile?(file.path)
                let target = staging.path + "/" + file.path
                let dir = (target as NSString).deletingLastPathComponent
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try Self.writeSynced(target, file.bytes)
            }
            Self.syncDirectory(staging.path)
            if FileManager.default.fileExists(atPath: path) {
                // One step: the new release takes the old one's place, and the old one the
                // hidden directory's, to be removed.
                if discreet_exchange_paths(staging.path, path) == 0 {
                    Self.syncDirectory(parent)
                    try? FileManager.default.removeItem(atPath: staging.path)
                    return
                }
                // Where the file system cannot swap: the old release aside, then the new one
                // in place (a run killed between the two leaves the old one aside, and the
                // next run puts it back).
                let old = try Self.makeTemporaryDirectory(in: parent, prefix: "." + url.lastPathComponent + ".old-\(getpid())-")
                rmdir(old)
                guard rename(path, old) == 0 else { throw Failure.io("cannot move the previous release aside: \(POSIX.lastError)") }
                guard rename(staging.path, path) == 0 else {
                    let reason = POSIX.lastError
                    _ = rename(old, path)
                    throw Failure.io("cannot move the release into place: \(reason)")
                }
                try? FileManager.default.removeItem(atPath: old)
            } else {
                guard rename(staging.path, path) == 0 else { throw Failure.io("cannot move the release into place: \(POSIX.lastError)") }
            }
            Self.syncDirectory(parent)
        } catch {
            try? FileManager.default.removeItem(atPath: staging.path)
            if let failure = error as? Failure { throw failure }
            throw .io("cannot write the release: \(error)")
        }
    }

    /// Writes one file atomically: in a hidden directory beside it (locked, and removed by a
    /// later run if this one dies), synced, then renamed into place, readable by its owner
    /// only where `mode` says so.
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
        let staging = try Staging(beside: path)
        defer {
            try? FileManager.default.removeItem(atPath: staging.path)
            staging.release()
        }
        let temporary = staging.path + "/" + URL(fileURLWithPath: path).lastPathComponent
        try writeSynced(temporary, bytes, mode: mode)
        guard rename(temporary, path) == 0 else { throw .io("cannot move \(path) into place: \(POSIX.lastError)") }
        syncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// A hidden directory beside a destination, locked for as long as its run holds it.
    struct Staging {
        let path: String
        private let lock: Int32

        /// Removes what dead runs left beside `target`, then makes this run's directory.
        init(beside target: String) throws(Failure) {
            let url = URL(fileURLWithPath: target)
            let parent = url.deletingLastPathComponent().path
            let name = url.lastPathComponent
            Self.removeLeftovers(in: parent, name: name)
            path = try makeTemporaryDirectory(in: parent, prefix: "." + name + ".partial-\(getpid())-")
            lock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                let reason = POSIX.lastError
                if lock >= 0 { POSIX.closeFile(lock) }
                try? FileManager.default.removeItem(atPath: path)
                throw .io("cannot lock \(path): \(reason)")
            }
        }

        func release() { POSIX.closeFile(lock) }

        /// Whether the process whose id a hidden directory's name carries is running.
        static func running(_ entry: String) -> Bool {
            guard let mark = entry.range(of: ".partial-") ?? entry.range(of: ".old-") else { return false }
            guard let pid = Int32(entry[mark.upperBound...].prefix { $0 != "-" }) else { return false }
            return kill(pid, 0) == 0 || errno == EPERM
        }

        /// The hidden directories of earlier runs beside `name` whose runs are dead (their
        /// lock is free): a half-written release is removed; a previous release set aside
        /// and never replaced is put back.
        static func removeLeftovers(in parent: String, name: String) {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
            let target = parent + "/" + name
            for entry in entries.sorted() where entry.hasPrefix("." + name + ".partial-") || entry.hasPrefix("." + name + ".old-") {
                let leftover = parent + "/" + entry
                let fd = open(leftover, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { POSIX.closeFile(fd) }
                // Held, or made by a process still running (which may not have locked it
                // yet): its run is alive.
                guard flock(fd, LOCK_EX | LOCK_NB) == 0, !Self.running(entry) else { continue }
                if entry.hasPrefix("." + name + ".old-") && !FileManager.default.fileExists(atPath: target) && rename(leftover, target) == 0 { continue }
                try? FileManager.default.removeItem(atPath: leftover)
            }
        }
    }

    static func makeTemporaryDirectory(in parent: String, prefix: String) throws(Failure) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io("cannot create a directory in \(parent): \(POSIX.lastError)")
        }
        return String(cString: made)
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
