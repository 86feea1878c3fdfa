import DiscreetCore
import DiscreetIO
import Foundation
import Testing

/// The built `discreet` executable, beside the test bundle.
let executable: URL = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while dir.path != "/" {
        let candidate = dir.appendingPathComponent("discreet")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir.deleteLastPathComponent()
    }
    fatalError("cannot find the discreet executable near \(CommandLine.arguments[0])")
}()

let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

struct Run {
    var status: Int32
    var out: String
    var err: String
}

func discreet(_ arguments: String...) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "discreet-cli-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite(.serialized) struct CommandLineTests {
    let spec = root + "/fixtures/transitions/spec.yaml"

    @Test func quickStartWritesTheFixtureRelease() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/release"
        let run = try discreet("protect", "--spec", spec, "--out", out, "--overwrite")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("read 5 inputs: 4,548 rows, 1,046 people"))
        #expect(run.out.contains("audit passed; release written to \(out)"))
        #expect(run.out.contains("transition_by_area_ethnicity: 147 cells, withheld"))
        // Each table's withheld cells by level add up to what it withholds.
        let lines = run.out.split(separator: "\n").map(String.init)
        let ethnicity = lines.firstIndex { $0.contains("transition_by_area_ethnicity: 147 cells, withheld") }!
        let withheld = lines[ethnicity].split(separator: " ").compactMap { Int($0) }  // 147, primary, secondary, ...
        #expect(lines[ethnicity + 1].hasPrefix("    withheld by level (0 inner cells ... 3 the grand total): "))
        let byLevel = lines[ethnicity + 1].split(separator: ":").last!.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        #expect(byLevel.count == 4 && byLevel.reduce(0, +) == withheld[1] + withheld[2], "\(lines[ethnicity])\n\(lines[ethnicity + 1])")
        // Groups counted by subtraction are protected, and what that withheld is reported.
        #expect(run.out.contains("groups of 1 to 4 people countable by subtracting figures (a denominator minus its numerator) protected"))
        #expect(run.out.contains("  ehcp_review_attended: "))
        // The exact step proves the example's pattern the cheapest, and says so.
        #expect(run.out.contains("  exact step (Fischetti and Salazar's model): the pattern is proven the cheapest in 1 of 1 component"))
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"secondary_for_related_cohorts\""))
        #expect(manifest.contains("\"numerator\": {"))
        for file in ["manifest.json", "release.json", "indicators.csv", "tables/transition_by_area_age.csv",
                     "tables/transition_by_area_sex.csv", "tables/transition_by_area_ethnicity.csv", "tables/care_cost_by_area_age.csv"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        // The audit of the written release passes from the outside and against the data.
        let audit = try discreet("audit", out)
        #expect(audit.status == 0, "\(audit.err)")
        #expect(audit.out.contains("audit passed: no withheld figure can be recovered exactly"))
        #expect(audit.out.contains("cohort-1 (indicator 'annual_health_check' (denominator)"))
        let inside = try discreet("audit", out, "--spec", spec, "--intervals")
        #expect(inside.status == 0, "\(inside.err)")
        #expect(inside.out.contains("every sensitive cell and group keeps its protection levels"))
        #expect(inside.out.contains("groups of people counted by subtracting published figures"))
        #expect(inside.out.contains("  (E05900001, "))
        // Running again needs --overwrite.
        let again = try discreet("protect", "--spec", spec, "--out", out)
        #expect(again.status == 1)
        #expect(again.err.contains("already exists"))
        // Same inputs, same spec, same version: the same release id and the same tables.
        let second = dir + "/second"
        #expect(try discreet("protect", "--spec", spec, "--out", second, "--quiet").status == 0)
        for file in ["tables/transition_by_area_ethnicity.csv", "indicators.csv"] {
            #expect(try String(contentsOfFile: out + "/" + file, encoding: .utf8) == String(contentsOfFile: second + "/" + file, encoding: .utf8))
        }
        // A changed file fails the audit (exit 4); a directory that is not a release is bad input (exit 3).
        try "changed".write(toFile: second + "/indicators.csv", atomically: true, encoding: .utf8)
        let tampered = try discreet("audit", second)
        #expect(tampered.status == 4)
        #expect(tampered.err.contains("finding: indicators.csv: changed since the release was written"))
        let missing = try discreet("audit", dir + "/nowhere")
        #expect(missing.status == 3)
        #expect(missing.err.contains("release.json: cannot be read"))
    }

    @Test func validateReportsSpecProblemsWithLinesAndExitsTwo() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = try String(contentsOfFile: spec, encoding: .utf8)
        text = text.replacingOccurrences(of: "    cohort: transition\n    by: [area, age_band]", with: "    cohort: transition and agee > 3\n    by: [area, age_bnd]")
        text = text.replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: " + root + "/fixtures/transitions/wards.csv")
        try text.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let run = try discreet("validate", dir + "/spec.yaml", "--no-data")
        #expect(run.status == 2)
        #expect(run.err.contains("spec.yaml:85:28: table 'transition_by_area_age': cohort: unknown column 'agee'"))
        #expect(run.err.contains("spec.yaml:86:16: table 'transition_by_area_age': 'age_bnd' is not a declared dimension; did you mean 'age_band'?"))
        #expect(run.err.contains("the spec has 2 problems"))
    }

    @Test func badInputNamesLineAndColumnNotTheValueAndExitsThree() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rows = try String(contentsOfFile: root + "/fixtures/transitions/extracts/council.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        var fields = rows[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[3] = "SECRET17"
        rows[5] = fields.joined(separator: ",")
        let input = dir + "/council.csv"
        try (rows.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let run = try discreet("protect", "--spec", spec, "--input", input, "--out", dir + "/out")
        #expect(run.status == 3)
        #expect(run.err.contains("\(input):6:4: column 'age': expected a whole number"))
        #expect(!run.err.contains("SECRET17") && !run.out.contains("SECRET17"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        // Quarantined instead, the release is written and the private run record counts
        // the row (the release does not: a count of rows can be a count of people).
        let quarantined = try discreet(
            "protect", "--spec", spec, "--input", input, "--out", dir + "/out", "--on-error", "quarantine", "--record", dir + "/run.json")
        #expect(quarantined.status == 0, "\(quarantined.err)")
        #expect(quarantined.out.contains("quarantined 1 row: column 'age': expected a whole number (first at \(input):6:4)"))
        let record = try String(contentsOfFile: dir + "/run.json", encoding: .utf8)
        #expect(record.contains("\"reason\": \"not-a-whole-number\""))
        #expect(!record.contains("SECRET17"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/run.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let manifest = try String(contentsOfFile: dir + "/out/manifest.json", encoding: .utf8)
        #expect(!manifest.contains("not-a-whole-number") && !manifest.contains("SECRET17"))
        // Never inside the release.
        let inside = try discreet("protect", "--spec", spec, "--input", input, "--out", dir + "/out", "--overwrite", "--record", dir + "/out/run.json")
        #expect(inside.status == 1 && inside.err.contains("may not go inside the release directory"))
        // validate reports it too, and exits 3.
        let validate = try discreet("validate", spec, "--input", input)
        #expect(validate.status == 3)
        #expect(validate.out.contains("bad rows: 1 row: column 'age': expected a whole number (at \(input):6:4)"))
    }

    @Test func validateReportsEveryProblemPastAnUnclosedQuote() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rows = try String(contentsOfFile: root + "/fixtures/transitions/extracts/council.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        var fields = rows[4].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[2] = "\"SECRET-WARD"
        rows[4] = fields.joined(separator: ",")
        fields = rows[9].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[3] = "SECRET17"
        rows[9] = fields.joined(separator: ",")
        let input = dir + "/council.csv"
        try (rows.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let validate = try discreet("validate", spec, "--input", input)
        #expect(validate.status == 3)
        #expect(validate.out.contains("bad rows: 1 row: a quote opens this field and nothing closes it: expected a closing quote before the end of the line"))
        #expect(validate.out.contains("(at \(input):5:3)"))
        #expect(validate.out.contains("bad rows: 1 row: column 'age': expected a whole number (at \(input):10:4)"))
        #expect(!validate.out.contains("SECRET") && !validate.err.contains("SECRET"))
    }

    @Test func refusedReleasesExitFour() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            id,sex,outcome
            a,F,EET
            b,F,EET
            c,M,EET

            """.write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        try """
            inputs: [data.csv]
            columns: {id: identifier, sex: category, outcome: category}
            privacy_unit: id
            dimensions:
              sex: {column: sex, categories: [F, M]}
            indicators:
              neet: {numerator: outcome == "NEET", denominator: outcome is not missing, by: sex}
            protection:
              primary:
                frequency: {threshold: 3, comparator: "<"}
                zeros: withhold

            """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let run = try discreet("protect", "--spec", dir + "/spec.yaml", "--out", dir + "/out")
        #expect(run.status == 4)
        #expect(run.err.contains("no pattern of suppressions can protect it"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// Version 0.3.0 protected each cohort alone: its release of the bundled example
    /// publishes 7 of 8 attended their review in ward E05900007, and nine more complements of
    /// 1 to 4. The audit reads the numerator within its denominator from the indicator and
    /// fails the release. Under the NHS preset, rounded figures leave every complement open,
    /// but its manifest states the people read (1,046) beside a grand total published
    /// rounded (1,045, so 1,043 to 1,047), and the share of that total withheld: the audit
    /// fails it too, naming the manifest.
    @Test func theAuditFindsWhatVersion0_3Published() throws {
        let run = try discreet("audit", root + "/fixtures/releases/transitions-0.3.0")
        #expect(run.status == 4)
        #expect(run.err.contains(
            "finding: cohort-12 (indicator 'ehcp_review_attended' (denominator)) minus cohort-11 (indicator 'ehcp_review_attended' (numerator)), cell (E05900007): pinned to a count the rules withhold"))
        #expect(run.err.components(separatedBy: "pinned to a count the rules withhold").count - 1 == 10)
        // Version 0.4.0 protected the cohorts together, and stated the same in its manifest.
        for version in ["0.3.0", "0.4.0"] {
            let nhs = try discreet("audit", root + "/fixtures/releases/transitions-nhs-\(version)")
            #expect(nhs.status == 4)
            #expect(!nhs.err.contains("pinned"))
            #expect(nhs.err.contains("audit failed: 11 findings"), "\(version)")
            for member in ["'people'", "'tables[].information_loss.share_of_total_withheld' (25 of them)", "'inputs[].rows' (5 of them)"] {
                #expect(nhs.err.contains("finding: manifest.json: \(member): a figure computed from the data, not from the published figures"), "\(version) \(member)")
            }
        }
    }

    /// `validate --explain` shows how the cohorts relate: the attacker's knowledge.
    @Test func validateExplainsHowTheCohortsRelate() throws {
        let run = try discreet("validate", spec, "--no-data", "--explain")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("    filter: \"transition and ehcp == 1 and ehcp_review_attended == 1\"\n    tables: [ehcp_review_attended.numerator]\n    within: [cohort-1, cohort-12]"))
        #expect(run.out.contains("  - {cohort: cohort-3, parts: [cohort-4, cohort-5, cohort-6]}"))
        #expect(run.out.contains("    empty: {age_band: [14-17]}"))
        #expect(run.out.contains("  - {cohort: cohort-1, parts: [cohort-18], age_band: [18-25]}"))
    }

    @Test func usageErrorsExitSixtyFour() throws {
        #expect(try discreet("protect", "--spec", spec).status == 64)
        #expect(try discreet("protect", "--spec", spec, "--out", "/tmp/x", "--on-error", "maybe").status == 64)
    }

    @Test func generateIsDeterministic() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["a", "b"] {
            let run = try discreet("generate", "--spec", spec, "--rows", "2000", "--seed", "42", "--out", dir + "/\(name).csv")
            #expect(run.status == 0)
            #expect(run.out.contains("wrote 2,000 rows"))
        }
        #expect(FileManager.default.contentsEqual(atPath: dir + "/a.csv", andPath: dir + "/b.csv"))
        // The bundled extracts are what the generator makes.
        let council = dir + "/council.csv"
        #expect(try discreet("generate", "--spec", spec, "--people", "1500", "--seed", "20261123", "--partner", "council", "--out", council).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: council, andPath: root + "/fixtures/transitions/extracts/council.csv"))
    }
}

/// `discreet budget`: setting and showing a ledger's budgets.
@Suite struct BudgetCommandTests {
    @Test func aBudgetIsSetShownAndKeptInItsAccounting() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = dir + "/budget.sqlite"
        // Listing never makes a ledger.
        let missing = try discreet("budget", ledger)
        #expect(missing.status == 3 && missing.err.contains("no ledger there"))
        #expect(!FileManager.default.fileExists(atPath: ledger))
        let set = try discreet("budget", ledger, "--set", "transitions", "--epsilon", "1/2")
        #expect(set.status == 0)
        #expect(set.out.contains("transitions: budget ε = 1/2 (0.5); spent 0 in 0 releases; left 1/2 (0.5)"))
        let rho = try discreet("budget", ledger, "--set", "cohort", "--rho", "0.03125")
        #expect(rho.out.contains("cohort: budget ρ = 1/32 (0.03125)"))
        let other = try discreet("budget", ledger, "--set", "cohort", "--epsilon", "2")
        #expect(other.status == 3 && other.err.contains("counted in ρ (zCDP), and stays so"))
        let bad = try discreet("budget", ledger, "--set", "cohort", "--rho", "a lot")
        #expect(bad.status == 64)
        let notALedger = dir + "/extract.csv"
        try Data("id,name\n".utf8).write(to: URL(fileURLWithPath: notALedger))
        let refused = try discreet("budget", notALedger)
        #expect(refused.status == 3 && refused.err.contains("not a privacy-budget ledger"))
    }

    /// What releases spent, as the command shows it: zCDP also as (ε, δ), a pure release
    /// counted against a zCDP budget as ε²/2, and one recorded but never published.
    @Test func spendsAreShownWithTheirReleases() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/budget.sqlite"
        do {
            let ledger = try PrivacyLedger(path: path)
            func spend(_ id: String, _ accounting: PrivacyAccounting, _ amount: Rational) -> PrivacySpend {
                PrivacySpend(
                    releaseID: id, dataset: "cohort", requester: "research team", tables: ["area_age"],
                    mechanism: accounting == .pure ? "discrete Laplace" : "discrete Gaussian", accounting: accounting, amount: amount,
                    specChecksum: "s", inputChecksums: ["i"])
            }
            try ledger.record(spend("g1", .zCDP, Rational(1, 64)), total: Rational(1, 8), time: "2026-12-05T10:00:00Z")
            try ledger.markPublished("g1")
            // ε = 1/8 counts as ρ = 1/128; with g1, ρ = 3/128 in all. Never published.
            try ledger.record(spend("l1", .pure, Rational(1, 8)), total: Rational(1, 8), time: "2026-12-05T11:00:00Z")
        }
        let shown = try discreet("budget", path, "--releases", "--delta", "0.001")
        #expect(shown.status == 0)
        #expect(shown.out.contains("cohort: budget ρ = 1/8 (0.125); spent 3/128 (0.02344) in 2 releases (1 never published); left 13/128 (0.1016)"))
        let epsilon = PrivacyArithmetic.epsilon(rho: 3.0 / 128, delta: 0.001)
        #expect(shown.out.contains("the spend is (ε = \(String(format: "%.4g", epsilon)), δ = 0.001)-DP"))
        #expect(shown.out.contains("g1  2026-12-05T10:00:00Z  research team  discrete Gaussian  ρ = 1/64  published  tables: area_age"))
        #expect(shown.out.contains("l1  2026-12-05T11:00:00Z  research team  discrete Laplace  ε = 1/8 (counted as ρ = 1/128)  recorded, never published"))
    }
}

/// Releases with noise from the command line: the preview, the release and its ledger, two
/// runs racing for one budget, and a run killed between recording its spend and publishing.
@Suite struct NoisyReleaseCommandTests {
    let transitions = root + "/fixtures/transitions"

    /// The bundled noise spec with its paths absolute, its budget `total`, written to `dir`.
    func spec(in dir: String, total: String) throws -> String {
        var text = try String(contentsOfFile: transitions + "/noise.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "path: extracts/", with: "path: \(transitions)/extracts/")
            .replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: \(transitions)/wards.csv")
            .replacingOccurrences(of: "total: 2}", with: "total: \(total)}")
            .replacingOccurrences(of: "ledger: privacy-ledger.sqlite", with: "ledger: \(dir)/ledger.sqlite")
        let path = dir + "/noise.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    @Test func aReleaseWithNoiseIsPlannedWrittenAndRecorded() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = dir + "/elsewhere.sqlite"
        let plan = try discreet("plan", transitions + "/noise.yaml", "--ledger", ledger)
        #expect(plan.status == 0)
        #expect(plan.out.contains("noise: discrete Gaussian, ρ = 1/2 over 21 cohorts' finest tables (ρ = 1/42 each)"))
        #expect(plan.out.contains("table     transition_by_area_age") && plan.out.contains("no release of dataset northbridge-pfa yet"))
        #expect(!FileManager.default.fileExists(atPath: ledger), "a preview makes no ledger")
        let out = dir + "/release"
        let run = try discreet("protect", "--spec", transitions + "/noise.yaml", "--out", out, "--ledger", ledger, "--reproducible-seed", "3")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("noise: discrete Gaussian on each of 21 cohorts' finest tables"))
        #expect(run.out.contains("dataset northbridge-pfa has spent ρ = 1/2 of 2 over 1 release, 3/2 left"))
        #expect(run.out.contains("warning: the noise was drawn from the reproducible generator (seed 3)"))
        let csv = try String(contentsOfFile: out + "/tables/transition_by_area_age.csv", encoding: .utf8)
        #expect(csv.hasPrefix("area,age_band,value,display,status,error_bound\n"))
        let indicators = try String(contentsOfFile: out + "/indicators.csv", encoding: .utf8)
        #expect(indicators.split(separator: "\n")[0].hasSuffix("numerator_error_bound,denominator_error_bound,percent_lower,percent_upper"))
        let audit = try discreet("audit", out)
        #expect(audit.status == 0 && audit.out.contains("audit passed: every figure is noisy with its error bound, and each cohort's figures add up"))
        // With the data, the audit says there is nothing to check it against.
        let withData = try discreet("audit", out, "--spec", transitions + "/noise.yaml")
        #expect(withData.status == 0 && withData.out.contains("note: a release with noise has no protection levels to check against the data"))
        // How many contributions were clamped is printed (a figure of the data: the release
        // states the clamp's range only).
        #expect(run.out.contains("table 'care_cost_by_area_age': 157 people's 'care_cost' clamped to 0.00 to 40000.00 (not stated in the release)"))
        let statement = try ReleaseDocument.decode(Data(contentsOf: URL(fileURLWithPath: out + "/release.json"))).noise
        #expect(statement?.clamp?.keys.sorted() == ["care_cost"])
        // A ledger that cannot be opened: an error, not a refusal, and nothing written.
        let unreadable = try discreet("protect", "--spec", transitions + "/noise.yaml", "--out", dir + "/nowhere", "--ledger", dir + "/missing/dir/ledger.sqlite")
        #expect(unreadable.status == 3 && unreadable.err.contains("error: ") && unreadable.err.contains("not a privacy-budget ledger"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/nowhere"))
        let budget = try discreet("budget", ledger, "--releases")
        #expect(budget.out.contains("northbridge-pfa: budget ρ = 2; spent 1/2 (0.5) in 1 release; left 3/2 (1.5)"))
        let again = try discreet("plan", transitions + "/noise.yaml", "--ledger", ledger)
        #expect(again.out.contains("dataset northbridge-pfa has spent ρ = 1/2 of 2; this release would leave 1"))
        // Without noise in the spec, --ledger is refused.
        let plain = try discreet("protect", "--spec", transitions + "/spec.yaml", "--out", dir + "/plain", "--ledger", ledger)
        #expect(plain.status == 2 && plain.err.contains("--ledger is for a release with noise"))
    }

    /// Two runs with a budget for one: the ledger lets exactly one spend it; the other is
    /// refused, draws nothing and writes nothing.
    @Test func twoRunsRacingForOneBudget() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try spec(in: dir, total: "1/2")
        let runs = try (1...2).map { try start(["protect", "--spec", spec, "--out", dir + "/release\($0)"]) }
        var statuses: [Int32] = []
        var errors = ""
        for (process, out, err) in runs {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            errors += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
        }
        #expect(statuses.sorted() == [0, 4], "\(errors)")
        #expect(errors.contains("refused: dataset northbridge-pfa: its budget is ρ = 1/2; 1 earlier release spent 1/2, leaving 0; this release asks ρ = 1/2"))
        let written = (1...2).filter { FileManager.default.fileExists(atPath: dir + "/release\($0)/manifest.json") }
        #expect(written.count == 1 && statuses[written[0] - 1] == 0)
        let entries = try PrivacyLedger(path: dir + "/ledger.sqlite").entries()
        #expect(entries.count == 1 && entries[0].published)
    }

    /// A run killed after recording its spend and before publishing: no release appears, and
    /// the ledger still counts the spend, shown as never published.
    @Test func aRunKilledBetweenRecordingAndPublishing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try spec(in: dir, total: "2")
        let ledger = dir + "/ledger.sqlite"
        let (process, _, _) = try start(["protect", "--spec", spec, "--out", dir + "/release"], environment: ["DISCREET_TEST_PAUSE_AFTER_RECORDING": "120"])
        // Wait for the spend to be recorded, then kill the run.
        let deadline = Date().addingTimeInterval(60)
        var recorded = false
        while Date() < deadline && !recorded {
            if FileManager.default.fileExists(atPath: ledger), let entries = try? PrivacyLedger(path: ledger).entries(), entries.count == 1 { recorded = true }
            if !recorded { usleep(50_000) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(recorded)
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: dir + "/release"))
        let entries = try PrivacyLedger(path: ledger).entries()
        #expect(entries.count == 1 && !entries[0].published)
        let shown = try discreet("budget", ledger, "--releases")
        #expect(shown.out.contains("spent 1/2 (0.5) in 1 release (1 never published); left 3/2 (1.5)"))
        #expect(shown.out.contains("recorded, never published"))
        // The next release counts the unpublished spend.
        let next = try discreet("protect", "--spec", spec, "--out", dir + "/release", "--quiet")
        #expect(next.status == 0, "\(next.err)")
        #expect(try PrivacyLedger(path: ledger).budgets().first?.spent == 1)
    }
}

/// The cell key method from the command line: a secret others can read is refused; the
/// release is written, audited, and the same again with the same secret.
@Suite struct CellKeyCommandTests {
    @Test func aPerturbedReleaseFromTheCommandLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let transitions = root + "/fixtures/transitions"
        let secret = dir + "/cell-key.secret"
        try Data((0..<32).map { UInt8($0 * 7 & 0xff) }).write(to: URL(fileURLWithPath: secret))
        var text = try String(contentsOfFile: transitions + "/cell-key.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "path: extracts/", with: "path: \(transitions)/extracts/")
            .replacingOccurrences(of: "hierarchy: wards.csv", with: "hierarchy: \(transitions)/wards.csv")
            .replacingOccurrences(of: "secret: cell-key.secret", with: "secret: \(secret)")
        let spec = dir + "/cell-key.yaml"
        try text.write(toFile: spec, atomically: true, encoding: .utf8)
        chmod(secret, 0o644)
        let open = try discreet("protect", "--spec", spec, "--out", dir + "/r1")
        #expect(open.status == 3 && open.err.contains("can be read or written by others (mode 644)"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/r1"))
        chmod(secret, 0o600)
        let run = try discreet("protect", "--spec", spec, "--out", dir + "/r1")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("cell key method: 273 counts in the declared tables perturbed by at most ±4 (perturbation table: built-in)"))
        let audit = try discreet("audit", dir + "/r1")
        #expect(audit.status == 0 && audit.out.contains("audit passed: every figure is perturbed with its bound, and none is negative"))
        let again = try discreet("protect", "--spec", spec, "--out", dir + "/r2")
        #expect(again.status == 0)
        for file in ["tables/transition_by_area_age.csv", "indicators.csv"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/r1/" + file)) == Data(contentsOf: URL(fileURLWithPath: dir + "/r2/" + file)))
        }
    }

    /// Record keys from a column: the summary names the column and counts the people whose
    /// rows disagree; a key out of range stops the run at its line and column, without its value.
    @Test func recordKeysFromAColumnFromTheCommandLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/spec.yaml"
        try """
            discreet: 1
            title: Keys from a column
            inputs: [data.csv]
            columns: {id: identifier, ward: {type: category, values: [a, b]}, rkey: {type: decimal, places: 4}}
            privacy_unit: id
            dimensions:
              area: {column: ward, categories: {a: Ward A, b: Ward B}}
            cohorts: {everyone: ward is not missing}
            tables:
              people: {cohort: everyone, by: [area]}
            protection:
              cell_key: {record_key: rkey}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
        try "id,ward,rkey\np1,a,0.5\np1,a,0.25\np2,b,0.75\np3,b,0.1\n".write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let run = try discreet("protect", "--spec", spec, "--out", dir + "/r")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("record keys from column 'rkey'"))
        #expect(run.out.contains("1 person has rows with different record keys; each took the least of theirs"))
        #expect(try String(contentsOfFile: dir + "/r/release.json", encoding: .utf8).contains("read from the extracts' column 'rkey'"))
        #expect(try discreet("audit", dir + "/r").status == 0)
        try "id,ward,rkey\np1,a,0.5\np2,b,1.2345\n".write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
        let bad = try discreet("protect", "--spec", spec, "--out", dir + "/r2")
        #expect(bad.status == 3 && bad.err.contains("data.csv:3:3") && bad.err.contains("column 'rkey': expected a record key"))
        #expect(!bad.err.contains("1.2345") && !bad.out.contains("1.2345"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/r2"))
    }
}
