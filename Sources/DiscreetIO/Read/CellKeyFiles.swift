import DiscreetCore
import Foundation

/// The secret of the cell key method: record keys are HMAC-SHA256 of each person's
/// identifier under it, so that nobody without the file can compute anyone's key, and the
/// same person has the same key in every release made with it.
public enum CellKeySecret {
    /// The least length of a secret, in bytes.
    public static let leastBytes = 16

    /// Reads the secret at `path`, refusing a file others can read or write (a secret anyone
    /// on the machine can read keys nothing) or one too short to be a secret.
    public static func read(path: String) throws(IngestError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .input("\(path): the cell key secret cannot be read (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .input("\(path): the cell key secret can be read or written by others (mode \(String(info.st_mode & 0o777, radix: 8))): make it the owner's alone (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .input("\(path): the cell key secret cannot be read")
        }
        guard data.count >= leastBytes else {
            throw .input("\(path): the cell key secret has \(data.count) bytes; it needs at least \(leastBytes) (e.g. head -c 32 /dev/urandom > FILE)")
        }
        return Array(data)
    }

    /// The record key function: the first 4 bytes of HMAC-SHA256(secret, identifier).
    public static func recordKey(secret: [UInt8]) -> @Sendable (UnsafeRawBufferPointer) -> UInt32 {
        let hmac = SHA256.HMAC(key: secret)
        return { identifier in hmac.prefix32(identifier) }
    }
}

/// Reads perturbation tables in the plain-text formats users have them in.
///
/// - tau-ARGUS (as the ptable R package exports it for tau-ARGUS and SAS): a header naming
///   `i`, `v` and `p_int_ub` (and optionally `j`, `p`, `p_int_lb`, `type`), columns separated
///   by `;` or `,`; a row per count `i` and perturbation `v`, whose cell keys run up to
///   `p_int_ub` (a cumulative probability, the last of each `i` being 1).
/// - ONS: a header naming `pcv`, `ckey` and `pvalue`: for each count `pcv` and each cell key
///   `ckey` from 0 to K - 1 (ONS uses K = 256), the perturbation `pvalue`. A 32-bit cell key
///   falls in ckey ⌊key · K / 2^32⌋.
///
/// Counts must run from 0 (or 1, the row of 0 being then "no perturbation") without gaps.
public enum PerturbationTableReader {
    public static func read(path: String) throws(SpecProblems) -> PerturbationTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecProblems(problems: [SpecProblem(SourceLocation(file: path, line: 1), "the perturbation table cannot be read")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(SpecProblems) -> PerturbationTable {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        func fail(_ line: Int, _ column: Int, _ message: String) -> SpecProblems {
            SpecProblems(problems: [SpecProblem(SourceLocation(file: file, line: line, column: column), message)])
        }
        guard let header = lines.first else { throw fail(1, 0, "the perturbation table is empty") }
        let separator: Character = header.contains(";") ? ";" : ","
        let names = header.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        /// The fields of a line, each with its 1-based column.
        func fields(_ line: Substring) -> [(text: String, column: Int)] {
            var result: [(String, Int)] = []
            var column = 1
            for part in line.split(separator: separator, omittingEmptySubsequences: false) {
                result.append((part.trimmingCharacters(in: .whitespaces), column))
                column += part.count + 1
            }
            return result
        }
        func index(_ name: String) -> Int? { names.firstIndex(of: name) }
        if let pcv = index("pcv"), let ckey = index("ckey"), let pvalue = index("pvalue") {
            var byCount: [Int64: [Int64: Int64]] = [:]
            for (n, line) in lines.enumerated().dropFirst() {
                let f = fields(line)
                guard f.count == names.count else { throw fail(n + 1, 0, "expected \(names.count) fields, as the header has, found \(f.count)") }
                func integer(_ k: Int, _ name: String) throws(SpecProblems) -> Int64 {
                    guard let v = Int64(f[k].text) else { throw fail(n + 1, f[k].column, "'\(name)' must be a whole number") }
                    return v
                }
                let count = try integer(pcv, "pcv"), key = try integer(ckey, "ckey"), value = try integer(pvalue, "pvalue")
                guard count >= 0, key >= 0 else { throw fail(n + 1, f[count < 0 ? pcv : ckey].column, "'pcv' and 'ckey' cannot be negative") }
                guard count + value >= 0 else { throw fail(n + 1, f[pvalue].column, "the perturbation would make the count negative") }
                guard byCount[count, default: [:]].updateValue(value, forKey: key) == nil else {
                    throw fail(n + 1, f[ckey].column, "pcv \(count), ckey \(key) is given twice")
                }
            }
            var rows: [PerturbationTable.Row] = []
            let counts = byCount.keys.sorted()
            guard let first = counts.first, first <= 1, counts == Array(first...(counts.last!)) else {
                throw fail(2, 0, "the counts ('pcv') must run from 0 or 1 without gaps")
            }
            // The first count's cell keys set how many every count has.
            let keys = byCount[first]!.count
            if first == 1 { rows.append(PerturbationTable.Row(perturbations: [0], upperEnds: [1 << 32])) }
            for count in counts {
                let row = byCount[count]!
                guard row.count == keys, row.keys.sorted() == Array(0..<Int64(keys)) else {
                    throw fail(2, 0, "count \(count): the cell keys ('ckey') must run from 0 to \(keys - 1), as for the first count")
                }
                rows.append(PerturbationTable.Row(
                    perturbations: (0..<Int64(keys)).map { row[$0]! }, upperEnds: (1...UInt64(keys)).map { ($0 << 32) / UInt64(keys) }))
            }
            return PerturbationTable(rows: rows)
        }
        guard let iColumn = index("i"), let vColumn = index("v"), let upper = index("p_int_ub") else {
            throw fail(1, 0, "expected a header naming 'i', 'v' and 'p_int_ub' (tau-ARGUS) or 'pcv', 'ckey' and 'pvalue' (ONS)")
        }
        var entries: [Int64: [(v: Int64, end: Rational, line: Int)]] = [:]
        for (n, line) in lines.enumerated().dropFirst() {
            let f = fields(line)
            guard f.count == names.count else { throw fail(n + 1, 0, "expected \(names.count) fields, as the header has, found \(f.count)") }
            guard let count = Int64(f[iColumn].text), count >= 0 else { throw fail(n + 1, f[iColumn].column, "'i' must be a whole number, 0 or more") }
            guard let v = Int64(f[vColumn].text) else { throw fail(n + 1, f[vColumn].column, "'v' must be a whole number") }
            guard count + v >= 0 else { throw fail(n + 1, f[vColumn].column, "the perturbation would make the count negative") }
            guard let end = Rational(f[upper].text), end >= .zero, end <= 1 else {
                throw fail(n + 1, f[upper].column, "'p_int_ub' must be a number from 0 to 1")
            }
            entries[count, default: []].append((v, end, n + 1))
        }
        let counts = entries.keys.sorted()
        guard let first = counts.first, first <= 1, counts == Array(first...(counts.last!)) else {
            throw fail(2, 0, "the counts ('i') must run from 0 or 1 without gaps")
        }
        var rows: [PerturbationTable.Row] = first == 1 ? [PerturbationTable.Row(perturbations: [0], upperEnds: [1 << 32])] : []
        // Written with 8 digits, a row's last end may fall short of 1 by rounding: within
        // 10^-6 it is taken as 1.
        let tolerance = Rational(1, 1_000_000)
        for count in counts {
            let row = entries[count]!.sorted { $0.end < $1.end }
            guard let last = row.last, (Rational.one - last.end) <= tolerance else {
                throw fail(row.last?.line ?? 2, 0, "count \(count): the last 'p_int_ub' must be 1 (the intervals cover every cell key)")
            }
            let ends = row.enumerated().map { k, entry in k == row.count - 1 ? UInt64(1) << 32 : UInt64((entry.end * Rational(Int64(1) << 32)).floor!) }
            rows.append(PerturbationTable.Row(perturbations: row.map(\.v), upperEnds: ends))
        }
        return PerturbationTable(rows: rows)
    }
}
