import CSQLite

/// The SQLite file of a ledger, open for reading and writing (made where missing), with
/// the few kinds of statement ledgers run: every value bound and read as text. A run waits
/// `patience` milliseconds for another run holding the file.
final class LedgerDatabase<Failure: Error> {
    let path: String
    private let db: OpaquePointer
    /// The error to throw, given SQLite's reason.
    private let failing: (String) -> Failure

    init(path: String, patience: Int32, failing: @escaping (String) -> Failure) throws(Failure) {
        self.path = path
        self.failing = failing
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw failing(reason)
        }
        db = handle
        sqlite3_busy_timeout(db, patience)
    }

    deinit { sqlite3_close(db) }

    /// Brings the file's schema (SQLite's `user_version`) to `version`, in one transaction
    /// that waits for other runs: an empty file gets `create`; a file of an older version
    /// `upgrades[its version]`; a file of this version is left alone; any other is refused
    /// as one this discreet cannot read.
    func prepareSchema(version: Int32, create: String, upgrades: [Int64: String] = [:]) throws(Failure) {
        try execute("BEGIN IMMEDIATE")
        let found = try integer("PRAGMA user_version")
        if found != Int64(version) {
            guard let script = found == 0 ? create : upgrades[found] else {
                throw failing("schema version \(found), this discreet reads \(version)")
            }
            try execute(script + "\nPRAGMA user_version = \(version);")
        }
        try execute("COMMIT")
    }

    /// The rows the last statement changed.
    var changes: Int32 { sqlite3_changes(db) }

    func failure() -> Failure { failing(String(cString: sqlite3_errmsg(db))) }

    func execute(_ sql: String) throws(Failure) {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    func integer(_ sql: String) throws(Failure) -> Int64 {
        guard let row = try query(sql, []).first, let value = Int64(row[0]) else { throw failure() }
        return value
    }

    func run(_ sql: String, _ values: [String?]) throws(Failure) { _ = try query(sql, values) }

    /// The rows of a statement, every column as text.
    func query(_ sql: String, _ values: [String?]) throws(Failure) -> [[String]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure() }
        defer { sqlite3_finalize(statement) }
        for (i, value) in values.enumerated() {
            if let value {
                sqlite3_bind_text(statement, Int32(i + 1), value, -1, discreet_sqlite_transient())
            } else {
                sqlite3_bind_null(statement, Int32(i + 1))
            }
        }
        var rows: [[String]] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append((0..<sqlite3_column_count(statement)).map { sqlite3_column_text(statement, $0).map { String(cString: $0) } ?? "" })
            case SQLITE_DONE:
                return rows
            default:
                throw failure()
            }
        }
    }
}
