#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One part of a CSV extract sorted by person, cut at a line end so that each core reads
/// its own part; the parts' tables are then added together.
///
/// A cut can fall inside a person's rows, or inside a quoted field that spans lines. So a
/// part (after the first) leaves the rows of the person it starts in to the part before,
/// which reads on past the cut to the end of that person. Where the two meet is checked
/// afterwards: the record the part before read first at or after the cut must be the
/// record this part read first (so the cut was a record boundary, not a line end inside
/// quotes), and the part before must stop where this part began taking rows. When either
/// check fails, the file is read again on one core.
final class FilePart {
    /// Where this part starts reading (nil: after the header) and the line it starts on.
    let start: (offset: Int, line: Int)?
    /// Where the next part starts reading (nil: this is the last part).
    let next: Int?
    /// The first record read, and the first taken (after the rows of the person this part
    /// leaves to the part before).
    private(set) var firstRead: Int?
    private(set) var firstTaken: Int?
    /// The first record read at or after ``next``, and the first record not taken (where
    /// the person met there ends; nil: the end of the file).
    private(set) var firstAtNext: Int?
    private(set) var stop: Int?
    /// Whether this part could not find its edges: its first person runs past the next cut,
    /// or takes up the whole part.
    private(set) var failed = false
    private var edge: [UInt8] = []

    init(start: (offset: Int, line: Int)?, next: Int?) {
        self.start = start
        self.next = next
    }

    enum Decision { case take, skip, stop }

    /// What to do with the record at `offset` whose person's identifier (as written) is `id`.
    func decide(offset: Int, id: UnsafeRawBufferPointer) -> Decision {
        if start != nil && firstTaken == nil {
            if let next, offset >= next {
                failed = true
                return .stop
            }
            if firstRead == nil {
                firstRead = offset
                edge = Array(id)
                return .skip
            }
            if isEdge(id) { return .skip }
            firstTaken = offset
        }
        if let next, offset >= next {
            if firstAtNext == nil {
                firstAtNext = offset
                edge = Array(id)
                return .take
            }
            if isEdge(id) { return .take }
            stop = offset
            return .stop
        }
        return .take
    }

    /// At the end of the file: a part that never took a row failed.
    func finish() {
        if start != nil && firstTaken == nil { failed = true }
    }

    private func isEdge(_ id: UnsafeRawBufferPointer) -> Bool {
        id.count == edge.count && edge.withUnsafeBytes { id.count == 0 || memcmp($0.baseAddress!, id.baseAddress!, id.count) == 0 }
    }

    /// Whether `later`, the part after this one, starts where this one stops.
    func meets(_ later: FilePart) -> Bool {
        !failed && !later.failed && firstAtNext != nil && firstAtNext == later.firstRead && stop != nil && stop == later.firstTaken
    }

    /// Up to `count` places to cut a file of `size` bytes: the starts of the lines after
    /// equal shares of it (fewer when a share has no line end).
    static func cuts(path: String, size: Int, count: Int) -> [Int] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0, count > 1 else { return [] }
        defer { POSIX.closeFile(fd) }
        let window = 1 << 16
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: window)
        defer { buffer.deallocate() }
        var cuts: [Int] = []
        for k in 1..<count {
            var offset = max(size / count * k, (cuts.last ?? 0) + 1)
            var found: Int?
            // Within a share: a line longer than that is no place to cut.
            let limit = min(size, offset + size / count)
            while found == nil && offset < limit {
                let got = pread(fd, buffer, window, off_t(offset))
                if got <= 0 { break }
                if let i = (0..<got).first(where: { buffer[$0] == 0x0A }) { found = offset + i + 1 }
                offset += got
            }
            guard let cut = found, cut < size else { break }
            cuts.append(cut)
        }
        return cuts
    }

    /// The number of the line starting at `offset` (a line start), counting line ends as
    /// ``CSVReader`` does: LF, CRLF and a lone CR each end one line.
    static func line(at offset: Int, path: String) throws(CSVError) -> Int {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { POSIX.closeFile(fd) }
        let window = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: window + 8, alignment: 8)
        defer { buffer.deallocate() }
        var lines = 1
        var position = 0
        while position < offset {
            let share = min(window, offset - position)
            // One byte more where there is one, to see whether a CR ends the share's last line.
            let got = pread(fd, buffer, position + share < offset ? share + 1 : share, off_t(position))
            if got < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            let counted = min(got, share)
            let (lf, cr) = countLineEnds(UnsafeRawBufferPointer(start: buffer, count: counted))
            lines += lf
            if cr > 0 {
                let bytes = buffer.assumingMemoryBound(to: UInt8.self)
                for i in 0..<counted where bytes[i] == 0x0D && (i + 1 == got || bytes[i + 1] != 0x0A) { lines += 1 }
            }
            position += counted
        }
        return lines
    }

    /// The LF and CR bytes in `bytes`, eight at a time.
    static func countLineEnds(_ bytes: UnsafeRawBufferPointer) -> (lf: Int, cr: Int) {
        @inline(__always) func matches(_ w: UInt64, _ pattern: UInt64) -> Int {
            let x = w ^ pattern
            let t = ((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x
            return (~t & 0x8080_8080_8080_8080).nonzeroBitCount
        }
        var lf = 0, cr = 0, i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            lf += matches(w, 0x0A0A_0A0A_0A0A_0A0A)
            cr += matches(w, 0x0D0D_0D0D_0D0D_0D0D)
            i += 8
        }
        while i < n {
            if bytes[i] == 0x0A { lf += 1 } else if bytes[i] == 0x0D { cr += 1 }
            i += 1
        }
        return (lf, cr)
    }
}
