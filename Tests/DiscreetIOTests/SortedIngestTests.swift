import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// An extract sorted by person is aggregated as it is read, and a large one in parts on
/// several cores; either way the result is, to the byte, what grouping every row in the
/// store gives, and where the file is not sorted, or a cut falls where parts cannot meet,
/// it is read again the general way.
@Suite struct SortedIngestTests {
    /// A sorted extract: people in order, each with one to four rows, some rows bad (not a
    /// whole number, an undeclared sex), a few people whose ward differs between rows (fewer
    /// than a report shows: the store reports them in another order).
    static func sortedRows(people: Int, lineEnd: String = "\n", seed: UInt64 = 5, identifier: (Int) -> String = { String(format: "p%06d", $0) }) -> String {
        var rows = header.replacingOccurrences(of: "\n", with: lineEnd)
        var rng = seed
        for person in 0..<people {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1
            for r in 0..<(1 + Int(rng >> 60) % 4) {
                let ward = ["w1", "w2", "w3"][(person + (person % 701 == 0 && r == 1 ? 1 : 0)) % 3]
                let age = person % 89 == 0 && r == 0 ? "old" : String(14 + person % 12)
                let sex = person % 97 == 0 ? "X" : (person % 2 == 0 ? "F" : "M")
                let cost = person % 5 == 0 ? "" : "\(person % 50).\(r)5"
                rows += "\(identifier(person)),\(ward),\(age),\(sex),\(cost),\(person % 7 == 0 ? "NEET" : ""),x\(lineEnd)"
            }
        }
        return rows
    }

    struct Run {
        var result: IngestResult
        var account: [String]
    }

    static func ingest(_ f: Fixture, policy: ErrorPolicy = .quarantine, stream: Bool, workers: Int = 2, partBytes: Int = 2048, budget: Int = 1 << 16) throws(IngestError) -> Run {
        var options = IngestOptions(onError: policy, memoryBudget: budget, temporaryDirectory: f.dir.path)
        options.workers = workers
        options.partBytes = partBytes
        options.streamSortedInput = stream
        let r = try Ingest(plan: f.plan, options: options).run(inputs: [f.input])
        // Conflict samples come in file order from a stream and in hash order from the store:
        // compared as sets (there are fewer than the sample holds).
        let account = r.inputs.map { "\($0.input.path) \($0.sha256) \($0.rows) \($0.quarantined) \($0.bytes)" }
            + r.quarantine.map { "\($0.reason) \($0.column ?? "") \($0.count) \($0.first)" }
            + r.conflicts.map { "\($0.table) \($0.people) \($0.first.sorted())" } + ["\(r.people)"]
        return Run(result: r, account: account)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func aSortedExtractReadInPartsGivesWhatTheStoreGives(lineEnd: String) throws {
        let spec = minimalSpec.replacingOccurrences(of: "privacy_unit: id", with: "privacy_unit: id\nconflicts: error")
        let f = try Fixture(spec: spec, data: Self.sortedRows(people: 3000, lineEnd: lineEnd))
        let store = try Self.ingest(f, stream: false)
        #expect(store.result.spilled)
        #expect(store.result.quarantine.count == 2)
        #expect(!store.result.conflicts.isEmpty)
        for workers in [1, 2, 3, 7] {
            let streamed = try Self.ingest(f, stream: true, workers: workers)
            #expect(!streamed.result.spilled)
            #expect(streamed.result.cohorts == store.result.cohorts, "\(workers) workers")
            #expect(streamed.account == store.account, "\(workers) workers")
            // A file of lone CRs has no line feed to cut at.
            #expect(streamed.result.parts == (lineEnd == "\r" ? 1 : workers), "\(workers) workers")
        }
    }

    /// Cuts that fall inside quoted fields spanning lines, and people whose rows run across
    /// a cut: the parts either meet or the file is read on one core, and the tables and
    /// every line number are the same.
    @Test func cutsInsideQuotedLinesOrPeopleChangeNothing() throws {
        var rows = header
        for person in 0..<1500 {
            for r in 0..<(person % 9 == 0 ? 40 : 2) {
                let outcome = (person + r) % 11 == 0 ? "\"NE\nET\"" : (person % 7 == 0 ? "NEET" : "")
                rows += "p\(10_000 + person),w\(1 + person % 3),\(14 + person % 12),F,\(r).50,\(outcome),\(r % 10 == 3 ? "\"a\n\nb\"" : "x")\n"
            }
        }
        let f = try Fixture(data: rows)
        let store = try Self.ingest(f, stream: false)
        var split = 0
        var cutInQuotes = false
        for (workers, partBytes) in [(2, 2048), (5, 1024), (16, 512), (3, 40_000)] {
            let streamed = try Self.ingest(f, stream: true, workers: workers, partBytes: partBytes)
            #expect(streamed.result.cohorts == store.result.cohorts, "\(workers) workers")
            #expect(streamed.account == store.account, "\(workers) workers")
            if streamed.result.parts > 1 { split += 1 }
            cutInQuotes = cutInQuotes || streamed.result.parts == 1
        }
        // Some cuts met, and some fell inside quotes (the file was read again on one core).
        #expect(split > 0 && cutInQuotes)
    }

    @Test func anUnsortedExtractIsReadThroughTheStore() throws {
        var rows = Self.sortedRows(people: 2000)
        // One person comes back after others.
        rows += "p000003,w1,15,F,1.00,,x\n"
        let f = try Fixture(data: rows)
        let store = try Self.ingest(f, stream: false)
        for workers in [1, 2] {
            let streamed = try Self.ingest(f, stream: true, workers: workers)
            #expect(streamed.result.spilled)
            #expect(streamed.result.parts == 1)
            #expect(streamed.result.cohorts == store.result.cohorts)
            #expect(streamed.account == store.account)
        }
        // Each part sorted, but the second starts before the first ends.
        let halves = Self.sortedRows(people: 1000) + Self.sortedRows(people: 1000, seed: 9).dropFirst(header.count)
        let g = try Fixture(data: halves)
        let streamed = try Self.ingest(g, stream: true, workers: 2)
        #expect(streamed.result.spilled)
        #expect(streamed.result.cohorts == (try Self.ingest(g, stream: false)).result.cohorts)
    }

    /// A part of rows in no cohort between two others: a person of the first part who comes
    /// back in the third is still one person (order is checked across the empty part).
    @Test func aPartWithNobodyDoesNotHideAReturningPerson() throws {
        var rows = header
        for person in 0..<1000 { rows += "p\(100_000 + person),w1,15,F,1.00,,x\n" }
        for person in 0..<3000 { rows += "q\(100_000 + person),w1,99,F,1.00,,x\n" }  // aged 99: in no cohort
        for person in 500..<1500 { rows += "p\(100_000 + person),w1,15,F,1.00,,x\n" }
        let f = try Fixture(data: rows)
        let store = try Self.ingest(f, stream: false)
        #expect(store.result.people == 1500)
        let streamed = try Self.ingest(f, stream: true, workers: 3)
        #expect(streamed.result.cohorts == store.result.cohorts)
        #expect(streamed.result.people == 1500)
        // The cuts fall among the rows in no cohort, the middle part holding nothing else:
        // the parts meet, and the order across them sends the file to the store.
        #expect(streamed.result.spilled)
    }

    /// Identifiers sorted as numbers (shortest first) are as good as sorted as text.
    @Test func identifiersSortedAsNumbersStream() throws {
        let f = try Fixture(data: Self.sortedRows(people: 2500) { String($0 + 1) })
        let store = try Self.ingest(f, stream: false)
        let streamed = try Self.ingest(f, stream: true)
        #expect(!streamed.result.spilled)
        #expect(streamed.result.parts == 2)
        #expect(streamed.result.cohorts == store.result.cohorts)
        #expect(streamed.account == store.account)
    }

    /// Stopping at the first bad row: the same row is named, in whichever part it falls.
    @Test func theFirstBadRowIsNamedWhicheverPartHoldsIt() throws {
        let clean = Self.sortedRows(people: 3000).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.contains(",old,") && !$0.contains(",X,") }
        for line in [clean.count / 4, clean.count * 3 / 4] {
            var lines = clean
            lines[line] = lines[line].replacingOccurrences(of: ",F,", with: ",Q,").replacingOccurrences(of: ",M,", with: ",Q,")
            let f = try Fixture(data: lines.joined(separator: "\n"))
            var messages: [String] = []
            for stream in [false, true] {
                do {
                    _ = try Self.ingest(f, policy: .stop, stream: stream, workers: 3)
                    Issue.record("a bad row was accepted")
                } catch {
                    messages.append(error.message)
                }
            }
            #expect(messages.count == 2 && messages[0] == messages[1])
            #expect(messages.first?.contains("data.csv:\(line + 1):4") == true, "\(messages)")
        }
    }

    @Test func lineNumbersCountEveryKindOfLineEnd() throws {
        let dir = TemporaryDirectory()
        dir.file("lines.csv", "a\nb\r\nc\rd\r\r\n\"e\nf\"\ng")
        let path = dir.path + "/lines.csv"
        // Line starts: a 1, b 2, c 3, d 4, (empty) 5, "e 6, f" 7, g 8.
        for (offset, line) in [(0, 1), (2, 2), (5, 3), (7, 4), (9, 5), (11, 6), (14, 7), (17, 8)] {
            #expect(try FilePart.line(at: offset, path: path) == line, "offset \(offset)")
        }
        #expect(FilePart.countLineEnds(UnsafeRawBufferPointer(start: nil, count: 0)) == (0, 0))
        let bytes = Array("\n\r\n..\r\n\n\r.........\n".utf8)
        #expect(bytes.withUnsafeBytes { FilePart.countLineEnds($0) } == (5, 3))
    }
}
