import CSQLite
import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The minimal spec in a temporary directory with a data file.
struct Fixture {
    let dir = TemporaryDirectory()
    let plan: ReleasePlan

    init(spec: String = minimalSpec, data: String) throws {
        dir.file("data.csv", data)
        plan = try ReleasePlan(spec: try SpecReader.parse(bytes: Array(spec.utf8), path: dir.path + "/spec.yaml", directory: dir.path))
    }

    var input: InputSpec { InputSpec(path: dir.path + "/data.csv") }

    func ingest(_ policy: ErrorPolicy = .stop, budget: Int = 256 << 20, inputs: [InputSpec]? = nil) throws(IngestError) -> IngestResult {
        var options = IngestOptions(onError: policy, memoryBudget: budget, temporaryDirectory: dir.path)
        options.workers = 2
        return try Ingest(plan: plan, options: options).run(inputs: inputs ?? [input])
    }

    func table(_ result: IngestResult, _ name: String) -> AggregatedTable {
        let t = plan.tables.firstIndex { $0.name == name }!
        return plan.project(result.cohorts[plan.tables[t].cohort], table: t)
    }

    /// The value of a cell given its codes.
    func value(_ result: IngestResult, _ name: String, _ codes: [String]) -> Int64 {
        let t = table(result, name)
        return t.values[t.shape.cell(zip(t.shape.dimensions, codes).map { $0.node($1)! })]
    }
}

let header = "id,ward,age,sex,cost,outcome,extra\n"

@Suite struct IngestTests {
    @Test func aggregatesPeopleOnceWithEveryMargin() throws {
        let f = try Fixture(data: header + """
            p1,w1,15,F,10.50,NEET,x
            p1,w1,15,F,2.25,,x
            p2,w1,20,M,,EET,x
            p3,w2,17,F,100,NEET,x
            p4,w3,19,M,7,,x
            p5,w3,30,M,1000,NEET,x
            """)
        let r = try f.ingest()
        #expect(r.people == 4)  // p5 is outside every cohort
        #expect(r.inputs.map(\.rows) == [6])
        #expect(f.value(r, "people", ["w1", "14-17"]) == 1)
        #expect(f.value(r, "people", ["w1", "18-25"]) == 1)
        #expect(f.value(r, "people", ["N", "ALL"]) == 3)
        #expect(f.value(r, "people", ["CITY", "ALL"]) == 4)
        #expect(f.value(r, "people", ["CITY", "14-17"]) == 2)
        // Magnitude: p1's two rows are one contribution of 12.75.
        let costs = f.table(r, "costs")
        let w1 = costs.shape.cell([costs.shape.dimensions[0].node("w1")!])
        #expect(costs.values[w1] == 1275)
        #expect(costs.contributors(w1) == 1)
        #expect(f.value(r, "costs", ["CITY"]) == 1275 + 10000 + 700)
        #expect(f.value(r, "neet.numerator", ["F"]) == 2)
        #expect(f.value(r, "neet.denominator", ["Total"]) == 4)
        #expect(r.inputs[0].sha256 == SHA256.hex(Array((try String(contentsOfFile: f.input.path, encoding: .utf8)).utf8)))
    }

    @Test func badRowStopsTheRunNamingFileLineAndColumnButNotTheValue() throws {
        let f = try Fixture(data: header + "p1,w1,15,F,1,,x\np2,w1,fifteen,F,1,,x\n")
        do {
            _ = try f.ingest()
            Issue.record("a bad row was accepted")
        } catch {
            guard case .row(let location, let message) = error else { Issue.record("\(error)"); return }
            #expect(location == "\(f.input.path):3:3")
            #expect(message == "column 'age': expected a whole number")
            #expect(!error.message.contains("fifteen"))
        }
    }

    @Test func quarantineCountsEveryReasonWithoutValues() throws {
        let secret = "SECRET-VALUE"
        let f = try Fixture(data: header + """
            p1,w1,15,F,1,,x
            p2,w1,\(secret),F,1,,x
            p3,w9\(secret),15,F,1,,x
            ,w1,15,F,1,,x
            p4,w1,15,X\(secret),1,,x
            p5,w1,15,F,1.234,,x
            p6,w1,15,F,1
            p7,N,15,F,1,,x
            p8,,15,F,1,,x
            p9,w1,15,F,-3,,x
            p10,w"1,15,F,1,,x
            p11,w9,40,F,1,,x
            """)
        let r = try f.ingest(.quarantine)
        #expect(r.inputs[0].rows == 12)
        #expect(r.inputs[0].quarantined == 10)
        let reasons = Dictionary(r.quarantine.map { ("\($0.reason.rawValue)/\($0.column ?? "")", $0.count) }, uniquingKeysWith: +)
        #expect(reasons == [
            "not-a-whole-number/age": 1, "unknown-category/ward": 1, "empty-identifier/id": 1, "undeclared-value/sex": 1,
            "not-a-number/cost": 1, "field-count/": 1, "group-category/ward": 1, "missing-dimension-value/ward": 1,
            "negative-sum-value/cost": 1, "malformed-quoting/": 1,
        ])
        for entry in r.quarantine {
            #expect(!entry.message.contains(secret))
            #expect(entry.first.allSatisfy { !$0.contains(secret) })
        }
        #expect(r.quarantine.first { $0.reason == .unknownCategory }?.first == ["\(f.input.path):4:2"])
        // The good row and the out-of-cohort row with an unknown ward (not classified) remain.
        #expect(f.value(r, "people", ["CITY", "ALL"]) == 1)
    }

    @Test func headerMustHoldEveryDeclaredColumn() throws {
        let f = try Fixture(data: "id,Ward,age,sex,outcome\np1,w1,15,F,\n")
        #expect(throws: IngestError.self) { try f.ingest() }
        do {
            _ = try f.ingest()
        } catch {
            // A near miss at its field; a column missing altogether where the header ends.
            #expect(error.message == """
                \(f.input.path):1:2: expected column 'ward', declared in the spec, found 'Ward' (names must match exactly)
                \(f.input.path):1:6: expected column 'cost', declared in the spec, in the header; it has 5 fields, none of them named so
                """)
        }
        let twice = try Fixture(data: "id,ward,age,sex,cost,outcome,age\n")
        #expect { try twice.ingest() } throws: { error in
            (error as? IngestError)?.message == "\(twice.input.path):1:7: the header has column 'age' 2 times (fields 3, 7): expected it once"
        }
    }

    /// Every problem of a record's own shape (the number of fields, quoting) names its line and
    /// field, says what was expected, and never shows a value; after an unclosed quote the
    /// rows that follow are still read, so every problem of the file is reported in one run.
    @Test func recordProblemsNameLineAndFieldAndReadingGoesOn() throws {
        let f = try Fixture(data: header + """
            p1,w1,15,F,1,,x
            p2,w1,15
            p3,w1,15,F,1,,x,SECRET-EXTRA
            p4,"SECRET-W1,15,F,1,,x
            p5,w1,fifteen,F,1,,x
            p6,w1,15,F,1,"x"SECRET,x
            p7,w1,15,F,1,,x
            """)
        let r = try f.ingest(.quarantine)
        #expect(r.inputs[0].rows == 7 && r.inputs[0].quarantined == 5)
        let found = Dictionary(r.quarantine.map { ($0.message, $0.first) }, uniquingKeysWith: +)
        let path = f.input.path
        #expect(found == [
            "wrong number of fields: expected 7, as the header has": ["\(path):3:4", "\(path):4:8"],
            RowIssue(.unclosedQuote).message(columnName: nil): ["\(path):5:2"],
            "column 'age': expected a whole number": ["\(path):6:3"],
            RowIssue(.malformedQuoting, found: 2).message(columnName: nil): ["\(path):7:6"],
        ])
        #expect(r.quarantine.allSatisfy { !$0.message.contains("SECRET") && $0.first.allSatisfy { !$0.contains("SECRET") } })
        // Stopping at the first, the run names it the same way.
        #expect { try f.ingest(.stop) } throws: { error in
            guard case .row(let location, let message) = error as! IngestError else { return false }
            return location == "\(path):3:4" && message == "expected 7 fields, as the header has, found 3"
        }
    }

    @Test func conflictingCellsStopOrAreCounted() throws {
        let f = try Fixture(data: header + "p1,w1,15,F,,,x\np2,w2,15,F,,,x\np1,w2,15,F,,,x\n")
        do {
            _ = try f.ingest()
            Issue.record("a conflict was accepted")
        } catch {
            guard case .conflict(let message) = error else { Issue.record("\(error)"); return }
            // 'people' and the indicator's denominator count the same cohort, and the costs and
            // the numerator lie within it: one person is in one cell of all of them.
            #expect(message.hasPrefix(
                "tables 'people', 'neet.denominator', 'costs' and 1 more linked to them: the rows of one person fall in different cells (\(f.input.path):2 and \(f.input.path):4)"))
        }
        let r = try f.ingest(.quarantine)
        #expect(r.conflicts.map(\.table) == ["tables 'people', 'neet.denominator', 'costs' and 1 more linked to them"])
        #expect(r.conflicts[0].people == 1)
        #expect(f.value(r, "people", ["CITY", "ALL"]) == 1)
        // Left out of every table of the cohort, so that linked tables agree.
        #expect(f.value(r, "neet.denominator", ["F"]) == 1)
        #expect(f.value(r, "neet.denominator", ["Total"]) == f.value(r, "people", ["CITY", "ALL"]))
    }

    @Test func spillingToDiskGivesTheSameTables() throws {
        var rows = header
        var rng: UInt64 = 99
        var people = Set<Int>()
        for _ in 0..<30_000 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1
            let person = Int(rng >> 40) % 9000
            people.insert(person)
            let ward = ["w1", "w2", "w3"][person % 3]
            let age = 14 + person % 12
            rows += "person\(person),\(ward),\(age),\(person % 2 == 0 ? "F" : "M"),\(person % 50).25,\(person % 7 == 0 ? "NEET" : ""),x\n"
        }
        let f = try Fixture(data: rows)
        let inMemory = try f.ingest()
        let spilled = try f.ingest(budget: 1 << 16)
        #expect(!inMemory.spilled)
        #expect(spilled.spilled)
        #expect(inMemory.people == spilled.people)
        #expect(inMemory.cohorts == spilled.cohorts)
        #expect(f.value(inMemory, "people", ["CITY", "ALL"]) == Int64(people.count))
        // No spill files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { $0.hasPrefix("discreet-spill") }
        #expect(left.isEmpty)
    }

    /// Several extracts read at once (`--jobs`) give what reading them one after another
    /// gives, to the byte: the tables, the people, each input's report, the bad rows (their
    /// counts and first places, in input order), the people whose rows conflict and the rows
    /// that decide where one row must (`conflicts: first`), in memory and spilled to disk;
    /// and where two inputs fail, the first of them is the error, as it is read in order.
    @Test func readingExtractsAtOnceGivesWhatReadingThemInTurnGives() throws {
        let spec = minimalSpec.replacingOccurrences(of: "privacy_unit: id", with: "privacy_unit: id\nconflicts: first")
        var files: [String] = []
        var rng: UInt64 = 7
        for _ in 0..<5 {
            var rows = header
            for line in 0..<6_000 {
                rng = rng &* 6_364_136_223_846_793_005 &+ 1
                let person = Int(rng >> 40) % 4000
                // A person's ward differs between rows now and then: a conflict, decided by the first row.
                let ward = ["w1", "w2", "w3"][(person + (line % 97 == 0 ? 1 : 0)) % 3]
                if line % 211 == 0 {
                    rows += "person\(person),\(ward),old,F,,,x\n"  // not a whole number
                } else if line % 307 == 0 {
                    rows += "person\(person),\(ward),15,X,,,x\n"  // undeclared sex
                } else {
                    rows += "person\(person),\(ward),\(14 + person % 12),\(person % 2 == 0 ? "F" : "M"),\(person % 50).25,,x\n"
                }
            }
            files.append(rows)
        }
        let f = try Fixture(spec: spec, data: files[0])
        for (i, rows) in files.enumerated().dropFirst() { f.dir.file("data\(i).csv", rows) }
        let inputs = [f.input] + (1..<files.count).map { InputSpec(path: f.dir.path + "/data\($0).csv") }
        func ingest(readers: Int, budget: Int, inputs: [InputSpec]) throws(IngestError) -> IngestResult {
            var options = IngestOptions(onError: .quarantine, memoryBudget: budget, temporaryDirectory: f.dir.path)
            options.workers = 2
            options.readers = readers
            return try Ingest(plan: f.plan, options: options).run(inputs: inputs)
        }
        func account(_ r: IngestResult) -> [String] {
            r.inputs.map { "\($0.input.path) \($0.sha256) \($0.rows) \($0.quarantined) \($0.bytes)" }
                + r.quarantine.map { "\($0.reason) \($0.column ?? "") \($0.count) \($0.first)" }
                + r.conflicts.map { "\($0.table) \($0.people) \($0.first)" } + ["\(r.people) \(r.spilled)"]
        }
        for budget in [256 << 20, 1 << 16] {
            let inTurn = try ingest(readers: 1, budget: budget, inputs: inputs)
            #expect(inTurn.quarantine.count == 2)
            // Order matters here: read in the other order, the first rows are others.
            #expect(try ingest(readers: 1, budget: budget, inputs: inputs.reversed()).cohorts != inTurn.cohorts)
            for readers in [2, 5] {
                let atOnce = try ingest(readers: readers, budget: budget, inputs: inputs)
                #expect(atOnce.cohorts == inTurn.cohorts, "\(readers) readers, budget \(budget)")
                #expect(account(atOnce) == account(inTurn), "\(readers) readers, budget \(budget)")
                #expect(atOnce.spilled == (budget < 1 << 20))
            }
        }
        // Two inputs that fail (a missing column): the first is named, whatever order they fail in.
        f.dir.file("bad2.csv", "id,ward\np1,w1\n")
        f.dir.file("bad4.csv", "id,age\np1,15\n")
        var failing = inputs
        failing[2] = InputSpec(path: f.dir.path + "/bad2.csv")
        failing[4] = InputSpec(path: f.dir.path + "/bad4.csv")
        for readers in [1, 2, 5] {
            do {
                _ = try ingest(readers: readers, budget: 256 << 20, inputs: failing)
                Issue.record("a missing column was accepted")
            } catch {
                #expect(error.message.hasPrefix(f.dir.path + "/bad2.csv:1:"), "\(readers) readers: \(error.message)")
            }
        }
    }

    @Test func sqliteInputReadsLikeCSV() throws {
        let data = header + "p1,w1,15,F,10.50,NEET,x\np2,w2,19,M,,,x\np2,w2,19,M,3,,x\n"
        let f = try Fixture(data: data)
        let db = f.dir.path + "/data.sqlite"
        var handle: OpaquePointer?
        #expect(sqlite3_open(db, &handle) == SQLITE_OK)
        let sql = """
            CREATE TABLE extract (id TEXT, ward TEXT, age INTEGER, sex TEXT, cost TEXT, outcome TEXT, extra TEXT);
            INSERT INTO extract VALUES ('p1','w1',15,'F','10.50','NEET','x'), ('p2','w2',19,'M',NULL,NULL,'x'), ('p2','w2',19,'M','3',NULL,'x');
            CREATE TABLE other (a TEXT);
            """
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        let fromCSV = try f.ingest()
        let fromSQLite = try f.ingest(inputs: [InputSpec(path: db, table: "extract")])
        #expect(fromCSV.cohorts == fromSQLite.cohorts)
        #expect(fromSQLite.inputs[0].rows == 3)
        #expect(throws: IngestError.self) { try f.ingest(inputs: [InputSpec(path: db)]) }  // two tables: name one
        do {
            _ = try f.ingest(inputs: [InputSpec(path: db, table: "nope")])
        } catch {
            #expect(error.message == "\(db) has no table or view 'nope' (it has: extract, other)")
        }
    }

    /// An extract read to the end, or given up on at any step, is closed (a SQLite
    /// connection left open also keeps its page cache: a batch of many extracts, or the
    /// fuzzer, grew with every one).
    @Test func readsCloseTheirFiles() throws {
        #if os(Linux)
        let f = try Fixture(data: header)
        let db = f.dir.path + "/data.sqlite"
        var handle: OpaquePointer?
        #expect(sqlite3_open(db, &handle) == SQLITE_OK)
        let sql = """
            CREATE TABLE good (id TEXT, ward TEXT, age INTEGER, sex TEXT, cost TEXT, outcome TEXT, extra TEXT);
            INSERT INTO good VALUES ('p1','w1',15,'F','10.50','NEET','x');
            CREATE TABLE bad (id TEXT, ward TEXT, age TEXT, sex TEXT, cost TEXT, outcome TEXT);
            INSERT INTO bad VALUES ('p1','w1','x','F',NULL,NULL);
            CREATE TABLE short (id TEXT);
            """
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        f.dir.file("short.csv", "id\np1\n")
        f.dir.file("bad.csv", header + "p1,w1,x,F,,,x\n")
        f.dir.file("damaged.sqlite", "SQLite format 3\u{0}" + String(repeating: "x", count: 200))
        /// This process's descriptors open on a file of the fixture's directory.
        func open() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) ?? "").hasPrefix(f.dir.path) }.count
        }
        let reads: [(String, InputSpec)] = [
            ("read to the end", InputSpec(path: db, table: "good")),
            ("a bad value", InputSpec(path: db, table: "bad")),
            ("a header lacking columns", InputSpec(path: db, table: "short")),
            ("no such table", InputSpec(path: db, table: "nope")),
            ("no table named where there are several", InputSpec(path: db)),
            ("a damaged file", InputSpec(path: f.dir.path + "/damaged.sqlite", format: .sqlite)),
            ("a CSV header lacking columns", InputSpec(path: f.dir.path + "/short.csv")),
            ("a bad CSV value", InputSpec(path: f.dir.path + "/bad.csv")),
        ]
        for (what, input) in reads {
            _ = try? f.ingest(inputs: [input])
            #expect(open() == 0, "\(what): the file left open")
        }
        #endif
    }

    @Test func badSQLiteValuesNameTheRow() throws {
        let f = try Fixture(data: header)
        let db = f.dir.path + "/data.sqlite"
        var handle: OpaquePointer?
        #expect(sqlite3_open(db, &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, "CREATE TABLE t (id TEXT, ward TEXT, age TEXT, sex TEXT, cost TEXT, outcome TEXT); INSERT INTO t VALUES ('p1','w1','15','F',NULL,NULL), ('p2','w1','x','F',NULL,NULL);", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        do {
            _ = try f.ingest(inputs: [InputSpec(path: db, table: "t")])
            Issue.record("bad value accepted")
        } catch {
            #expect(error.message == "\(db)#t:2:3: column 'age': expected a whole number")
        }
    }
}
