import CPOSIX
import DiscreetCore
#if canImport(Glibc)
import Glibc
#endif

extension RandomWords {
    /// Words from the operating system's cryptographic generator (Linux's getrandom(2)), read
    /// 64 KiB at a time: the source of every noise draw in a release.
    public static func operatingSystem() -> RandomWords {
        RandomWords(reproducible: false) { buffer in
            let status = buffer.withUnsafeMutableBytes { discreet_random_bytes($0.baseAddress, $0.count) }
            // Never a weaker source instead: noise from a predictable one protects nobody.
            precondition(status == 0, "the operating system's cryptographic generator cannot be read (errno \(errno))")
        }
    }
}
