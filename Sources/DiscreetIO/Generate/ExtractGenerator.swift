import CSQLite
import DiscreetCore
import Foundation

/// Makes synthetic extracts in the transitions template (see fixtures/transitions): a
/// population of young people known to five partners, each partner holding one or more
/// rows per person with its own outcome fields. Deterministic for a seed: test data only,
/// never a source of protective randomness.
public struct ExtractGenerator {
    /// The partners of the template, in output order.
    public enum Partner: String, CaseIterable, Sendable {
        case council, children, nhs, ccg, voluntary
    }

    /// The columns of the template, in output order.
    public static let columns = [
        "person_id", "partner", "ward", "age", "sex", "ethnicity", "disabled", "autistic", "send", "in_transition",
        "residence", "happy_with_transition", "carer_satisfied", "ehcp", "ehcp_review_attended", "neet", "care_leaver",
        "employed_16h", "direct_payment", "personal_budget", "annual_health_check", "care_cost",
    ]

    public let seed: UInt64
    /// Ward codes (the leaves of the spec's dimension over `ward`).
    public let wards: [String]
    /// How many people the population has.
    public let people: Int

    public enum Failure: Error, CustomStringConvertible {
        case template(String)
        case io(String)
        public var description: String {
            switch self {
            case .template(let m), .io(let m): return m
            }
        }
    }

    /// A generator for the spec's ward codes. The spec must declare the template's columns.
    public init(spec: ReleaseSpec, people: Int, seed: UInt64) throws(Failure) {
        let missing = Self.columns.filter { name in name != "partner" && spec.column(named: name) == nil }
        guard missing.isEmpty else {
            throw .template("the spec does not declare the transitions template's columns \(missing.joined(separator: ", ")): generate extracts with fixtures/transitions/spec.yaml")
        }
        guard let wardColumn = spec.column(named: "ward"), let area = spec.dimensions.first(where: { $0.column == wardColumn }) else {
            throw .template("the spec has no dimension over column 'ward' to take ward codes from")
        }
        self.init(wards: Array(area.dimension.codes[0..<area.dimension.leafCount]), people: people, seed: seed)
    }

    public init(wards: [String], people: Int, seed: UInt64) {
        precondition(!wards.isEmpty && people > 0)
        self.wards = wards
        self.people = people
        self.seed = seed
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// One person's attributes, the same in every partner's extract.
    struct Person {
        var id: String
        var ward: Int
        var age: Int
        var sex: String
        var ethnicity: String
        var disabled: Bool
        var autistic: Bool
        var send: Bool
        var inTransition: Bool
        var residence: String
        var ehcp: Bool
        var reviewAttended: Bool
        var neet: Bool
        var careLeaver: Bool
        var employed: Bool
        var directPayment: Bool
        var personalBudget: Bool
        var healthCheck: Bool
        var happy: String
        var carerSatisfied: String
        var partnerRows: [Int]  // rows per partner (0: not known to it)
    }

    func person(_ index: Int) -> Person {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
        // Wards differ in size: a few large, many small.
        let w = Int(Double(wards.count) * pow(rng.unit(), 1.6))
        let age = 12 + rng.below(16)  // 12..27: some outside the 14-25 cohort
        let disabled = rng.chance(0.62)
        let autistic = rng.chance(disabled ? 0.3 : 0.15)
        let send = rng.chance(0.55)
        let inTransition = (14...25).contains(age) && rng.chance(0.9)
        let r = rng.unit()
        let residence = r < 0.82 ? "community" : (r < 0.93 ? "residential_near" : "residential_far")
        let ehcp = rng.chance(0.45)
        let careLeaver = rng.chance(0.05)
        let neet = age >= 16 && rng.chance(careLeaver ? 0.35 : (disabled ? 0.18 : 0.1))
        let employed = age >= 18 && !neet && rng.chance(0.16)
        let e = rng.unit()
        let ethnicity = e < 0.70 ? "W" : e < 0.82 ? "A" : e < 0.89 ? "B" : e < 0.94 ? "M" : e < 0.97 ? "O" : "U"
        var partnerRows = [Int](repeating: 0, count: Partner.allCases.count)
        let known = [0.55, age < 19 || careLeaver ? 0.6 : 0.2, 0.6, 0.3, 0.2]
        for p in partnerRows.indices where rng.chance(known[p]) {
            var n = 1
            while n < 6 && rng.chance(0.3) { n += 1 }
            partnerRows[p] = n
        }
        if partnerRows.allSatisfy({ $0 == 0 }) { partnerRows[rng.below(partnerRows.count)] = 1 }
        return Person(
            id: "NB" + Self.padded(index, 9), ward: w, age: age, sex: rng.chance(0.56) ? "M" : "F",
            ethnicity: ethnicity, disabled: disabled, autistic: autistic, send: send, inTransition: inTransition,
            residence: residence, ehcp: ehcp, reviewAttended: ehcp && rng.chance(0.8), neet: neet, careLeaver: careLeaver,
            employed: employed, directPayment: rng.chance(0.18), personalBudget: age >= 18 && rng.chance(0.24),
            healthCheck: rng.chance(0.55), happy: rng.chance(0.35) ? (rng.chance(0.72) ? "yes" : "no") : "",
            carerSatisfied: rng.chance(0.3) ? (rng.chance(0.76) ? "yes" : "no") : "", partnerRows: partnerRows)
    }

    /// The fields of one row of `partner` about `p` (its `k`-th row there).
    func row(_ p: Person, _ partner: Partner, _ k: Int, _ rng: inout SplitMix64) -> [String] {
        func flag(_ b: Bool) -> String { b ? "1" : "0" }
        var fields = [
            p.id, partner.rawValue, wards[p.ward], String(p.age), p.sex, p.ethnicity, flag(p.disabled), flag(p.autistic),
            flag(p.send), flag(p.inTransition),
        ]
        var residence = "", happy = "", carer = "", ehcp = "", review = "", neet = "", leaver = "", employed = ""
        var direct = "", budget = "", check = "", cost = ""
        switch partner {
        case .council:
            residence = p.residence
            direct = flag(p.directPayment)
            budget = flag(p.personalBudget)
            carer = k == 0 ? p.carerSatisfied : ""
            let base = p.residence == "community" ? 4_000 + rng.below(26_000) : 45_000 + rng.below(110_000)
            cost = String(base) + "." + Self.padded(rng.below(100), 2)
        case .children:
            ehcp = flag(p.ehcp)
            review = p.ehcp ? flag(p.reviewAttended) : ""
            neet = p.age >= 16 ? flag(p.neet) : ""
            leaver = flag(p.careLeaver)
            happy = k == 0 ? p.happy : ""
        case .nhs:
            check = flag(p.healthCheck)
        case .ccg:
            budget = flag(p.personalBudget)
            check = flag(p.healthCheck)
        case .voluntary:
            happy = k == 0 ? p.happy : ""
            carer = k == 0 ? p.carerSatisfied : ""
            employed = p.age >= 18 ? flag(p.employed) : ""
        }
        fields += [residence, happy, carer, ehcp, review, neet, leaver, employed, direct, budget, check, cost]
        return fields
    }

    /// Calls `emit` with every row of the chosen partners, person by person, until `limit` rows.
    public func forEachRow(partners: [Partner], limit: Int? = nil, _ emit: ([String]) throws -> Void) rethrows {
        var written = 0
        for i in 0..<people {
            let p = person(i)
            var rng = SplitMix64(seed: seed ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93))
            for partner in partners {
                let n = p.partnerRows[Partner.allCases.firstIndex(of: partner)!]
                for k in 0..<n {
                    if let limit, written >= limit { return }
                    try emit(row(p, partner, k, &rng))
                    written += 1
                }
            }
        }
    }

    /// Writes a CSV extract; returns the number of rows.
    @discardableResult
    public func writeCSV(to path: String, partners: [Partner], limit: Int? = nil) throws(Failure) -> Int {
        guard let out = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            throw .io("cannot create \(path)")
        }
        defer { try? out.close() }
        do {
            try out.truncate(atOffset: 0)
            var csv = CSVText(reserving: 1 << 22)
            csv.row(Self.columns)
            var rows = 0
            try forEachRow(partners: partners, limit: limit) { fields in
                csv.row(fields)
                rows += 1
                if csv.bytes.count > 1 << 22 {
                    try out.write(contentsOf: csv.bytes)
                    csv = CSVText(reserving: 1 << 22)
                }
            }
            try out.write(contentsOf: csv.bytes)
            return rows
        } catch {
            throw .io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a SQLite extract (one table, every column as text); returns the number of rows.
    @discardableResult
    public func writeSQLite(to path: String, table: String, partners: [Partner], limit: Int? = nil) throws(Failure) -> Int {
        try? FileManager.default.removeItem(atPath: path)
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw .io("cannot create \(path)") }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws(Failure) {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw .io("\(path): \(String(cString: sqlite3_errmsg(db)))") }
        }
        let integers: Set<String> = ["age", "disabled", "autistic", "send", "in_transition"]
        let definitions = Self.columns.map { "\"\($0)\" \(integers.contains($0) ? "INTEGER" : "TEXT")" }
        try exec("CREATE TABLE \"\(table)\" (\(definitions.joined(separator: ", ")))")
        try exec("BEGIN")
        var insert: OpaquePointer?
        let marks = Array(repeating: "?", count: Self.columns.count).joined(separator: ",")
        guard sqlite3_prepare_v2(db, "INSERT INTO \"\(table)\" VALUES (\(marks))", -1, &insert, nil) == SQLITE_OK else {
            throw .io("\(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(insert) }
        var rows = 0
        var failed = false
        forEachRow(partners: partners, limit: limit) { fields in
            for (i, field) in fields.enumerated() {
                if field.isEmpty {
                    sqlite3_bind_null(insert, Int32(i + 1))
                } else if integers.contains(Self.columns[i]), let n = Int64(field) {
                    sqlite3_bind_int64(insert, Int32(i + 1), n)
                } else {
                    sqlite3_bind_text(insert, Int32(i + 1), field, -1, discreet_sqlite_transient())
                }
            }
            if sqlite3_step(insert) != SQLITE_DONE { failed = true }
            sqlite3_reset(insert)
            rows += 1
        }
        if failed { throw .io("\(path): \(String(cString: sqlite3_errmsg(db)))") }
        try exec("COMMIT")
        return rows
    }
}

/// SplitMix64: a small, fast, seedable generator for synthetic data (not for noise).
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func chance(_ p: Double) -> Bool { unit() < p }
}
