#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls the readers and writers use.
enum POSIX {
    static func closeFile(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    static var lastError: String { String(cString: strerror(errno)) }

    /// The size of a regular file, or nil.
    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// SHA-256 of a whole file, read in 1 MiB blocks.
    static func sha256(path: String) throws(CSVError) -> String {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .cannotOpen(path: path, reason: lastError) }
        defer { closeFile(fd) }
        var hasher = SHA256()
        let size = 1 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { block.deallocate() }
        while true {
            let got = read(fd, block, size)
            if got < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: lastError)
            }
            if got == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: block, count: got))
        }
        return hasher.finalizeHex()
    }
}
