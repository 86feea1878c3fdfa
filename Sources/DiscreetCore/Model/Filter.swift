/// The filter language of the release spec: which rows belong to a cohort.
///
/// ```
/// disabled == 1 and age >= 14 and age <= 25
/// outcome in ("NEET", "unknown")
/// not (residence is missing) or transition
/// ```
///
/// Grammar (keywords are lower case):
/// ```
/// expression := term ("or" term)*
/// term       := factor ("and" factor)*
/// factor     := "not" factor | "(" expression ")" | test
/// test       := name                                  -- a cohort
///             | name ("==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") literal
///             | name ["not"] "in" "(" literal ("," literal)* ")"
///             | name "is" ["not"] "missing"
/// literal    := number | "text" | 'text'
/// name       := letters, digits and _ (not starting with a digit), or `any text` in backquotes
/// ```
/// A missing (empty) value equals nothing: `x == v` and `x in (...)` are false, and
/// `x != v` and `x not in (...)` are true. `x is missing` tests for it.
public indirect enum FilterExpression: Sendable, Equatable, CustomStringConvertible {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    /// A column compared with a literal. `position` is the 1-based offset of the name, in Unicode scalars (as YAML counts columns).
    case compare(name: String, op: FilterComparison, literal: FilterLiteral, position: Int)
    case member(name: String, literals: [FilterLiteral], negated: Bool, position: Int)
    case missing(name: String, negated: Bool, position: Int)
    /// A bare name: a cohort defined elsewhere in the spec.
    case reference(name: String, position: Int)

    /// A canonical text of the expression: equal texts mean equal filters.
    public var description: String {
        switch self {
        case .and(let a, let b): return "(\(a) and \(b))"
        case .or(let a, let b): return "(\(a) or \(b))"
        case .not(let a): return "not \(a)"
        case .compare(let name, let op, let literal, _): return "\(Self.quote(name)) \(op.rawValue) \(literal)"
        case .member(let name, let literals, let negated, _):
            return "\(Self.quote(name)) \(negated ? "not in" : "in") (\(literals.map(\.description).joined(separator: ", ")))"
        case .missing(let name, let negated, _): return "\(Self.quote(name)) is \(negated ? "not missing" : "missing")"
        case .reference(let name, _): return Self.quote(name)
        }
    }

    /// A name as the parser reads it back: plain when it is ASCII letters, digits and
    /// underscores (not starting with a digit, not a keyword), else in backquotes, with a
    /// backquote inside doubled.
    private static func quote(_ name: String) -> String {
        let scalars = name.unicodeScalars
        let plain = scalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            && scalars.first.map { !("0"..."9").contains($0) } == true && !["and", "or", "not", "in", "is", "missing"].contains(name)
        return plain ? name : quoted(name, by: "`")
    }

    /// Every name the expression mentions, with its position.
    public var names: [(name: String, position: Int)] {
        switch self {
        case .and(let a, let b), .or(let a, let b): return a.names + b.names
        case .not(let a): return a.names
        case .compare(let name, _, _, let p), .member(let name, _, _, let p), .missing(let name, _, let p),
            .reference(let name, let p):
            return [(name, p)]
        }
    }

    /// Parses a filter, or throws a ``FilterError`` pointing at the offending character.
    public static func parse(_ text: String) throws(FilterError) -> FilterExpression {
        var parser = FilterParser(text)
        return try parser.parseAll()
    }
}

public enum FilterComparison: String, Sendable, Equatable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A literal in a filter: a number (kept as written, so that it can also name a category
/// code such as `1`) or a quoted text.
public enum FilterLiteral: Sendable, Equatable, CustomStringConvertible {
    case number(String)
    case text(String)

    public var description: String {
        switch self {
        case .number(let s): return s
        case .text(let s): return quoted(s, by: "\"")
        }
    }

    /// The literal as a category code.
    public var code: String {
        switch self {
        case .number(let s), .text(let s): return s
        }
    }
}

/// A problem in a filter: where (1-based offset in Unicode scalars) and what.
public struct FilterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int
    public var message: String

    public init(position: Int, message: String) {
        self.position = position
        self.message = message
    }

    public var description: String { "at character \(position): \(message)" }
}

private struct FilterParser {
    enum Token: Equatable {
        case name(String)
        case quotedName(String)
        case number(String)
        case text(String)
        case symbol(String)
        case end
    }

    // Unicode scalars, not Characters: a combining mark after a quote or backquote would
    // otherwise merge with it into one Character and hide it from the parser.
    let chars: [Unicode.Scalar]
    var index = 0
    var token: Token = .end
    var tokenStart = 1

    init(_ text: String) { chars = Array(text.unicodeScalars) }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    static func startsName(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    static func continuesName(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber: return true
        default: return startsName(c)
        }
    }

    mutating func parseAll() throws(FilterError) -> FilterExpression {
        try advance()
        if token == .end { throw FilterError(position: 1, message: "the filter is empty") }
        let expression = try parseOr()
        if token != .end { throw FilterError(position: tokenStart, message: "unexpected \(describe(token))") }
        return expression
    }

    mutating func parseOr() throws(FilterError) -> FilterExpression {
        var left = try parseAnd()
        while token == .name("or") {
            try advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(FilterError) -> FilterExpression {
        var left = try parseFactor()
        while token == .name("and") {
            try advance()
            left = .and(left, try parseFactor())
        }
        return left
    }

    mutating func parseFactor() throws(FilterError) -> FilterExpression {
        switch token {
        case .name("not"):
            try advance()
            return .not(try parseFactor())
        case .symbol("("):
            try advance()
            let inner = try parseOr()
            try expect(")")
            return inner
        case .name(let name) where !Self.keywords.contains(name):
            let position = tokenStart
            try advance()
            return try parseTest(name: name, position: position)
        case .quotedName(let name):
            let position = tokenStart
            try advance()
            return try parseTest(name: name, position: position)
        default:
            throw FilterError(position: tokenStart, message: "expected a column or cohort name, found \(describe(token))")
        }
    }

    mutating func parseTest(name: String, position: Int) throws(FilterError) -> FilterExpression {
        switch token {
        case .symbol(let s) where Self.comparisons[s] != nil:
            try advance()
            let literal = try parseLiteral()
            return .compare(name: name, op: Self.comparisons[s]!, literal: literal, position: position)
        case .name("in"):
            try advance()
            return .member(name: name, literals: try parseList(), negated: false, position: position)
        case .name("not"):
            try advance()
            guard token == .name("in") else {
                throw FilterError(position: tokenStart, message: "expected 'in' after 'not', found \(describe(token))")
            }
            try advance()
            return .member(name: name, literals: try parseList(), negated: true, position: position)
        case .name("is"):
            try advance()
            var negated = false
            if token == .name("not") {
                negated = true
                try advance()
            }
            guard token == .name("missing") else {
                throw FilterError(position: tokenStart, message: "expected 'missing', found \(describe(token))")
            }
            try advance()
            return .missing(name: name, negated: negated, position: position)
        default:
            return .reference(name: name, position: position)
        }
    }

    mutating func parseList() throws(FilterError) -> [FilterLiteral] {
        try expect("(")
        var literals = [try parseLiteral()]
        while token == .symbol(",") {
            try advance()
            literals.append(try parseLiteral())
        }
        try expect(")")
        return literals
    }

    mutating func parseLiteral() throws(FilterError) -> FilterLiteral {
        switch token {
        case .number(let n):
            try advance()
            return .number(n)
        case .text(let t):
            try advance()
            return .text(t)
        default:
            throw FilterError(position: tokenStart, message: "expected a number or a quoted text, found \(describe(token))")
        }
    }

    mutating func expect(_ symbol: String) throws(FilterError) {
        guard token == .symbol(symbol) else {
            throw FilterError(position: tokenStart, message: "expected '\(symbol)', found \(describe(token))")
        }
        try advance()
    }

    static let keywords: Set<String> = ["and", "or", "not", "in", "is", "missing"]
    static let comparisons: [String: FilterComparison] = [
        "==": .equal, "=": .equal, "!=": .notEqual, "<>": .notEqual,
        "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    func describe(_ token: Token) -> String {
        switch token {
        case .name(let n), .quotedName(let n): return "'\(n)'"
        case .number(let n): return "'\(n)'"
        case .text: return "a quoted text"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the filter"
        }
    }

    mutating func advance() throws(FilterError) {
        while index < chars.count, chars[index].properties.isWhitespace { index += 1 }
        tokenStart = index + 1
        guard index < chars.count else {
            token = .end
            return
        }
        let c = chars[index]
        func text(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(chars[range])) }
        if Self.startsName(c) {
            var end = index
            while end < chars.count, Self.continuesName(chars[end]) { end += 1 }
            token = .name(text(index..<end))
            index = end
        } else if Self.isDigit(c) || ((c == "-" || c == "+") && index + 1 < chars.count && Self.isDigit(chars[index + 1])) {
            var end = index + 1
            while end < chars.count, Self.isDigit(chars[end]) || chars[end] == "." { end += 1 }
            let text = text(index..<end)
            if text.filter({ $0 == "." }).count > 1 || text.hasSuffix(".") {
                throw FilterError(position: tokenStart, message: "'\(text)' is not a number")
            }
            token = .number(text.hasPrefix("+") ? String(text.dropFirst()) : text)
            index = end
        } else if c == "\"" || c == "'" || c == "`" {
            // Quoted text, or a quoted name in backquotes; a doubled quote stands for itself.
            var value = String.UnicodeScalarView()
            var i = index + 1
            while true {
                guard i < chars.count else {
                    throw FilterError(position: tokenStart, message: "a quoted text is not closed")
                }
                if chars[i] == c {
                    if i + 1 < chars.count, chars[i + 1] == c {
                        value.append(c)
                        i += 2
                        continue
                    }
                    break
                }
                value.append(chars[i])
                i += 1
            }
            index = i + 1
            if c == "`" {
                if value.isEmpty { throw FilterError(position: tokenStart, message: "a quoted name is empty") }
                token = .quotedName(String(value))
            } else {
                token = .text(String(value))
            }
        } else {
            let two = index + 1 < chars.count ? text(index..<(index + 2)) : ""
            if ["==", "!=", "<>", "<=", ">="].contains(two) {
                token = .symbol(two)
                index += 2
            } else if "=<>(),".unicodeScalars.contains(c) {
                token = .symbol(String(c))
                index += 1
            } else {
                throw FilterError(position: tokenStart, message: "unexpected character '\(c)'")
            }
        }
    }
}

/// `text` between two `mark`s, each `mark` inside doubled. Works on Unicode scalars: a
/// combining mark after a quote makes one Character of the two, which splitting by Character
/// would miss.
func quoted(_ text: String, by mark: Unicode.Scalar) -> String {
    var result = String.UnicodeScalarView()
    result.append(mark)
    for scalar in text.unicodeScalars {
        result.append(scalar)
        if scalar == mark { result.append(mark) }
    }
    result.append(mark)
    return String(result)
}
