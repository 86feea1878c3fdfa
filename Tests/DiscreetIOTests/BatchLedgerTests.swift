import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The batch's ledger: each release's current entry, and the history of every release
/// completed, with what it withheld and the figures it published exactly.
@Suite struct BatchLedgerTests {
    @Test func eachReleaseCompletedJoinsTheHistoryAndThePreviousOneReadsBack() throws {
        let path = PrivacyLedgerTests.temporaryLedger()
        defer { PrivacyLedgerTests.remove(path) }
        let ledger = try BatchLedger(path: path)
        #expect(try ledger.previous("combined") == nil)
        try ledger.begin("combined", releaseID: "r1", stamp: "s1", time: "2026-11-01T09:00:00Z", withheld: ["t": [false, true, true]], published: ["t": [30, nil, nil]])
        // Pending: not yet in the history.
        #expect(try ledger.previous("combined") == nil)
        try ledger.complete("combined", releaseID: "r1")
        let first = try #require(try ledger.previous("combined"))
        #expect(first.releaseID == "r1" && first.withheld == ["t": [false, true, true]] && first.published == ["t": [30, nil, nil]])
        try ledger.begin("combined", releaseID: "r2", stamp: "s2", time: "2026-12-01T09:00:00Z", withheld: ["t": [false, false, true]], published: ["t": [31, 4, nil]])
        // A run that dies before completing the next release leaves the last one the previous.
        #expect(try ledger.previous("combined")?.releaseID == "r1")
        try ledger.complete("combined", releaseID: "r2")
        #expect(try ledger.previous("combined")?.published == ["t": [31, 4, nil]])
        #expect(try ledger.historyCount("combined") == 2)
        #expect(try ledger.entries().map(\.releaseID) == ["r2"])
        // Completing a release the ledger does not hold changes nothing.
        #expect(throws: LedgerError.self) { try ledger.complete("combined", releaseID: "r9") }
        #expect(try ledger.historyCount("combined") == 2)
    }

    /// A ledger an earlier discreet wrote (version 1, no figures, no history) is brought up
    /// to date: its complete releases start the history, and their statuses are kept.
    @Test func aVersionOneLedgerGainsItsHistory() throws {
        let path = PrivacyLedgerTests.temporaryLedger()
        defer { PrivacyLedgerTests.remove(path) }
        do {
            let db = try LedgerDatabase<LedgerError>(path: path, patience: 1000) { .unreadableBatchLedger(path: path, reason: $0) }
            try db.execute("""
                CREATE TABLE batch_releases (release TEXT PRIMARY KEY, release_id TEXT NOT NULL, stamp TEXT NOT NULL, recorded TEXT NOT NULL,
                    complete INTEGER NOT NULL, withheld TEXT NOT NULL);
                INSERT INTO batch_releases VALUES ('combined', 'old', 'stamp', '2026-11-01T09:00:00Z', 1, 't\t0110');
                INSERT INTO batch_releases VALUES ('alpha', 'half', 'stamp', '2026-11-01T09:00:00Z', 0, 't\t1');
                PRAGMA user_version = 1;
                """)
        }
        let ledger = try BatchLedger(path: path)
        let previous = try #require(try ledger.previous("combined"))
        #expect(previous.releaseID == "old" && previous.withheld == ["t": [false, true, true, false]] && previous.published.isEmpty)
        #expect(try ledger.previous("alpha") == nil)
        #expect(try ledger.entries().map(\.release) == ["alpha", "combined"])
        // Opened again: already version 2.
        #expect(try BatchLedger(path: path).historyCount("combined") == 1)
    }

    /// A ledger a later discreet wrote (a schema version this one does not know) is refused
    /// by name, the batch ledger and the privacy ledger alike, and left as it is.
    @Test func aLedgerOfALaterSchemaIsRefused() throws {
        for privacy in [false, true] {
            let path = PrivacyLedgerTests.temporaryLedger()
            defer { PrivacyLedgerTests.remove(path) }
            do {
                let db = try LedgerDatabase<LedgerError>(path: path, patience: 1000) { .unreadable(path: path, reason: $0) }
                try db.execute("PRAGMA user_version = 9;")
            }
            do {
                if privacy { _ = try PrivacyLedger(path: path) } else { _ = try BatchLedger(path: path) }
                Issue.record("a schema of version 9 was opened")
            } catch {
                #expect(error.description.contains(path) && error.description.contains("schema version 9, this discreet reads"), "\(error)")
            }
            let db = try LedgerDatabase<LedgerError>(path: path, patience: 1000) { .unreadable(path: path, reason: $0) }
            #expect(try db.integer("PRAGMA user_version") == 9)
        }
    }
}
