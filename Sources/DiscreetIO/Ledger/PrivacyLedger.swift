import CSQLite
import DiscreetCore

/// How a dataset's privacy budget is counted: pure ε-differential privacy, where the ε of
/// releases add up, or ρ-zero-concentrated DP (zCDP), where their ρ add up.
public enum PrivacyAccounting: String, Sendable, CaseIterable {
    case pure = "epsilon"
    case zCDP = "rho"

    /// The parameter's name in messages.
    public var symbol: String { self == .pure ? "ε" : "ρ" }
}

/// What one release spends from a dataset's budget, as the ledger records it.
public struct PrivacySpend: Sendable, Equatable {
    public var releaseID: String
    public var dataset: String
    public var requester: String
    public var tables: [String]
    /// The mechanism, as the manifest names it ("discrete Laplace", "discrete Gaussian").
    public var mechanism: String
    public var accounting: PrivacyAccounting
    /// ε (pure) or ρ (zCDP), exactly.
    public var amount: Rational
    public var specChecksum: String
    public var inputChecksums: [String]

    public init(
        releaseID: String, dataset: String, requester: String, tables: [String], mechanism: String,
        accounting: PrivacyAccounting, amount: Rational, specChecksum: String, inputChecksums: [String]
    ) {
        self.releaseID = releaseID
        self.dataset = dataset
        self.requester = requester
        self.tables = tables
        self.mechanism = mechanism
        self.accounting = accounting
        self.amount = amount
        self.specChecksum = specChecksum
        self.inputChecksums = inputChecksums
    }
}

/// One release in the ledger.
public struct LedgerEntry: Sendable, Equatable {
    public var spend: PrivacySpend
    /// What it counts against its dataset's budget, in the dataset's accounting (a pure ε
    /// spent from a zCDP budget counts as ρ = ε²/2).
    public var charged: Rational
    public var recorded: String
    /// Whether its files were written. A release recorded but never published still counts
    /// as spent: its noise may have been drawn, and nothing proves it was not seen.
    public var published: Bool
}

/// A dataset's budget and what is left of it.
public struct BudgetState: Sendable, Equatable {
    public var dataset: String
    public var accounting: PrivacyAccounting
    public var total: Rational
    public var spent: Rational
    public var releases: Int
    /// Releases recorded whose files never appeared (a run that stopped between the two).
    public var unpublished: Int
    public var remaining: Rational { total - spent }
}

/// Why the ledger refused, or could not be read.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// The release would take the dataset past its budget; nothing was recorded.
    case overBudget(dataset: String, accounting: PrivacyAccounting, total: Rational, spent: Rational, releases: Int, requested: Rational)
    /// The spec declares another total than the one the ledger holds for the dataset.
    case otherTotal(dataset: String, accounting: PrivacyAccounting, ledger: Rational, spec: Rational)
    /// A zCDP release from a dataset whose budget is pure ε: zCDP implies no pure ε.
    case otherAccounting(dataset: String, ledger: PrivacyAccounting, release: PrivacyAccounting)
    /// A budget set in another accounting than the dataset's: its releases are counted in
    /// the one it has.
    case accountingFixed(dataset: String, ledger: PrivacyAccounting)
    case duplicateRelease(String)
    case unknownRelease(String)
    /// The file cannot be opened or read as a ledger.
    case unreadable(path: String, reason: String)
    /// A batch's ledger (``BatchLedger``) cannot be opened or read.
    case unreadableBatchLedger(path: String, reason: String)

    public var description: String {
        switch self {
        case .overBudget(let dataset, let accounting, let total, let spent, let releases, let requested):
            let s = accounting.symbol
            return "dataset \(dataset): its budget is \(s) = \(total); \(releases) earlier release\(releases == 1 ? "" : "s") spent \(spent), leaving \(total - spent); this release asks \(s) = \(requested), \(spent + requested - total) too much. Nothing was drawn or recorded."
        case .otherTotal(let dataset, let accounting, let ledger, let spec):
            return "dataset \(dataset): the ledger holds a budget of \(accounting.symbol) = \(ledger), the spec declares \(spec); a budget is changed in the ledger on purpose (discreet budget), never by a spec"
        case .otherAccounting(let dataset, let ledger, let release):
            return "dataset \(dataset): its budget is counted in \(ledger.symbol) (\(ledger == .pure ? "pure DP" : "zCDP")), and a release spending \(release.symbol) cannot be counted in it (zCDP implies no pure ε)"
        case .accountingFixed(let dataset, let ledger):
            return "dataset \(dataset): its budget is counted in \(ledger.symbol) (\(ledger == .pure ? "pure DP" : "zCDP")), and stays so: set it as \(ledger == .pure ? "--epsilon" : "--rho")"
        case .duplicateRelease(let id): return "release \(id) is already in the ledger"
        case .unknownRelease(let id): return "release \(id) is not in the ledger"
        case .unreadable(let path, let reason): return "\(path): not a privacy-budget ledger discreet can use (\(reason))"
        case .unreadableBatchLedger(let path, let reason): return "\(path): not a batch ledger discreet can use (\(reason))"
        }
    }
}

/// The privacy-budget ledger: every differentially private release of a dataset, what it
/// spent, and whether its files appeared, in one SQLite file, so that repeated releases
/// cannot spend more than the dataset's budget between them.
///
/// A release is recorded before any noise is drawn, in one transaction that reads what the
/// dataset has spent and adds the new spend only if the total stays within its budget
/// (`BEGIN IMMEDIATE`: two runs on one ledger take turns, so neither can spend what the
/// other has just taken). It is marked published after its files are in place. A run that
/// stops between the two leaves a release recorded and not published, counted as spent.
public final class PrivacyLedger {
    /// The schema's version, kept in SQLite's `user_version`.
    static let schemaVersion: Int32 = 1
    /// How long a run waits for another holding the ledger, in milliseconds.
    static let patience: Int32 = 60_000

    public let path: String
    private let database: LedgerDatabase<LedgerError>

    /// Opens the ledger at `path`, making it if there is no file there.
    public init(path: String) throws(LedgerError) {
        self.path = path
        database = try LedgerDatabase(path: path, patience: Self.patience) { .unreadable(path: path, reason: $0) }
        try database.prepareSchema(
            version: Self.schemaVersion,
            create: """
                CREATE TABLE datasets (
                    dataset TEXT PRIMARY KEY,
                    accounting TEXT NOT NULL CHECK (accounting IN ('epsilon', 'rho')),
                    total TEXT NOT NULL);
                CREATE TABLE releases (
                    release_id TEXT PRIMARY KEY,
                    dataset TEXT NOT NULL REFERENCES datasets(dataset),
                    requester TEXT NOT NULL,
                    tables TEXT NOT NULL,
                    mechanism TEXT NOT NULL,
                    accounting TEXT NOT NULL CHECK (accounting IN ('epsilon', 'rho')),
                    amount TEXT NOT NULL,
                    charged TEXT NOT NULL,
                    spec_checksum TEXT NOT NULL,
                    input_checksums TEXT NOT NULL,
                    recorded TEXT NOT NULL,
                    published INTEGER NOT NULL DEFAULT 0);
                """)
    }

    /// Records `spend` against its dataset, whose budget is `total` in the spend's accounting
    /// (registered by the dataset's first release), if the dataset's spend stays within it;
    /// returns the dataset's state after. Throws, recording nothing, where it would not.
    @discardableResult
    public func record(_ spend: PrivacySpend, total: Rational, time: String) throws(LedgerError) -> BudgetState {
        // A spend of 0 or less would give budget back.
        precondition(spend.amount.signum > 0 && total.signum >= 0, "a spend is positive and a budget not negative")
        try database.execute("BEGIN IMMEDIATE")
        do throws(LedgerError) {
            let known = try database.query("SELECT accounting, total FROM datasets WHERE dataset = ?", [spend.dataset])
            let accounting: PrivacyAccounting
            if let row = known.first {
                accounting = PrivacyAccounting(rawValue: row[0]) ?? .pure
                let ledgerTotal = try rational(row[1])
                guard accounting == spend.accounting || accounting == .zCDP else {
                    throw LedgerError.otherAccounting(dataset: spend.dataset, ledger: accounting, release: spend.accounting)
                }
                if accounting == spend.accounting, ledgerTotal != total {
                    throw LedgerError.otherTotal(dataset: spend.dataset, accounting: accounting, ledger: ledgerTotal, spec: total)
                }
            } else {
                accounting = spend.accounting
                try database.run("INSERT INTO datasets (dataset, accounting, total) VALUES (?, ?, ?)", [spend.dataset, accounting.rawValue, total.description])
            }
            guard try database.query("SELECT 1 FROM releases WHERE release_id = ?", [spend.releaseID]).isEmpty else {
                throw LedgerError.duplicateRelease(spend.releaseID)
            }
            // ε-DP implies (ε²/2)-zCDP.
            let charged = accounting == spend.accounting ? spend.amount : spend.amount * spend.amount / Rational(2)
            let before = try state(spend.dataset)!
            guard !(before.total < before.spent + charged) else {
                throw LedgerError.overBudget(
                    dataset: spend.dataset, accounting: accounting, total: before.total, spent: before.spent, releases: before.releases, requested: charged)
            }
            try database.run(
                """
                INSERT INTO releases (release_id, dataset, requester, tables, mechanism, accounting, amount, charged,
                    spec_checksum, input_checksums, recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    spend.releaseID, spend.dataset, spend.requester, spend.tables.joined(separator: "\n"), spend.mechanism,
                    spend.accounting.rawValue, spend.amount.description, charged.description, spend.specChecksum,
                    spend.inputChecksums.joined(separator: "\n"), time,
                ])
            let after = try state(spend.dataset)!
            try database.execute("COMMIT")
            return after
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// Marks a recorded release as published (its files are in place).
    public func markPublished(_ releaseID: String) throws(LedgerError) {
        try database.run("UPDATE releases SET published = 1 WHERE release_id = ?", [releaseID])
        guard database.changes == 1 else { throw .unknownRelease(releaseID) }
    }

    /// Sets a dataset's budget (registering the dataset where it is new): the one way to
    /// change it, so that raising a budget is a decision, never a spec's side effect. A total
    /// below what the dataset has spent is allowed (nothing more can then be spent).
    public func setTotal(dataset: String, accounting: PrivacyAccounting, total: Rational) throws(LedgerError) {
        precondition(total.signum >= 0, "a budget is not negative")
        try database.execute("BEGIN IMMEDIATE")
        do throws(LedgerError) {
            if let row = try database.query("SELECT accounting FROM datasets WHERE dataset = ?", [dataset]).first, row[0] != accounting.rawValue {
                throw LedgerError.accountingFixed(dataset: dataset, ledger: PrivacyAccounting(rawValue: row[0]) ?? .pure)
            }
            try database.run(
                "INSERT INTO datasets (dataset, accounting, total) VALUES (?, ?, ?) ON CONFLICT (dataset) DO UPDATE SET total = excluded.total",
                [dataset, accounting.rawValue, total.description])
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// Every dataset's budget and spend, by dataset name.
    public func budgets() throws(LedgerError) -> [BudgetState] {
        var result: [BudgetState] = []
        for row in try database.query("SELECT dataset FROM datasets ORDER BY dataset", []) {
            if let state = try state(row[0]) { result.append(state) }
        }
        return result
    }

    /// Every release, in the order recorded (of one dataset, where named).
    public func entries(dataset: String? = nil) throws(LedgerError) -> [LedgerEntry] {
        let rows = try database.query(
            """
            SELECT release_id, dataset, requester, tables, mechanism, accounting, amount, charged, spec_checksum,
                input_checksums, recorded, published FROM releases WHERE ?1 IS NULL OR dataset = ?1 ORDER BY rowid
            """, [dataset])
        return try rows.map { (r) throws(LedgerError) in
            let spend = PrivacySpend(
                releaseID: r[0], dataset: r[1], requester: r[2], tables: r[3].isEmpty ? [] : r[3].split(separator: "\n").map(String.init),
                mechanism: r[4], accounting: PrivacyAccounting(rawValue: r[5]) ?? .pure, amount: try rational(r[6]), specChecksum: r[8],
                inputChecksums: r[9].isEmpty ? [] : r[9].split(separator: "\n").map(String.init))
            return LedgerEntry(spend: spend, charged: try rational(r[7]), recorded: r[10], published: r[11] == "1")
        }
    }

    // MARK: - SQLite

    private func state(_ dataset: String) throws(LedgerError) -> BudgetState? {
        guard let row = try database.query("SELECT accounting, total FROM datasets WHERE dataset = ?", [dataset]).first else { return nil }
        var spent = Rational.zero
        var releases = 0
        var unpublished = 0
        for r in try database.query("SELECT charged, published FROM releases WHERE dataset = ? ORDER BY rowid", [dataset]) {
            spent += try rational(r[0])
            releases += 1
            if r[1] != "1" { unpublished += 1 }
        }
        return BudgetState(
            dataset: dataset, accounting: PrivacyAccounting(rawValue: row[0]) ?? .pure, total: try rational(row[1]), spent: spent,
            releases: releases, unpublished: unpublished)
    }

    private func rational(_ text: String) throws(LedgerError) -> Rational {
        guard let value = Rational(text) else { throw .unreadable(path: path, reason: "an amount that is not a number") }
        return value
    }
}
