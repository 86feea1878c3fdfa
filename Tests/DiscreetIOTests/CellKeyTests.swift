import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The bundled example by the cell key method (fixtures/transitions/cell-key.yaml).
let cellKeySpec = (transitionsSpec as NSString).deletingLastPathComponent + "/cell-key.yaml"

/// Record keys, perturbation tables as users have them, and releases by the cell key method.
@Suite struct CellKeyTests {
    /// RFC 4231, test case 2.
    @Test func hmacKnownAnswer() {
        let mac = Array("what do ya want for nothing?".utf8).withUnsafeBytes { SHA256.hmac(key: Array("Jefe".utf8), message: $0) }
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A record key is the MAC's first 32 bits.
        let key = Array("what do ya want for nothing?".utf8).withUnsafeBytes { CellKeySecret.recordKey(secret: Array("Jefe".utf8))($0) }
        #expect(key == 0x5bdc_c146)
        // A key longer than a block is hashed first (RFC 4231, test case 6).
        let long = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8).withUnsafeBytes {
            SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131), message: $0)
        }
        #expect(long.map { String(format: "%02x", $0) }.joined() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func secret(_ dir: TemporaryDirectory, _ name: String = "cell-key.secret", bytes: Int = 32, mode: mode_t = 0o600, fill: UInt8 = 7) -> String {
        let path = dir.file(name, [UInt8](repeating: fill, count: bytes))
        chmod(path, mode)
        return path
    }

    @Test func theSecretIsTheOwnersAloneAndLongEnough() throws {
        let dir = TemporaryDirectory()
        #expect(throws: IngestError.self) { try CellKeySecret.read(path: secret(dir, "open", mode: 0o644)) }
        #expect(throws: IngestError.self) { try CellKeySecret.read(path: secret(dir, "group", mode: 0o640)) }
        #expect(throws: IngestError.self) { try CellKeySecret.read(path: secret(dir, "short", bytes: 8)) }
        #expect(throws: IngestError.self) { try CellKeySecret.read(path: dir.path + "/missing") }
        do {
            _ = try CellKeySecret.read(path: secret(dir, "open2", mode: 0o604))
        } catch {
            #expect(error.message.contains("chmod 600") && error.message.contains("mode 604"))
        }
        #expect(try CellKeySecret.read(path: secret(dir)).count == 32)
        // The key depends on the secret and the identifier, nothing else.
        let a = CellKeySecret.recordKey(secret: [UInt8](repeating: 1, count: 16)), b = CellKeySecret.recordKey(secret: [UInt8](repeating: 2, count: 16))
        let id = Array("NB000000017".utf8)
        let (ka, ka2, kb) = id.withUnsafeBytes { (a($0), a($0), b($0)) }
        #expect(ka == ka2 && ka != kb)
    }

    @Test func readsTauArgusPerturbationTables() throws {
        // As the ptable package exports it for tau-ARGUS: i;j;p;v;p_int_ub.
        let text = """
            i;j;p;v;p_int_ub
            0;0;1;0;1
            1;0;0.5;-1;0.5
            1;2;0.5;1;1
            2;1;0.25;-1;0.25
            2;2;0.49999999;0;0.74999999
            2;3;0.25;1;0.99999999
            """
        let table = try PerturbationTableReader.parse(text, file: "t.csv")
        #expect(table.rows.count == 3)
        #expect(table.perturbation(count: 1, cellKey: (1 << 31) - 1) == -1 && table.perturbation(count: 1, cellKey: 1 << 31) == 1)
        // The last end written as 0.99999999 is 1: every key has a perturbation.
        #expect(table.perturbation(count: 2, cellKey: .max) == 1 && table.perturbation(count: 7, cellKey: 0) == -1)
        // SAS's export adds p_int_lb; commas work too; a table from count 1 gets count 0 unperturbed.
        let sas = try PerturbationTableReader.parse("i,j,p,v,p_int_lb,p_int_ub\n1,1,1,0,0,1\n2,3,1,1,0,1\n", file: "s.csv")
        #expect(sas.rows.count == 3 && sas.perturbation(count: 0, cellKey: 9) == 0 && sas.perturbation(count: 5, cellKey: 9) == 1)
    }

    @Test func readsOnsPerturbationTables() throws {
        // pcv, ckey, pvalue with 4 cell keys per count: key k·2^30 ... falls in ckey k.
        var text = "pcv,ckey,pvalue\n"
        for pcv in 1...2 { for ckey in 0..<4 { text += "\(pcv),\(ckey),\(ckey == 0 ? -pcv : ckey - 1)\n" } }
        let table = try PerturbationTableReader.parse(text, file: "ons.csv")
        #expect(table.perturbation(count: 0, cellKey: .max) == 0)
        #expect(table.perturbation(count: 1, cellKey: 0) == -1 && table.perturbation(count: 1, cellKey: (1 << 30) - 1) == -1)
        #expect(table.perturbation(count: 2, cellKey: 1 << 30) == 0 && table.perturbation(count: 2, cellKey: 3 << 30) == 2)
    }

    @Test func badPerturbationTablesNameTheLineAndColumn() {
        func problem(_ text: String) -> String {
            do {
                _ = try PerturbationTableReader.parse(text, file: "p.csv")
                return ""
            } catch {
                return error.problems.map(\.description).joined(separator: "\n")
            }
        }
        #expect(problem("a;b\n1;2\n").contains("p.csv:1: expected a header naming 'i', 'v' and 'p_int_ub'"))
        #expect(problem("i;v;p_int_ub\n0;0;1\n1;x;1\n").contains("p.csv:3:3: 'v' must be a whole number"))
        #expect(problem("i;v;p_int_ub\n0;0;1\n1;-2;1\n").contains("p.csv:3:3: the perturbation would make the count negative"))
        #expect(problem("i;v;p_int_ub\n0;0;1\n1;0;0.9\n").contains("count 1: the last 'p_int_ub' must be 1"))
        #expect(problem("i;v;p_int_ub\n0;0;1\n2;0;1\n").contains("must run from 0 or 1 without gaps"))
        #expect(problem("i;v;p_int_ub\n0;0;1\n1;0\n").contains("p.csv:3: expected 3 fields"))
        #expect(problem("pcv,ckey,pvalue\n1,0,0\n1,0,1\n").contains("p.csv:3:3: pcv 1, ckey 0 is given twice"))
        #expect(problem("pcv,ckey,pvalue\n1,0,0\n1,1,0\n2,0,0\n").contains("count 2: the cell keys ('ckey') must run from 0 to 1"))
    }

    @Test func theSpecRefusesWhatTheMethodDoesNotCombine() throws {
        let primary = "  primary:\n    frequency: {threshold: 3, comparator: \"<\"}\n    zeros: publish\n    dominance: {n: 1, k: 80, comparator: \">\"}\n"
        let withCellKey = minimalSpec.replacingOccurrences(of: primary, with: primary + "  cell_key: {secret: key.secret}\n")
        #expect(problems(withCellKey).contains { $0.contains("'cell_key' perturbs every count by itself: leave 'primary' out") })
        let alone = minimalSpec.replacingOccurrences(of: primary, with: "  cell_key: {ptable: missing.csv}\n")
        let found = problems(alone)
        #expect(found.contains { $0.contains("cell_key needs a 'secret'") })
        #expect(found.contains { $0.contains("missing.csv:1: the perturbation table cannot be read") })
        let withSums = problems(minimalSpec.replacingOccurrences(of: primary, with: "  cell_key: {secret: key.secret}\n"))
        #expect(withSums.count == 1 && withSums[0].contains("table 'costs': the cell key method perturbs counts"))
    }

    /// A small spec whose record keys come from the extract's column `rkey`.
    func keyedByColumn(_ dir: TemporaryDirectory, type: String = "{type: decimal, places: 8}", rows: String) throws -> ReleasePlan {
        dir.file("data.csv", "id,ward,rkey\n" + rows)
        let spec = dir.file("spec.yaml", """
            discreet: 1
            title: Keys from a column
            inputs: [data.csv]
            columns:
              id: identifier
              ward: {type: category, values: [a, b]}
              rkey: \(type)
            privacy_unit: id
            dimensions:
              area:
                column: ward
                categories: {a: Ward A, b: Ward B}
            cohorts:
              everyone: ward is not missing
            tables:
              people: {cohort: everyone, by: [area]}
            protection:
              cell_key: {record_key: rkey}
            """)
        return try ReleasePipeline.plan(specPath: spec)
    }

    /// Keys in [0, 1) from a column, as the ONS and the cellKey R package store them: a
    /// cell's key is the sum of its people's keys modulo 1 (here in 2^-32 units), each person
    /// counted once however many rows they have; a person whose rows disagree takes the
    /// least key, and is counted.
    @Test func recordKeysFromAColumnSumPerCell() throws {
        let dir = TemporaryDirectory()
        let plan = try keyedByColumn(dir, rows: """
            p1,a,0.5
            p1,a,0.5
            p2,a,0.25
            p3,b,0.75
            p4,b,0.5
            p7,b,0.625
            p7,b,0.125

            """)
        let release = try ReleasePipeline.compute(plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop))
        #expect(release.findings.isEmpty)
        let shape = release.tables[0].shape
        let keys = release.ingest.cellKeys[plan.tables[0].cohort]
        let cell = { (code: String) in (0..<shape.cellCount).first { shape.codes(of: $0) == [code] }! }
        // a: 0.5 + 0.25; b: 0.75 + 0.5 + 0.125 = 1.375 → 0.375; all: 1.125 → 0.125.
        #expect(keys[cell("a")] == 3 << 30)
        #expect(keys[cell("b")] == 3 << 29)
        #expect(keys[shape.cellCount - 1] == 1 << 29)
        #expect(release.ingest.differingRecordKeys == 1)
        #expect(release.tables[0].data.values[cell("a")] == 2 && release.tables[0].data.values[cell("b")] == 3)
        // Whole-number keys below 2^32 are taken as they are.
        let other = TemporaryDirectory()
        let whole = try keyedByColumn(other, type: "integer", rows: "p1,a,7\np2,a,4294967295\np3,b,9\n")
        let wholeRelease = try ReleasePipeline.compute(plan: whole, inputs: whole.spec.inputs, options: IngestOptions(onError: .stop))
        #expect(wholeRelease.ingest.cellKeys[0][cell("a")] == 6 && wholeRelease.ingest.cellKeys[0][cell("b")] == 9)
    }

    /// A key out of range or missing stops the run at its line and column, naming the column
    /// and never the value; quarantined, the row is left out.
    @Test func aBadRecordKeyIsReportedWhereItIs() throws {
        for (type, bad) in [("{type: decimal, places: 8}", "1.5"), ("{type: decimal, places: 8}", ""), ("{type: decimal, places: 8}", "-0.25"), ("integer", "4294967296")] {
            let dir = TemporaryDirectory()
            let plan = try keyedByColumn(dir, type: type, rows: "p1,a,0\np2,b,\(bad)\n")
            do {
                _ = try ReleasePipeline.compute(plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop))
                Issue.record("a bad key '\(bad)' was taken")
            } catch {
                guard case .input(.row(let location, let message)) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(location.hasSuffix("data.csv:3:3"))
                #expect(message.contains("column 'rkey': expected a record key"))
                #expect(bad.isEmpty || !message.contains(bad))
            }
            let quarantined = try ReleasePipeline.compute(plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .quarantine))
            #expect(quarantined.ingest.people == 1)
        }
    }

    @Test func theSpecChecksTheColumnOfRecordKeys() throws {
        func problems(_ cellKey: String, rkey: String = "{type: decimal, places: 8}") -> [String] {
            let dir = TemporaryDirectory()
            dir.file("data.csv", "id,ward,rkey\n")
            let spec = dir.file("spec.yaml", """
                discreet: 1
                title: Keys
                inputs: [data.csv]
                columns: {id: identifier, ward: category, rkey: \(rkey)}
                privacy_unit: id
                dimensions:
                  area: {column: ward, categories: {a: A}}
                cohorts: {everyone: ward is not missing}
                tables:
                  people: {cohort: everyone, by: [area]}
                protection:
                  cell_key: \(cellKey)
                """)
            do {
                _ = try ReleasePipeline.plan(specPath: spec)
                return []
            } catch {
                guard case .spec(let found) = error else { return ["\(error)"] }
                return found.problems.map(\.description)
            }
        }
        #expect(problems("{record_key: rkey}").isEmpty)
        #expect(problems("{record_key: nothing}").contains { $0.contains("'nothing' is not a declared column") })
        #expect(problems("{record_key: rkey}", rkey: "category").contains { $0.contains("declare it 'decimal'") })
        #expect(problems("{record_key: rkey, secret: key.secret}").contains { $0.contains("not both") })
    }

    func release(secret: String, seed: UInt64 = 1, ptable: String? = nil) throws -> ProtectedRelease {
        var plan = try ReleasePipeline.plan(specPath: cellKeySpec)
        plan.spec.protection.cellKey?.recordKeys = .secret(secret)
        if let ptable { plan.spec.protection.cellKey?.table = try PerturbationTableReader.read(path: ptable) }
        return try ReleasePipeline.compute(plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop), randomness: .reproducible(seed: seed))
    }

    /// On the bundled example: no count of 1 or 2 is published, every count is within ±4 of
    /// the truth, the same people get the same perturbation in every table and indicator, the
    /// same secret gives the same release (whatever the seed: no randomness is drawn) and
    /// another secret another.
    @Test func theSamePeopleGetTheSamePerturbationEverywhere() throws {
        let dir = TemporaryDirectory()
        let first = try release(secret: secret(dir))
        #expect(first.findings.isEmpty)
        var seen: [String: Int64] = [:]
        var disagreements = 0, perturbed = 0
        for (t, planned) in first.plan.tables.enumerated() {
            let table = first.tables[t]
            for cell in 0..<table.shape.cellCount {
                let value = table.published(cell)!, truth = table.data.values[cell]
                #expect(value != 1 && value != 2 && abs(value - truth) <= 4)
                if value != truth { perturbed += 1 }
                // The same people: the cohort's cell at these categories, totals elsewhere.
                let codes = table.shape.codes(of: cell)
                let key = "\(planned.cohort)|" + first.plan.cohorts[planned.cohort].publishedDimensions.map { d -> String in
                    let dim = first.plan.spec.dimensions[d]
                    return planned.dimensions.firstIndex(of: d).map { codes[$0] } ?? dim.dimension.codes[dim.dimension.total]
                }.joined(separator: "|")
                if let earlier = seen[key], earlier != value { disagreements += 1 }
                seen[key] = value
            }
        }
        #expect(disagreements == 0 && perturbed > 0)
        let again = try release(secret: secret(dir), seed: 99)
        #expect(again.tables.map { $0.noise!.values } == first.tables.map { $0.noise!.values })
        let other = try release(secret: secret(dir, "other.secret", fill: 8))
        #expect(other.tables.map { $0.noise!.values } != first.tables.map { $0.noise!.values })
    }

    /// A perturbation table from a file is the one applied: every count of 1 or more gets +1.
    @Test func aTableFromAFileIsTheOneApplied() throws {
        let dir = TemporaryDirectory()
        let ptable = dir.file("plus-one.csv", "pcv,ckey,pvalue\n1,0,1\n1,1,1\n")
        let release = try release(secret: secret(dir), ptable: ptable)
        for table in release.tables {
            for cell in 0..<table.shape.cellCount {
                let truth = table.data.values[cell]
                #expect(table.published(cell) == (truth == 0 ? 0 : truth + 1))
            }
        }
    }

    @Test func aWrittenPerturbedReleasePassesItsAudit() throws {
        let dir = TemporaryDirectory()
        var plan = try ReleasePipeline.plan(specPath: cellKeySpec)
        plan.spec.protection.cellKey?.recordKeys = .secret(secret(dir))
        let out = dir.path + "/release"
        _ = try ReleasePipeline.protect(
            plan: plan, inputs: plan.spec.inputs, options: IngestOptions(onError: .stop), destination: ReleaseDirectory(path: out, overwrite: false))
        #expect(try PublishedAudit.run(directory: out).findings.isEmpty)
        let document = try ReleaseDocument.decode(Data(contentsOf: URL(fileURLWithPath: out + "/release.json")))
        #expect(document.cellKey?.largestPerturbation == 4 && document.cellKey?.ptable == "built-in")
        #expect(document.tables.allSatisfy { $0.cells.allSatisfy { $0.status == "perturbed" && $0.errorBound == 4 } })
        // The secret never leaves its file.
        let secretText = String(decoding: [UInt8](repeating: 7, count: 32), as: UTF8.self)
        for file in ["release.json", "manifest.json", "indicators.csv"] {
            #expect(!(try String(contentsOfFile: out + "/" + file, encoding: .utf8)).contains(secretText))
        }
    }
}
