/// What a release's filters say about one another, decided from the filters alone: whether
/// every row that passes one passes another, whether no row passes both, whether some row
/// within given categories passes a filter.
///
/// Every test in a filter compares one column with constants, so each column's values fall
/// into a few classes that every test treats alike: for a number column the constants, the
/// whole units on either side of each, and a missing value; for a category column each code
/// a test names, one code no test names (unless the column's values are declared, then each
/// declared code), and a missing value. Trying every combination of classes decides each
/// question exactly. The search assigns one column at a time and evaluates the filters in
/// three-valued logic on what is assigned, so a branch ends as soon as its answer is known;
/// past `searchLimit` steps it gives up and answers nil ("not known").
///
/// The answers are about single rows. A person belongs to a cohort when one of their rows
/// passes its filter, so "every row passing A passes B" means every person in A is in B;
/// "no row passes both" says nothing about people with several rows, and callers check
/// that against the data. A column whose values differ between one person's rows by design
/// (the extract a row came from: one person can be in several partners' extracts) is
/// *row-varying*: ``disjoint(_:_:)`` lets it take one value in the row passing one filter
/// and another in the row passing the other, so its answer is about people there.
public struct FilterLogic: Sendable {
    /// The values a filtered column can hold.
    public enum Domain: Sendable, Hashable {
        /// Numbers held with `places` decimal places (as integers of 10^-places units).
        case number(places: Int)
        /// Category codes; `values` lists them where the spec declares them (others are bad rows).
        case category(values: [String]?)
    }

    /// Where a column's value is known to lie (a dimension's category): a set of codes, or
    /// an inclusive range of numbers in the column's units. Either excludes a missing value.
    public enum Restriction: Sendable, Hashable {
        case codes(Set<String>)
        case range(Int64, Int64)
    }

    public let domains: [String: Domain]
    /// Columns whose values differ between a person's rows by design.
    public let rowVarying: Set<String>
    /// The most search steps one question may take.
    public let searchLimit: Int

    public init(domains: [String: Domain], rowVarying: Set<String> = [], searchLimit: Int = 2_000_000) {
        var domains = domains
        // The other row's copy of each row-varying column (see `disjoint`).
        for name in rowVarying { domains[Self.otherRow(name)] = domains[name] }
        self.domains = domains
        self.rowVarying = rowVarying
        self.searchLimit = searchLimit
    }

    /// The name a row-varying column takes in the second filter of ``disjoint(_:_:)``.
    static func otherRow(_ name: String) -> String { name + "\u{1}other row" }

    /// Whether every row passing `a` passes `b` (nil filters pass every row); nil when the
    /// search gave up.
    public func implies(_ a: FilterExpression?, _ b: FilterExpression?) -> Bool? {
        guard let b else { return true }
        let formula: Formula = .and(Formula(a), .not(.expression(b)))
        return exists(formula, restrictions: [:]).map { !$0 }
    }

    /// Whether no row passes both (no person is in both, where the filters test row-varying
    /// columns: those are tested in two rows); nil when the search gave up.
    public func disjoint(_ a: FilterExpression?, _ b: FilterExpression?) -> Bool? {
        let other = rowVarying.isEmpty ? b : b.map { Self.renaming($0, rowVarying, Self.otherRow) }
        return exists(.and(Formula(a), Formula(other)), restrictions: [:]).map { !$0 }
    }

    /// `e` with the named columns renamed.
    static func renaming(_ e: FilterExpression, _ names: Set<String>, _ rename: (String) -> String) -> FilterExpression {
        func name(_ n: String) -> String { names.contains(n) ? rename(n) : n }
        switch e {
        case .and(let a, let b): return .and(renaming(a, names, rename), renaming(b, names, rename))
        case .or(let a, let b): return .or(renaming(a, names, rename), renaming(b, names, rename))
        case .not(let a): return .not(renaming(a, names, rename))
        case .reference: return e
        case .compare(let n, let op, let literal, let position): return .compare(name: name(n), op: op, literal: literal, position: position)
        case .member(let n, let literals, let negated, let position): return .member(name: name(n), literals: literals, negated: negated, position: position)
        case .missing(let n, let negated, let position): return .missing(name: name(n), negated: negated, position: position)
        }
    }

    /// Whether some row with its columns within `restrictions` passes `filter` and fails
    /// every filter of `excluded`; nil when the search gave up.
    public func satisfiable(_ filter: FilterExpression?, excluding excluded: [FilterExpression?] = [], where restrictions: [String: Restriction]) -> Bool? {
        var formula = Formula(filter)
        for e in excluded { formula = .and(formula, .not(Formula(e))) }
        return exists(formula, restrictions: restrictions)
    }

    // MARK: - The search

    /// A question: filters combined with and / not.
    indirect enum Formula {
        case always
        case expression(FilterExpression)
        case and(Formula, Formula)
        case not(Formula)

        init(_ e: FilterExpression?) { self = e.map { .expression($0) } ?? .always }
    }

    /// A column's value in a trial row.
    enum Value: Hashable {
        case missing
        case code(String)
        case number(Int64)
    }

    /// Three-valued truth: nil is not yet known.
    typealias Truth = Bool?

    func exists(_ formula: Formula, restrictions: [String: Restriction]) -> Bool? {
        // The columns the question reads, and each one's classes of values.
        var constants: [String: [FilterLiteral]] = [:]
        func collect(_ f: Formula) {
            switch f {
            case .always: break
            case .expression(let e): collect(e)
            case .and(let a, let b): collect(a); collect(b)
            case .not(let a): collect(a)
            }
        }
        func collect(_ e: FilterExpression) {
            switch e {
            case .and(let a, let b), .or(let a, let b): collect(a); collect(b)
            case .not(let a): collect(a)
            case .compare(let name, _, let literal, _): constants[name, default: []].append(literal)
            case .member(let name, let literals, _, _): constants[name, default: []] += literals
            case .missing(let name, _, _): constants[name, default: []] += []
            case .reference: break
            }
        }
        collect(formula)
        for name in restrictions.keys where constants[name] == nil { constants[name] = [] }
        let names = constants.keys.sorted()
        var classes: [[Value]] = []
        for name in names {
            guard let values = Self.classes(domains[name], constants[name]!, restrictions[name]) else { return nil }
            if values.isEmpty { return false }
            classes.append(values)
        }
        var row: [String: Value] = [:]
        var steps = 0
        var gaveUp = false
        func search(_ k: Int) -> Bool {
            steps += 1
            if steps > searchLimit {
                gaveUp = true
                return false
            }
            switch evaluate(formula, row) {
            case .some(true): return true
            case .some(false): return false
            case .none:
                guard k < names.count else { return false }
                for value in classes[k] {
                    row[names[k]] = value
                    if search(k + 1) { return true }
                    if gaveUp { return false }
                }
                row[names[k]] = nil
                return false
            }
        }
        let found = search(0)
        return gaveUp ? nil : found
    }

    /// A column's classes of values, or nil when a constant does not fit the column (the
    /// spec reader reports that; nothing is concluded here).
    static func classes(_ domain: Domain?, _ literals: [FilterLiteral], _ restriction: Restriction?) -> [Value]? {
        switch domain {
        case .number(let places):
            var points = Set<Int64>()
            for literal in literals {
                guard case .number(let text) = literal, let v = ScaledDecimal.parse(Array(text.utf8), places: places) else { return nil }
                for p in [v &- 1, v, v &+ 1] { points.insert(p) }
            }
            var result: [Value] = []
            if case .range(let lo, let hi) = restriction {
                points.formUnion([lo, hi])
                result = points.filter { $0 >= lo && $0 <= hi }.sorted().map { .number($0) }
            } else {
                if points.isEmpty { points.insert(0) }
                result = [.missing] + points.sorted().map { .number($0) }
            }
            return result
        case .category(let declared):
            var codes = Set(literals.map(\.code))
            if let declared { codes.formUnion(declared) }
            var ordered = codes.sorted()
            // A code nobody names, where the column may hold one.
            if declared == nil { ordered.append("\u{1}any other code") }
            if case .codes(let allowed) = restriction {
                // A restricted column takes exactly its allowed codes (named or not).
                return allowed.sorted().filter { declared == nil || declared!.contains($0) }.map { .code($0) }
            }
            return [.missing] + ordered.map { .code($0) }
        case nil:
            return nil
        }
    }

    func evaluate(_ f: Formula, _ row: [String: Value]) -> Truth {
        switch f {
        case .always: return true
        case .expression(let e): return evaluate(e, row)
        case .and(let a, let b): return Self.and(evaluate(a, row), { evaluate(b, row) })
        case .not(let a): return evaluate(a, row).map { !$0 }
        }
    }

    static func and(_ a: Truth, _ b: () -> Truth) -> Truth {
        if a == false { return false }
        let y = b()
        if y == false { return false }
        return a == true && y == true ? true : nil
    }

    static func or(_ a: Truth, _ b: () -> Truth) -> Truth {
        if a == true { return true }
        let y = b()
        if y == true { return true }
        return a == false && y == false ? false : nil
    }

    /// A filter on a trial row, with the semantics of ``FilterProgram``: a missing value
    /// equals nothing (`==` and `in` are false, `!=` and `not in` true).
    func evaluate(_ e: FilterExpression, _ row: [String: Value]) -> Truth {
        switch e {
        case .and(let a, let b): return Self.and(evaluate(a, row), { evaluate(b, row) })
        case .or(let a, let b): return Self.or(evaluate(a, row), { evaluate(b, row) })
        case .not(let a): return evaluate(a, row).map { !$0 }
        case .reference: return nil
        case .missing(let name, let negated, _):
            guard let v = row[name] else { return nil }
            return (v == .missing) != negated
        case .member(let name, let literals, let negated, _):
            guard let v = row[name] else { return nil }
            if v == .missing { return negated }
            let found = literals.contains { literal in value(literal, name) == v }
            return found != negated
        case .compare(let name, let op, let literal, _):
            guard let v = row[name] else { return nil }
            if v == .missing { return op == .notEqual }
            guard let c = value(literal, name) else { return nil }
            switch (v, c) {
            case (.number(let x), .number(let y)):
                switch op {
                case .equal: return x == y
                case .notEqual: return x != y
                case .less: return x < y
                case .lessOrEqual: return x <= y
                case .greater: return x > y
                case .greaterOrEqual: return x >= y
                }
            case (.code(let x), .code(let y)):
                switch op {
                case .equal: return x == y
                case .notEqual: return x != y
                default: return nil
                }
            default:
                return nil
            }
        }
    }

    /// A literal as a value of the named column.
    func value(_ literal: FilterLiteral, _ name: String) -> Value? {
        switch domains[name] {
        case .number(let places):
            guard case .number(let text) = literal else { return nil }
            return ScaledDecimal.parse(Array(text.utf8), places: places).map { .number($0) }
        case .category: return .code(literal.code)
        case nil: return nil
        }
    }
}
