import DiscreetCore
import Foundation
import Testing
@testable import DiscreetIO

/// The privacy-budget ledger: spends add up exactly, a release past the budget is refused
/// before anything is recorded, runs sharing a ledger take turns, and a release recorded but
/// never published still counts.
@Suite struct PrivacyLedgerTests {
    static func temporaryLedger() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("budget.sqlite").path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    static func spend(_ id: String, _ amount: Rational, dataset: String = "transitions", accounting: PrivacyAccounting = .pure) -> PrivacySpend {
        PrivacySpend(
            releaseID: id, dataset: dataset, requester: "research team", tables: ["area_age", "area_sex"],
            mechanism: accounting == .pure ? "discrete Laplace" : "discrete Gaussian", accounting: accounting, amount: amount,
            specChecksum: "sha256:spec", inputChecksums: ["sha256:a", "sha256:b"])
    }

    @Test func twoReleasesSpendAndAThirdPastTheBudgetIsRefused() throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        let ledger = try PrivacyLedger(path: path)
        let first = try ledger.record(Self.spend("r1", Rational(1, 2)), total: .one, time: "2026-12-05T10:00:00Z")
        #expect(first.spent == Rational(1, 2) && first.remaining == Rational(1, 2))
        let second = try ledger.record(Self.spend("r2", Rational(1, 3)), total: .one, time: "2026-12-05T11:00:00Z")
        #expect(second.spent == Rational(5, 6) && second.remaining == Rational(1, 6) && second.releases == 2)
        #expect(throws: LedgerError.overBudget(
            dataset: "transitions", accounting: .pure, total: .one, spent: Rational(5, 6), releases: 2, requested: Rational(1, 4))) {
            try ledger.record(Self.spend("r3", Rational(1, 4)), total: .one, time: "2026-12-05T12:00:00Z")
        }
        // Nothing of the refused release was recorded, and the message shows both spends.
        #expect(try ledger.entries().map(\.spend.releaseID) == ["r1", "r2"])
        let message = LedgerError.overBudget(
            dataset: "transitions", accounting: .pure, total: .one, spent: Rational(5, 6), releases: 2, requested: Rational(1, 4)
        ).description
        #expect(message.contains("spent 5/6") && message.contains("asks ε = 1/4") && message.contains("1/12 too much"))
        // Exactly what is left is allowed: the budget is a closed bound.
        let last = try ledger.record(Self.spend("r4", Rational(1, 6)), total: .one, time: "2026-12-05T13:00:00Z")
        #expect(last.remaining == .zero)
    }

    @Test func whatIsRecordedReadsBack() throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        do {
            let ledger = try PrivacyLedger(path: path)
            try ledger.record(Self.spend("r1", Rational(1, 10)), total: Rational(2), time: "2026-12-05T10:00:00Z")
            try ledger.markPublished("r1")
        }
        let again = try PrivacyLedger(path: path)
        let entries = try again.entries(dataset: "transitions")
        #expect(entries == [LedgerEntry(spend: Self.spend("r1", Rational(1, 10)), charged: Rational(1, 10), recorded: "2026-12-05T10:00:00Z", published: true)])
        #expect(try again.entries(dataset: "other").isEmpty)
        #expect(throws: LedgerError.duplicateRelease("r1")) { try again.record(Self.spend("r1", Rational(1, 10)), total: Rational(2), time: "t") }
        #expect(throws: LedgerError.unknownRelease("nope")) { try again.markPublished("nope") }
    }

    /// A run stopped between recording and publishing leaves its release counted as spent,
    /// and reported as never published.
    @Test func aReleaseRecordedButNeverPublishedStillCounts() throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        do {
            let ledger = try PrivacyLedger(path: path)
            try ledger.record(Self.spend("r1", Rational(1, 2)), total: .one, time: "t1")
            try ledger.markPublished("r1")
            try ledger.record(Self.spend("r2", Rational(1, 4)), total: .one, time: "t2")
            // The run stops here: no markPublished("r2").
        }
        let budgets = try PrivacyLedger(path: path).budgets()
        #expect(budgets == [BudgetState(dataset: "transitions", accounting: .pure, total: .one, spent: Rational(3, 4), releases: 2, unpublished: 1)])
    }

    /// A pure ε release counts against a zCDP budget as ρ = ε²/2; a zCDP release cannot be
    /// counted against a pure budget; a spec cannot change a budget the ledger holds.
    @Test func budgetsAreCountedInOneAccountingAndChangedOnlyOnPurpose() throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        let ledger = try PrivacyLedger(path: path)
        try ledger.record(Self.spend("g1", Rational(1, 8), dataset: "cohort", accounting: .zCDP), total: Rational(1, 2), time: "t")
        let after = try ledger.record(Self.spend("l1", Rational(1, 2), dataset: "cohort"), total: Rational(1, 2), time: "t")
        #expect(after.spent == Rational(1, 8) + Rational(1, 8))
        try ledger.record(Self.spend("l2", Rational(1), dataset: "pure"), total: Rational(3), time: "t")
        #expect(throws: LedgerError.otherAccounting(dataset: "pure", ledger: .pure, release: .zCDP)) {
            try ledger.record(Self.spend("g2", Rational(1, 100), dataset: "pure", accounting: .zCDP), total: Rational(3), time: "t")
        }
        #expect(throws: LedgerError.otherTotal(dataset: "pure", accounting: .pure, ledger: Rational(3), spec: Rational(5))) {
            try ledger.record(Self.spend("l3", Rational(1), dataset: "pure"), total: Rational(5), time: "t")
        }
        try ledger.setTotal(dataset: "pure", accounting: .pure, total: Rational(5))
        let raised = try ledger.record(Self.spend("l3", Rational(1), dataset: "pure"), total: Rational(5), time: "t")
        #expect(raised.total == Rational(5) && raised.spent == Rational(2))
    }

    /// Eight connections (each as a separate run would open it) race to spend 1/20 each, 40
    /// times in all, from a budget of 1: exactly 20 are recorded, the rest refused, and the
    /// spend is exactly 1.
    @Test func runsRacingOnOneLedgerNeverOverspend() async throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        _ = try PrivacyLedger(path: path)
        /// Per attempt: nil where recorded, else the refusal.
        let outcomes = await withTaskGroup(of: [LedgerError?].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let ledger = try! PrivacyLedger(path: path)
                    return (0..<5).map { k -> LedgerError? in
                        do throws(LedgerError) {
                            try ledger.record(Self.spend("w\(worker)-\(k)", Rational(1, 20)), total: .one, time: "t")
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
            }
            var all: [LedgerError?] = []
            for await result in group { all += result }
            return all
        }
        #expect(outcomes.filter { $0 == nil }.count == 20)
        // Every other attempt was refused for the budget, none for a busy ledger.
        #expect(outcomes.allSatisfy { outcome in
            guard let outcome else { return true }
            if case .overBudget = outcome { return true }
            return false
        })
        let state = try PrivacyLedger(path: path).budgets()
        #expect(state.first?.spent == .one && state.first?.releases == 20)
    }

    @Test func aFileThatIsNotALedgerIsRefusedByName() throws {
        let path = Self.temporaryLedger()
        defer { Self.remove(path) }
        try Array("name,date_of_birth\n".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        #expect {
            _ = try PrivacyLedger(path: path)
        } throws: { error in
            guard case .unreadable(let p, _) = error as? LedgerError else { return false }
            return p == path
        }
    }
}
