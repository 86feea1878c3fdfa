import ArgumentParser
import DiscreetCore
import DiscreetIO
import Foundation

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a table a partner made themselves before they submit it.",
        discussion: """
            Reads each TABLE (CSV, or the first sheet of an .xlsx workbook) as one of the spec's tables: a column per dimension
            (named as the spec names it, its label, or its column) and one value column,
            or one dimension's categories across the columns (the wide layout of a
            spreadsheet); categories by code or label; margins there or not; a withheld
            cell blank or shown by a symbol (*, c, [c], x, .., -, 'fewer than 5', <5, ...).
            Reports, most serious first, each naming the cell by its labels: a published
            count the spec's primary rules call sensitive; a withheld cell anyone can work
            out exactly from the rest of the table (with the margins that give it away),
            or knows to be small; a margin that is not the sum of its children. With
            --against, what the table gives away next to a release already published
            (the combined dashboard it is part of): the release's count less the table's
            is a group of others, and a reader subtracts. --fix writes the table
            repaired (one table): the sensitive counts and the fewest, smallest further
            cells withheld, in the same layout; the repaired table passes the check.
            Exit code 0: every table is safe; 1: some table is not; 2: a table or the
            spec cannot be read (each problem named by file, line and field).
            """)

    @Option(help: "The release spec (YAML) whose tables and rules the tables are checked against.")
    var spec: String

    @Argument(help: "The tables to check (CSV, or .xlsx: the first sheet).")
    var tables: [String]

    @Option(help: "The spec's table each file is (default: the one table counted by the file's dimension columns).")
    var table: String?

    @Option(help: ArgumentHelp(
        "A release already published whose table of the same name counts the table's people and others (the combined dashboard): check what the two give away together (repeatable; each release on its own).",
        valueName: "release-dir"))
    var against: [String] = []

    @Option(help: ArgumentHelp(
        "Write the table repaired to this file (one TABLE only): the sensitive counts withheld, and the fewest, smallest further cells that make it pass the check, in the same layout.",
        valueName: "file"))
    var fix: String?

    @Option(help: ArgumentHelp("Symbols that mark a withheld cell, comma-separated (default: *, c, [c], x, [x], .., -, :, ~, s, supp, suppressed, n/a, [low], low).", valueName: "list"))
    var symbols: String?

    @Option(help: "'text' (a report to read) or 'json' (one object per table, for a submission script).")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        if fix != nil && tables.count != 1 { throw ValidationError("--fix repairs one table: give one TABLE") }
    }

    func run() throws {
        let plan: ReleasePlan
        do {
            plan = try ReleasePipeline.plan(specPath: spec)
        } catch {
            report("\(error)")
            throw ExitCode(2)
        }
        let marks = symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? SubmittedTableReader.defaultSymbols
        var unreadable = false
        var unsafe = false
        var documents: [CheckedTable] = []
        for path in tables {
            let submitted: SubmittedTable
            do {
                submitted = try SubmittedTableReader.read(path: path, plan: plan, table: table, symbols: marks)
            } catch {
                for problem in error.problems { report("error: \(problem)") }
                unreadable = true
                continue
            }
            var findings = SubmittedTableReader.check(submitted, plan: plan)
            var releases: [String?] = findings.map { _ in nil }
            if submitted.indicator != nil && (!against.isEmpty || fix != nil) {
                report("\(path): an indicator's file is checked alone: --against and --fix take a table's")
            }
            for directory in against where submitted.indicator == nil {
                let combined: [Int64?]
                do {
                    combined = try SubmittedTableReader.releaseFigures(directory: directory, table: plan.tables[submitted.table].name, shape: submitted.shape)
                } catch {
                    for problem in error.problems { report("error: \(problem)") }
                    unreadable = true
                    continue
                }
                let more = SubmittedTableCheck.against(
                    shape: submitted.shape, values: submitted.values, withheld: submitted.withheld, bounds: submitted.bounds, combined: combined,
                    primary: plan.spec.protection.primary)
                findings += more
                releases += more.map { _ in directory }
            }
            if !findings.isEmpty { unsafe = true }

            let checked = CheckedTable(submitted, findings: findings, releases: releases, plan: plan)
            switch format {
            case .text: checked.print()
            case .json: documents.append(checked)
            }
            if let fix, submitted.indicator == nil { repair(submitted, plan: plan, to: fix, symbol: marks.first ?? "*") }
        }
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(documents), as: UTF8.self))
        }
        if unreadable { throw ExitCode(2) }
        if unsafe { throw ExitCode(1) }
    }
}

extension Check {
    /// Writes the repaired table, or says why there is none (on standard error).
    func repair(_ submitted: SubmittedTable, plan: ReleasePlan, to path: String, symbol: String) {
        let cells: [Int]
        do {
            cells = try SubmittedTableRepair.additionalSuppressions(
                shape: submitted.shape, values: submitted.values, withheld: submitted.withheld, bounds: submitted.bounds, primary: plan.spec.protection.primary,
                secondary: plan.spec.protection.secondary)
        } catch {
            switch error {
            case .marginsDoNotAddUp: report("--fix: no repair written: a margin is not the sum of its children; correct the figures first")
            case .noRepair: report("--fix: no repair written: no further cell protects every withheld one")
            }
            return
        }
        do {
            try ReleaseDirectory.writeFile(path, try SubmittedTableReader.repaired(submitted, withholding: cells, symbol: symbol))
        } catch {
            report("--fix: cannot write \(path): \(error)")
            return
        }
        let shape = submitted.shape
        let named = cells.map { c in "(" + zip(shape.dimensions, shape.nodes(of: c)).map { $0.codes[$1] }.joined(separator: ", ") + ")" }
        if format == .text {
            print("  wrote \(path): \(cells.count) more cell\(cells.count == 1 ? "" : "s") withheld" + (cells.isEmpty ? "" : ": " + named.joined(separator: " ")))
        } else {
            report("wrote \(path): \(cells.count) more cells withheld")
        }
    }
}

/// One table's check, as the report shows it.
struct CheckedTable: Encodable {
    var file: String
    var table: String
    var layout: String
    var cells: Int
    var withheld: Int
    var safe: Bool
    var findings: [Finding]

    struct Finding: Encodable {
        var kind: String
        /// The cell: per dimension, its code.
        var cell: [String: String]
        /// The cell by its labels, as the report prints it.
        var labels: String
        var line: Int?
        var message: String
        var value: Int64?
        var lower: Int64?
        var upper: Int64?
        var givenAwayBy: [String]?
        /// The release it shows next to (nil: the table alone).
        var against: String?
        /// For an indicator: `numerator`, `denominator`, `complement` or `percentage`.
        var part: String?

        enum CodingKeys: String, CodingKey {
            case kind, cell, labels, line, message, value, lower, upper, against, part
            case givenAwayBy = "given_away_by"
        }
    }

    init(_ submitted: SubmittedTable, findings: [SubmittedTableFinding], releases: [String?], plan: ReleasePlan) {
        let shape = submitted.shape
        let threshold = plan.spec.protection.primary.frequency.map { ($0.comparator == .less ? "fewer than " : "at most ") + String($0.threshold) }
        func labels(_ cell: Int) -> String {
            zip(shape.dimensions, shape.nodes(of: cell)).map { dim, node in
                let label = dim.labels[node] ?? dim.codes[node]
                return "\(dim.label ?? dim.name) \(label == dim.codes[node] ? label : "\(label) (\(dim.codes[node]))")"
            }.joined(separator: ", ")
        }
        func codes(_ cell: Int) -> [String: String] {
            Dictionary(uniqueKeysWithValues: zip(shape.dimensions, shape.nodes(of: cell)).map { ($0.name, $0.codes[$1]) })
        }
        file = submitted.path
        table = submitted.indicator.map { plan.indicators[$0].spec.name } ?? plan.tables[submitted.table].name
        layout = submitted.indicator != nil ? "indicator" : submitted.wide ? "wide" : "long"
        cells = submitted.shown
        withheld = submitted.shownWithheld + submitted.denominatorsWithheld.filter { $0 }.count
        safe = findings.isEmpty
        let ordered = zip(findings, releases).sorted { a, b in (a.0.severity, a.0.cell) < (b.0.severity, b.0.cell) }
        self.findings = ordered.map { f, release in
            var finding = Finding(
                kind: "", cell: codes(f.cell), labels: labels(f.cell), line: submitted.places[f.cell]?.line, message: "", against: release,
                part: f.part == .table ? nil : f.part.rawValue)
            switch f.kind {
            case .smallPublished(let v):
                finding.kind = "small_published"
                finding.value = v
                finding.message = v == 0
                    ? "published as 0, and the spec withholds zeros"
                    : "published as \(v): the spec withholds counts \(threshold ?? "this small")"
            case .recoverable(let v):
                finding.kind = "recoverable"
                finding.value = v
                finding.givenAwayBy = f.givenAwayBy.map(labels)
                finding.message = "withheld, but it can be worked out exactly: \(v)"
                    + (f.givenAwayBy.isEmpty
                        ? ", from the table's margins together"
                        : ", as the only withheld cell under " + f.givenAwayBy.map { "(\(labels($0)))" }.joined(separator: " and "))
            case .knownSmall(let lower, let upper):
                finding.kind = "known_small"
                finding.lower = lower
                finding.upper = upper
                finding.message = "withheld, but the rest of the table shows it is between \(lower) and \(upper): a small count all the same"
            case .marginMismatch(let total, let sum):
                finding.kind = "margin_mismatch"
                finding.value = total
                finding.message = "\(total) is not the sum of its children (\(sum)): a reader cannot trust the table, and may learn from the difference"
            case .contradictory:
                finding.kind = "contradictory"
                finding.message = release == nil
                    ? "no table of counts fits the published figures around this withheld cell"
                    : "no table of counts fits this table's figures and the release's together: the release's figures are not all more than this table's"
            case .othersSmall(let lower, let upper):
                finding.kind = "others_small"
                finding.lower = lower
                finding.upper = upper
                finding.message = "the release's figure less this table's counts "
                    + (lower == upper ? "\(lower) people" : "between \(lower) and \(upper) people") + ": a small group others know"
            case .complementSmall(let lower, let upper):
                finding.kind = "complement_small"
                finding.lower = lower
                finding.upper = upper
                finding.message = "the denominator less the numerator counts " + (lower == upper ? "\(lower) people" : "between \(lower) and \(upper) people")
                    + ": a small group a reader can tell"
            case .percentageOfWithheld:
                finding.kind = "percentage_of_withheld"
                finding.message = "a percentage is shown although the numerator or the denominator is withheld: with the other, it gives it away, near enough"
            case .percentageMismatch:
                finding.kind = "percentage_mismatch"
                finding.message = "the percentage shown is not the numerator over the denominator, to its decimal places"
            }
            if f.part == .numerator || f.part == .denominator { finding.message = "its \(f.part.rawValue) is " + finding.message }
            if let release { finding.message += " (next to the release in \(release))" }
            return finding
        }
    }

    func print() {
        Swift.print("\(file): table '\(table)' (\(layout) layout), \(grouped(cells)) cells, \(grouped(withheld)) withheld: "
            + (safe ? "safe" : "NOT SAFE, \(findings.count) problem\(findings.count == 1 ? "" : "s")"))
        for f in findings {
            Swift.print("  \(f.line.map { "line \($0): " } ?? "")\(f.labels): \(f.message)")
        }
    }
}
