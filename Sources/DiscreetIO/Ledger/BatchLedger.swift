/// The record of a batch's releases, in `batch-ledger.sqlite` in the batch's directory: for
/// each release (`combined`, or a partner's key), the release its directory holds, what it
/// was made from (the tool's version, the spec's and the inputs' checksums), and which of
/// its figures it withholds, so that a run with nothing changed does no work, and a run
/// after some extracts changed keeps the other partners' releases as they are.
///
/// A release is marked pending, with its new identity, before its directory is replaced,
/// and complete after: a run killed at any moment leaves every complete entry naming the
/// release its directory holds, and a pending one is made again by the next run.
///
/// Every release completed is kept in its history too, with the figures it published
/// exactly: the next release of the same dashboard withholds again, where that costs
/// little, what the last one withheld, and its audit reports where this release minus the
/// last one isolates a small group.
public final class BatchLedger {
    /// The ledger's file name in a batch's directory.
    public static let fileName = "batch-ledger.sqlite"
    static let schemaVersion: Int32 = 2
    /// How long a run waits for another holding the ledger, in milliseconds.
    static let patience: Int32 = 60_000

    /// One release, as the ledger records it.
    public struct Entry: Sendable, Equatable {
        /// `combined`, or the partner's key (the directory's name).
        public var release: String
        public var releaseID: String
        /// What the release was made from: see ``BatchLedger/stamp(spec:inputs:)``.
        public var stamp: String
        public var recorded: String
        /// Whether its directory was written (false: the run stopped before or while it was).
        public var complete: Bool
        /// Per table of the joint plan it publishes (an indicator's numerator and
        /// denominator are tables too), whether each cell is withheld, in cell order.
        public var withheld: [String: [Bool]]
        /// Per table, the figure each cell publishes exactly (nil: withheld, or rounded): the
        /// ledger holds no figure its release withholds.
        public var published: [String: [Int64?]] = [:]
    }

    public let path: String
    private let database: LedgerDatabase<LedgerError>

    /// Opens the ledger at `path`, making it if there is no file there.
    public init(path: String) throws(LedgerError) {
        self.path = path
        database = try LedgerDatabase(path: path, patience: Self.patience) { .unreadableBatchLedger(path: path, reason: $0) }
        try database.prepareSchema(
            version: Self.schemaVersion,
            create: """
                CREATE TABLE batch_releases (
                    release TEXT PRIMARY KEY,
                    release_id TEXT NOT NULL,
                    stamp TEXT NOT NULL,
                    recorded TEXT NOT NULL,
                    complete INTEGER NOT NULL,
                    withheld TEXT NOT NULL,
                    published TEXT NOT NULL DEFAULT '');
                \(Self.history)
                """,
            // Version 1 kept no figures: its releases start the history without them.
            upgrades: [
                1: """
                    ALTER TABLE batch_releases ADD COLUMN published TEXT NOT NULL DEFAULT '';
                    \(Self.history)
                    INSERT INTO batch_history (release, release_id, recorded, withheld, published)
                        SELECT release, release_id, recorded, withheld, published FROM batch_releases WHERE complete = 1;
                    """
            ])
    }

    /// Every release completed, in the order they were.
    static let history = """
        CREATE TABLE batch_history (
            release TEXT NOT NULL,
            release_id TEXT NOT NULL,
            recorded TEXT NOT NULL,
            withheld TEXT NOT NULL,
            published TEXT NOT NULL);
        """

    /// What a release is made from, as one checksum: the tool's version, the spec's bytes'
    /// checksum, and its inputs' (the combined release's: every input's), in order.
    public static func stamp(spec: String, inputs: [String]) -> String {
        var text = "discreet \(DiscreetVersion.current)\nspec \(spec)\n"
        for input in inputs { text += "input \(input)\n" }
        return SHA256.hex(Array(text.utf8))
    }

    /// Every release recorded, by name.
    public func entries() throws(LedgerError) -> [Entry] {
        try database.query("SELECT release, release_id, stamp, recorded, complete, withheld, published FROM batch_releases ORDER BY release", []).map {
            Entry(
                release: $0[0], releaseID: $0[1], stamp: $0[2], recorded: $0[3], complete: $0[4] == "1", withheld: Self.decode($0[5]),
                published: Self.decodeFigures($0[6]))
        }
    }

    /// The last release of `release` completed (nil: none was). Its stamp is not kept.
    public func previous(_ release: String) throws(LedgerError) -> Entry? {
        try database.query(
            "SELECT release_id, recorded, withheld, published FROM batch_history WHERE release = ? ORDER BY rowid DESC LIMIT 1", [release]
        ).first.map {
            Entry(release: release, releaseID: $0[0], stamp: "", recorded: $0[1], complete: true, withheld: Self.decode($0[2]), published: Self.decodeFigures($0[3]))
        }
    }

    /// How many releases of `release` the history holds.
    public func historyCount(_ release: String) throws(LedgerError) -> Int {
        Int(try database.query("SELECT count(*) FROM batch_history WHERE release = ?", [release]).first.flatMap { Int($0[0]) } ?? 0)
    }

    /// Tables' withheld cells as text: one line per table, its name, a tab, then one
    /// character per cell (`1` withheld, `0` published).
    static func encode(_ withheld: [String: [Bool]]) -> String {
        withheld.keys.sorted().map { name in name + "\t" + String(withheld[name]!.map { $0 ? "1" : "0" }) }.joined(separator: "\n")
    }

    /// Tables' exact figures as text: one line per table, its name, a tab, then its cells'
    /// figures separated by commas (empty where it publishes none exactly).
    static func encode(_ figures: [String: [Int64?]]) -> String {
        figures.keys.sorted().map { name in name + "\t" + figures[name]!.map { $0.map(String.init) ?? "" }.joined(separator: ",") }.joined(separator: "\n")
    }

    static func decodeFigures(_ text: String) -> [String: [Int64?]] {
        var result: [String: [Int64?]] = [:]
        for line in text.split(separator: "\n") {
            guard let tab = line.lastIndex(of: "\t") else { continue }
            result[String(line[..<tab])] = line[line.index(after: tab)...].split(separator: ",", omittingEmptySubsequences: false).map { Int64($0) }
        }
        return result
    }

    static func decode(_ text: String) -> [String: [Bool]] {
        var result: [String: [Bool]] = [:]
        for line in text.split(separator: "\n") {
            guard let tab = line.lastIndex(of: "\t") else { continue }
            result[String(line[..<tab])] = line[line.index(after: tab)...].map { $0 == "1" }
        }
        return result
    }

    /// Records that `release`'s directory is about to hold release `releaseID`, made from
    /// `stamp`, withholding `withheld` and publishing `published` exactly: until
    /// ``complete(_:releaseID:)``, the entry says the directory may hold anything.
    public func begin(
        _ release: String, releaseID: String, stamp: String, time: String, withheld: [String: [Bool]], published: [String: [Int64?]] = [:]
    ) throws(LedgerError) {
        try database.run(
            "INSERT OR REPLACE INTO batch_releases (release, release_id, stamp, recorded, complete, withheld, published) VALUES (?, ?, ?, ?, 0, ?, ?)",
            [release, releaseID, stamp, time, Self.encode(withheld), Self.encode(published)])
    }

    /// Records that `release`'s directory holds release `releaseID`, complete, and adds it to
    /// the history (both or neither).
    public func complete(_ release: String, releaseID: String) throws(LedgerError) {
        try database.execute("BEGIN IMMEDIATE")
        do throws(LedgerError) {
            try database.run("UPDATE batch_releases SET complete = 1 WHERE release = ? AND release_id = ?", [release, releaseID])
            guard database.changes == 1 else { throw LedgerError.unknownRelease(releaseID) }
            try database.run(
                "INSERT INTO batch_history (release, release_id, recorded, withheld, published) SELECT release, release_id, recorded, withheld, published FROM batch_releases WHERE release = ?",
                [release])
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }
}
