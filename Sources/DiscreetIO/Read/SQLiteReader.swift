import CSQLite
import DiscreetCore

/// A failure that stops reading a SQLite extract.
public enum SQLiteError: Error, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    /// No table or view of that name; `available` lists the ones there are.
    case noSuchTable(path: String, table: String, available: [String])
    /// No table was named and the database does not hold exactly one.
    case ambiguousTable(path: String, available: [String])
    case queryFailed(path: String, reason: String)
}

/// Reads a table or view of a SQLite database file row by row, presenting each value
/// as text bytes, like a CSV field: NULL reads as an empty field.
public final class SQLiteReader {
    public let path: String
    public let table: String
    /// The column names of the table or view.
    public let header: [String]
    /// The 1-based number of the current row.
    public private(set) var recordLine = 0
    /// Always nil: SQLite rows cannot be malformed.
    public let issue: RowIssue? = nil
    public let fileSize: Int?

    private var db: OpaquePointer?
    private var statement: OpaquePointer?
    private let columns: Int32

    /// Opens `path` read-only and prepares to read `table` (or its only table or view when nil).
    public init(path: String, table: String?) throws(SQLiteError) {
        self.path = path
        fileSize = POSIX.fileSize(path)
        var handle: OpaquePointer?
        guard fileSize != nil,
            sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let handle
        else {
            let reason = handle.map(Self.reason) ?? "no such file"
            sqlite3_close(handle)
            throw .cannotOpen(path: path, reason: reason)
        }
        db = handle
        func fail(_ error: SQLiteError) -> SQLiteError {
            sqlite3_close(handle)
            return error
        }
        // The tables and views there are.
        var list: OpaquePointer?
        var available: [String] = []
        guard sqlite3_prepare_v2(
            handle, "SELECT name FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
            -1, &list, nil) == SQLITE_OK
        else {
            throw fail(.cannotOpen(path: path, reason: Self.reason(handle)))
        }
        while sqlite3_step(list) == SQLITE_ROW { available.append(String(cString: sqlite3_column_text(list, 0))) }
        sqlite3_finalize(list)
        let chosen: String
        if let table {
            guard available.contains(table) else { throw fail(.noSuchTable(path: path, table: table, available: available)) }
            chosen = table
        } else {
            guard available.count == 1 else { throw fail(.ambiguousTable(path: path, available: available)) }
            chosen = available[0]
        }
        self.table = chosen
        let quoted = "\"" + chosen.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, "SELECT * FROM \(quoted)", -1, &stmt, nil) == SQLITE_OK else {
            throw fail(.queryFailed(path: path, reason: Self.reason(handle)))
        }
        statement = stmt
        columns = sqlite3_column_count(stmt)
        header = (0..<columns).map { String(cString: sqlite3_column_name(stmt, $0)) }
    }

    deinit { close() }

    /// What went wrong, in SQLite's fixed words for the error code: its detailed message can
    /// quote the file's content (a damaged schema's text), which may be a record's values.
    static func reason(_ handle: OpaquePointer?) -> String {
        String(cString: sqlite3_errstr(sqlite3_extended_errcode(handle)))
    }

    public func close() {
        sqlite3_finalize(statement)
        sqlite3_close(db)
        statement = nil
        db = nil
    }

    public var fieldCount: Int { Int(columns) }

    /// Moves to the next row; `false` after the last.
    public func next() throws(SQLiteError) -> Bool {
        guard let statement else { return false }
        switch sqlite3_step(statement) {
        case SQLITE_ROW:
            recordLine += 1
            return true
        case SQLITE_DONE:
            return false
        default:
            throw .queryFailed(path: path, reason: Self.reason(db))
        }
    }

    /// The current row's value in column `i`, as text bytes.
    @inline(__always)
    public func field(_ i: Int) -> UnsafeRawBufferPointer {
        let column = Int32(i)
        guard let text = sqlite3_column_text(statement, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column)))
    }
}
