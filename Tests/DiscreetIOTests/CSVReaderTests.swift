import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// A file in a fresh temporary directory, removed with it.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "discreet-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func file(_ name: String, _ content: String) -> String { file(name, Array(content.utf8)) }

    @discardableResult
    func file(_ name: String, _ bytes: [UInt8]) -> String {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: full, contents: Data(bytes)))
        return full
    }
}

struct ReadRecord: Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]
    var issue: RowIssueKind?
    var description: String { "\(line): \(fields)\(issue.map { " \($0)" } ?? "")" }
}

/// Reads every record of a file with a given buffer size.
func readAll(_ path: String, bufferSize: Int, recordLimit: Int = CSVReader.maximumRecordLength) throws -> (header: [String], records: [ReadRecord]) {
    let reader = try CSVReader(path: path, bufferSize: bufferSize, recordLimit: recordLimit)
    var records: [ReadRecord] = []
    while try reader.next() {
        let fields = (0..<reader.fieldCount).map { String(decoding: reader.field($0), as: UTF8.self) }
        records.append(ReadRecord(line: reader.recordLine, fields: fields, issue: reader.issue?.kind))
    }
    return (reader.header, records)
}

@Suite struct CSVReaderTests {
    /// Every buffer size from 1 byte up, so that each record and field straddles a refill somewhere.
    static let bufferSizes = Array(1...24) + [64, 1 << 20]

    func check(_ content: String, header: [String], _ expected: [ReadRecord], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", content)
        for size in Self.bufferSizes {
            let (h, records) = try readAll(path, bufferSize: size)
            #expect(h == header, "buffer \(size)", sourceLocation: sourceLocation)
            #expect(records == expected, "buffer \(size)", sourceLocation: sourceLocation)
        }
    }

    @Test func plainRecordsWithAndWithoutFinalNewline() throws {
        try check("a,b\n1,2\n3,4\n", header: ["a", "b"], [.init(line: 2, fields: ["1", "2"]), .init(line: 3, fields: ["3", "4"])])
        try check("a,b\n1,2\n3,4", header: ["a", "b"], [.init(line: 2, fields: ["1", "2"]), .init(line: 3, fields: ["3", "4"])])
    }

    @Test func crlfAndBareCR() throws {
        try check("a,b\r\n1,2\r\n3,4\r\n", header: ["a", "b"], [.init(line: 2, fields: ["1", "2"]), .init(line: 3, fields: ["3", "4"])])
        try check("a,b\r1,2\r3,4", header: ["a", "b"], [.init(line: 2, fields: ["1", "2"]), .init(line: 3, fields: ["3", "4"])])
    }

    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let content = "name,note\r\n\"Smith, J\",\"said \"\"hi\"\"\"\r\n\"multi\r\nline\nfield\",x\r\n\"\",\"\"\"\"\r\nlast,\"end\"\r\n"
        try check(content, header: ["name", "note"], [
            .init(line: 2, fields: ["Smith, J", "said \"hi\""]),
            .init(line: 3, fields: ["multi\r\nline\nfield", "x"]),
            .init(line: 6, fields: ["", "\""]),
            .init(line: 7, fields: ["last", "end"]),
        ])
    }

    @Test func byteOrderMarkIsRemoved() throws {
        try check("\u{FEFF}id,x\n1,2\n", header: ["id", "x"], [.init(line: 2, fields: ["1", "2"])])
    }

    @Test func emptyFieldsAndTrailingComma() throws {
        try check("a,b,c\n,,\n1,,\n,2,\n", header: ["a", "b", "c"], [
            .init(line: 2, fields: ["", "", ""]), .init(line: 3, fields: ["1", "", ""]), .init(line: 4, fields: ["", "2", ""]),
        ])
    }

    @Test func blankLinesAreSkippedButCounted() throws {
        try check("a,b\n\n1,2\n\r\n\n3,4\n\n", header: ["a", "b"], [.init(line: 3, fields: ["1", "2"]), .init(line: 6, fields: ["3", "4"])])
    }

    @Test func oneColumnFilesKeepEmptyValues() throws {
        try check("a\nx\n\ny\n", header: ["a"], [.init(line: 2, fields: ["x"]), .init(line: 3, fields: [""]), .init(line: 4, fields: ["y"])])
    }

    @Test func wrongFieldCountsAreVisible() throws {
        try check("a,b\n1\n1,2,3\n", header: ["a", "b"], [.init(line: 2, fields: ["1"]), .init(line: 3, fields: ["1", "2", "3"])])
    }

    @Test func malformedQuotingIsReportedAndReadingGoesOn() throws {
        try check("a,b\nx\"y,2\n\"ab\"c,3\nok,4\n", header: ["a", "b"], [
            .init(line: 2, fields: ["x\"y", "2"], issue: .malformedQuoting),
            .init(line: 3, fields: ["ab", "3"], issue: .malformedQuoting),
            .init(line: 4, fields: ["ok", "4"]),
        ])
    }

    @Test func anUnclosedQuoteIsReportedAndReadingResumesOnTheNextLine() throws {
        // The quote on line 3 never closes: line 3 is one bad record, line 4 is read as usual.
        try check("a,b\n1,2\n3,\"open\n4,5\n", header: ["a", "b"], [
            .init(line: 2, fields: ["1", "2"]),
            .init(line: 3, fields: ["3", "open"], issue: .unclosedQuote),
            .init(line: 4, fields: ["4", "5"]),
        ])
        // A stray quote that a later line's quote "closes", with text after it: the record is
        // still its opening line, and the lines it swallowed are read again.
        try check("a,b\n\"x,1\n2,3\n4,\"y\"z\n5,6", header: ["a", "b"], [
            .init(line: 2, fields: ["x,1"], issue: .unclosedQuote),
            .init(line: 3, fields: ["2", "3"]),
            .init(line: 4, fields: ["4", "y"], issue: .malformedQuoting),
            .init(line: 5, fields: ["5", "6"]),
        ])
        // CRLF line ends, and the stray quote on the last line.
        try check("a,b\r\n1,\"2\r\n3,4\r\n5,\"6", header: ["a", "b"], [
            .init(line: 2, fields: ["1", "2"], issue: .unclosedQuote),
            .init(line: 3, fields: ["3", "4"]),
            .init(line: 4, fields: ["5", "6"], issue: .unclosedQuote),
        ])
    }

    @Test func quotingIssuesNameTheirField() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "a,b,c\n1,x\"y,3\n1,2,\"ab\"c\n\"1,2\n")
        for size in Self.bufferSizes {
            let reader = try CSVReader(path: path, bufferSize: size)
            var found: [RowIssue?] = []
            while try reader.next() { found.append(reader.issue) }
            #expect(found == [RowIssue(.malformedQuoting, field: 2, found: 1), RowIssue(.malformedQuoting, field: 3, found: 2), RowIssue(.unclosedQuote, field: 1)], "buffer \(size)")
        }
    }

    @Test func manyUnclosedQuotesAreEachReportedOnce() throws {
        // Every line opens a quote and none closes: each line is its own bad record (and the
        // reader does not rescan the rest of the file for each).
        let lines = 20_000
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "a,b\n" + String(repeating: "\"x,1\n", count: lines))
        let reader = try CSVReader(path: path, bufferSize: 4096)
        var count = 0
        while try reader.next() {
            count += 1
            #expect(reader.issue?.kind == .unclosedQuote && reader.recordLine == count + 1)
        }
        #expect(count == lines)
    }

    @Test func aStrayQuoteInALongFileDoesNotSwallowIt() throws {
        // With a record limit of 64 bytes, the quote on line 2 would have to run past it to
        // find a close: it is taken as unclosed, and every later line is read.
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "a,b\n1,\"open\n" + String(repeating: "x,y\n", count: 40) + "p,\"q\"\n")
        for size in [3, 16, 4096] {
            let reader = try CSVReader(path: path, bufferSize: size, recordLimit: 64)
            var records: [(Int, RowIssueKind?)] = []
            while try reader.next() { records.append((reader.recordLine, reader.issue?.kind)) }
            #expect(records.count == 42, "buffer \(size)")
            #expect(records.first.map { $0.0 == 2 && $0.1 == .unclosedQuote } == true)
            #expect(records.dropFirst().allSatisfy { $0.1 == nil } && records.last?.0 == 43)
        }
        // A long record with no quote still stops the reader, naming its line.
        let long = dir.file("long.csv", "a,b\n1,2\n" + String(repeating: "z", count: 100) + ",3\n")
        #expect(throws: CSVError.recordTooLong(path: long, line: 3)) { _ = try readAll(long, bufferSize: 8, recordLimit: 64) }
    }

    @Test func anUnclosedQuoteInTheHeaderStopsWithItsColumn() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "a,\"b\n1,2\n")
        for size in Self.bufferSizes {
            #expect(throws: CSVError.unterminatedQuote(path: path, line: 1, column: 2)) { _ = try readAll(path, bufferSize: size) }
        }
        #expect(describe(CSVError.unterminatedQuote(path: path, line: 1, column: 2))
            == "\(path):1:2: a quote opens this header field and nothing closes it: expected a closing quote before the end of the line")
    }

    @Test func emptyFileHasNoHeader() {
        let dir = TemporaryDirectory()
        let path = dir.file("t.csv", "")
        #expect(throws: CSVError.empty(path: path)) { _ = try CSVReader(path: path) }
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: CSVError.self) { _ = try CSVReader(path: "/nonexistent/x.csv") }
    }

    @Test func utf8PassesThroughAsBytes() throws {
        try check("ward,name\nW1,Ynys Môn\nW2,\"Åland, Ø\"\n", header: ["ward", "name"], [
            .init(line: 2, fields: ["W1", "Ynys Môn"]), .init(line: 3, fields: ["W2", "Åland, Ø"]),
        ])
    }

    @Test func checksumAndByteCountCoverEveryByte() throws {
        let dir = TemporaryDirectory()
        let content = "a,b\n" + (0..<5000).map { "\($0),\"v\($0)\"\n" }.joined()
        let path = dir.file("t.csv", content)
        let reader = try CSVReader(path: path, bufferSize: 100)
        var n = 0
        while try reader.next() { n += 1 }
        #expect(n == 5000)
        #expect(try POSIX.sha256(path: path) == SHA256.hex(Array(content.utf8)))
        #expect(reader.bytesRead == content.utf8.count)
    }

    /// Random CSV documents written with RFC 4180 quoting read back field for field.
    @Test func randomDocumentsRoundTrip() throws {
        var rng: UInt64 = 12345
        func next(_ n: Int) -> Int {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(rng >> 33) % n
        }
        let alphabet: [String] = ["a", "b", ",", "\"", "\n", "\r\n", " ", "é", "1", "\r"]
        let dir = TemporaryDirectory()
        for doc in 0..<40 {
            let columns = 1 + next(4)
            var rows: [[String]] = []
            for _ in 0..<(1 + next(30)) {
                rows.append((0..<columns).map { _ in (0..<next(6)).map { _ in alphabet[next(alphabet.count)] }.joined() })
            }
            // A one-column row holding "" would be a blank line: give it content.
            if columns == 1 { rows = rows.map { $0[0].isEmpty ? ["x"] : $0 } }
            var text = CSVText()
            text.row((0..<columns).map { "c\($0)" })
            for r in rows { text.row(r) }
            let path = dir.file("doc\(doc).csv", text.bytes)
            for size in [1, 3, 7, 64] {
                let (_, records) = try readAll(path, bufferSize: size)
                #expect(records.map(\.fields) == rows, "document \(doc), buffer \(size)")
                #expect(records.allSatisfy { $0.issue == nil })
            }
        }
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingEqualsWhole() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var h = SHA256()
        var i = 0
        var step = 1
        while i < data.count {
            let j = min(data.count, i + step)
            h.update(data[i..<j])
            i = j
            step = step % 70 + 3
        }
        #expect(h.finalizeHex() == SHA256.hex(data))
    }
}
