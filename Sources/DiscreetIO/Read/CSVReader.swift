import DiscreetCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure that stops reading a CSV file.
public enum CSVError: Error, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    /// The file has no header row.
    case empty(path: String)
    /// A quoted field of the header, opened on `line` in field `column`, is never closed (in
    /// a record after the header, an unclosed quote is a ``RowIssue`` and reading goes on).
    case unterminatedQuote(path: String, line: Int, column: Int)
    /// A record longer than the reader accepts, with no opening quote to take as unclosed.
    case recordTooLong(path: String, line: Int)
}

/// A streaming RFC 4180 reader that works on bytes.
///
/// Handles a header row, quoted fields with embedded commas, doubled quotes and line
/// breaks, LF, CRLF and CR line ends, a UTF-8 byte-order mark, and a last record with or
/// without a line end. Memory is one buffer (1 MiB, grown only for a longer record). Fields
/// are views into the buffer, valid until the next call to ``next()``: no `String` is
/// made per field.
///
/// Malformed quoting in a record is reported through ``issue`` (with the field) and the
/// reader moves on to the next record. A quote that opens a field and is never closed (or
/// is closed lines later with text after it) makes the record its opening line: the issue
/// names that field, and reading resumes on the next line, so one stray quote does not
/// swallow the rest of the file. Only an unclosed quote in the header stops the reader.
public final class CSVReader {
    public let path: String
    /// The header's field names (UTF-8, byte-order mark removed).
    public private(set) var header: [String] = []
    /// The physical line (1-based) on which the current record starts.
    @exclusivity(unchecked) public private(set) var recordLine = 0
    /// A quoting problem in the current record, if any, with the field (1-based) it is in.
    @exclusivity(unchecked) public private(set) var issue: RowIssue? {
        didSet { hasIssue = issue != nil }
    }
    /// Whether the current record has a quoting problem (without copying it).
    @exclusivity(unchecked) public private(set) var hasIssue = false
    /// Bytes read from the file so far.
    @exclusivity(unchecked) public private(set) var bytesRead = 0
    /// Where in the file the current record starts (a byte offset).
    public var recordOffset: Int { bufferOffset + recordStart }

    /// The longest record accepted, in bytes. A longer one that opens a quoted field is taken
    /// as an unclosed quote (reported, and reading resumes after its first line); one without
    /// a quote stops the reader.
    public static let maximumRecordLength = 1 << 28

    // The scanning state is read and written for every byte and field: raw storage and
    // unchecked exclusivity keep the runtime out of the inner loops (the reader is used by
    // one thread at a time).
    private let fd: Int32
    @exclusivity(unchecked) private var buffer: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var eof = false
    @exclusivity(unchecked) private var nextLine = 1
    /// The file offset of the buffer's first byte, and where the current record starts in it.
    @exclusivity(unchecked) private var bufferOffset = 0
    @exclusivity(unchecked) private var recordStart = 0
    /// Per field of the current record: start and end offsets in the buffer, and whether
    /// doubled quotes remain to be undone.
    @exclusivity(unchecked) private var starts: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private var ends: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private var escaped: UnsafeMutablePointer<Bool>
    @exclusivity(unchecked) private var fieldCapacity = 64
    @exclusivity(unchecked) private var count = 0
    /// Set while a record that outgrew ``maximumRecordLength`` is scanned again: an opening
    /// quote at or after this offset is taken as unclosed without looking for its close.
    @exclusivity(unchecked) private var unclosedFrom = Int.max
    private let recordLimit: Int
    private var closed = false

    /// The number of fields in the current record.
    public var fieldCount: Int { count }

    /// Opens a file and reads its header row.
    public convenience init(path: String, bufferSize: Int = 1 << 20) throws(CSVError) {
        try self.init(path: path, bufferSize: bufferSize, recordLimit: Self.maximumRecordLength)
    }

    /// For tests: a smaller limit on the length of a record.
    init(path: String, bufferSize: Int, recordLimit: Int) throws(CSVError) {
        self.path = path
        self.recordLimit = recordLimit
        fd = open(path, O_RDONLY)
        if fd < 0 { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        // No bigger than a small file needs (hierarchy and bounds files, small extracts).
        var info = stat()
        let fileSize = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : Int.max
        capacity = max(min(bufferSize, fileSize &+ 1), 1)
        buffer = .allocate(capacity: capacity)
        starts = .allocate(capacity: fieldCapacity)
        ends = .allocate(capacity: fieldCapacity)
        escaped = .allocate(capacity: fieldCapacity)
        do {
            try fill()
            while end - start < 3 && !eof { try fill() }
            if end - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF { start += 3 }
            guard try parse() else { throw CSVError.empty(path: path) }
            if let issue, issue.kind == .unclosedQuote { throw CSVError.unterminatedQuote(path: path, line: recordLine, column: issue.field ?? 1) }
            header = (0..<count).map { i in
                String(decoding: UnsafeRawBufferPointer(start: buffer + starts[i], count: ends[i] - starts[i]), as: UTF8.self)
            }
        } catch let error as CSVError {
            close()
            throw error
        } catch {
            close()
            throw .readFailed(path: path, reason: "\(error)")
        }
    }

    /// Opens a file, reads its header row, then moves to `offset`, the start of a line that is
    /// line number `line`: a part of a file split at line ends, read on its own core.
    public convenience init(path: String, from offset: Int, line: Int) throws(CSVError) {
        try self.init(path: path)
        guard offset > 0, !closed else { return }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            let reason = String(cString: strerror(errno))
            close()
            throw .readFailed(path: path, reason: reason)
        }
        start = 0
        end = 0
        eof = false
        bufferOffset = offset
        recordStart = 0
        nextLine = line
        bytesRead = 0
    }

    deinit { close() }

    /// Closes the file; further reads return nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        POSIX.closeFile(fd)
        buffer.deallocate()
        starts.deallocate()
        ends.deallocate()
        escaped.deallocate()
    }

    /// Moves to the next record, skipping blank lines; `false` at the end of the file.
    public func next() throws(CSVError) -> Bool {
        guard !closed else { return false }
        while true {
            guard try parse() else { return false }
            // A blank line is one empty unquoted field: skip it, unless the file has one column.
            if count == 1 && ends[0] == starts[0] && header.count > 1 && !hasIssue { continue }
            return true
        }
    }

    /// The bytes of field `i` of the current record (quotes removed, doubled quotes undone).
    @inline(__always)
    public func field(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer + starts[i], count: ends[i] - starts[i])
    }

    // MARK: - Scanning

    private enum Scan {
        case record(next: Int, lines: Int)
        case needMore
        case endOfInput
    }

    /// Parses one record at `start`, refilling the buffer as needed.
    private func parse() throws(CSVError) -> Bool {
        while true {
            switch try scan() {
            case .record(let next, let lines):
                unclosedFrom = Int.max
                recordStart = start
                recordLine = nextLine
                nextLine += lines
                start = next
                unescape()
                return true
            case .endOfInput:
                return false
            case .needMore:
                if end - start >= recordLimit {
                    // Most likely a stray quote swallowing the file: scan the record again
                    // taking its first opening quote as unclosed.
                    if unclosedFrom == Int.max {
                        unclosedFrom = start
                        continue
                    }
                    throw .recordTooLong(path: path, line: nextLine)
                }
                try fill()
            }
        }
    }

    @inline(__always)
    private func record(_ i: Int, _ s: Int, _ e: Int, _ esc: Bool) {
        if i == fieldCapacity { growFields() }
        starts[i] = s
        ends[i] = e
        escaped[i] = esc
    }

    private func growFields() {
        func grow<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: fieldCapacity * 2)
            new.update(from: old, count: fieldCapacity)
            old.deallocate()
            return new
        }
        starts = grow(starts)
        ends = grow(ends)
        escaped = grow(escaped)
        fieldCapacity *= 2
    }

    private func scan() throws(CSVError) -> Scan {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        let b = buffer
        let end = self.end
        let atEOF = eof
        var p = start
        if p == end { return atEOF ? .endOfInput : .needMore }
        var lines = 0
        var n = 0
        if hasIssue { issue = nil }
        while true {
            if p < end && b[p] == quote {
                // Quoted field.
                let opening = p
                let linesBefore = lines
                p += 1
                let contentStart = p
                var hasEscape = false
                var contentEnd = p
                var unclosed = opening >= unclosedFrom
                while !unclosed {
                    while p < end && b[p] != quote {
                        if b[p] == lf {
                            lines += 1
                        } else if b[p] == cr {
                            if p + 1 == end && !atEOF { return .needMore }
                            if p + 1 == end || b[p + 1] != lf { lines += 1 }
                        }
                        p += 1
                    }
                    if p == end {
                        if !atEOF { return .needMore }
                        unclosed = true
                        break
                    }
                    if p + 1 == end && !atEOF { return .needMore }
                    if p + 1 < end && b[p + 1] == quote {
                        hasEscape = true
                        p += 2
                        continue
                    }
                    contentEnd = p
                    p += 1
                    break
                }
                // Closed lines later with text after the close: the quote was a stray one
                // that swallowed line ends; treat it as unclosed.
                if !unclosed && lines > linesBefore && p < end && b[p] != comma && b[p] != lf && b[p] != cr { unclosed = true }
                if unclosed {
                    // The record ends at its opening line's end; reading resumes after it.
                    var e = contentStart
                    while e < end && b[e] != lf && b[e] != cr { e += 1 }
                    issue = RowIssue(.unclosedQuote, field: n + 1)
                    record(n, contentStart, e, false)
                    count = n + 1
                    if e == end { return .record(next: e, lines: linesBefore) }
                    var next = e + 1
                    if b[e] == cr && next < end && b[next] == lf { next += 1 }
                    return .record(next: next, lines: linesBefore + 1)
                }
                if p < end && b[p] != comma && b[p] != lf && b[p] != cr {
                    if !hasIssue { issue = RowIssue(.malformedQuoting, field: n + 1, found: 2) }
                    while p < end && b[p] != comma && b[p] != lf && b[p] != cr { p += 1 }
                    if p == end && !atEOF { return .needMore }
                }
                record(n, contentStart, contentEnd, hasEscape)
            } else {
                let fieldStart = p
                while p < end {
                    let c = b[p]
                    if c == comma || c == lf || c == cr { break }
                    if c == quote && !hasIssue { issue = RowIssue(.malformedQuoting, field: n + 1, found: 1) }
                    p += 1
                }
                if p == end && !atEOF { return .needMore }
                record(n, fieldStart, p, false)
            }
            n += 1
            if p == end {
                count = n
                return .record(next: p, lines: 0)
            }
            let c = b[p]
            if c == comma {
                p += 1
                continue
            }
            if c == lf {
                count = n
                return .record(next: p + 1, lines: lines + 1)
            }
            // CR, alone or before LF.
            if p + 1 == end && !atEOF { return .needMore }
            p += 1
            if p < end && b[p] == lf { p += 1 }
            count = n
            return .record(next: p, lines: lines + 1)
        }
    }

    /// Undoes doubled quotes in place (the content only shrinks).
    private func unescape() {
        for i in 0..<count where escaped[i] {
            var r = starts[i]
            var w = starts[i]
            while r < ends[i] {
                buffer[w] = buffer[r]
                r += buffer[r] == 0x22 ? 2 : 1
                w += 1
            }
            ends[i] = w
            escaped[i] = false
        }
    }

    /// Moves unread bytes to the front and reads more, growing the buffer for a long record.
    private func fill() throws(CSVError) {
        guard !eof else { return }
        if start > 0 {
            let rest = end - start
            if rest > 0 { buffer.update(from: buffer + start, count: rest) }
            // Field offsets of a partly scanned record are recomputed by the next scan.
            end = rest
            bufferOffset += start
            start = 0
        }
        if end == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        while true {
            let got = read(fd, buffer + end, capacity - end)
            if got < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 {
                eof = true
            } else {
                end += got
                bytesRead += got
            }
            return
        }
    }
}
