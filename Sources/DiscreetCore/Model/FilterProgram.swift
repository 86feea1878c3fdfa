/// A filter compiled against the declared columns: a short postfix program evaluated on a
/// row's typed slots, with cohort references expanded and literals converted to slot values.
public struct FilterProgram: Sendable, Equatable {
    @usableFromInline
    struct Instruction: Sendable, Equatable {
        @usableFromInline var kind: Kind
        @usableFromInline var op: FilterComparison
        @usableFromInline var slot: Int
        @usableFromInline var value: Int64
        /// For `member`: the range of `sets` holding its values; for `missing` and `member`: negation.
        @usableFromInline var start: Int
        @usableFromInline var count: Int
        @usableFromInline var negated: Bool

        @usableFromInline
        enum Kind: UInt8, Sendable { case compare, member, missing, and, or, not }
    }

    @usableFromInline let code: [Instruction]
    @usableFromInline let sets: [Int64]
    /// The canonical text of the expanded expression: equal texts evaluate equally.
    public let canonical: String

    /// What the compiler needs to know about names.
    public struct Context {
        /// Each filterable column's slot and type.
        public var columns: [String: (slot: Int, type: ColumnType)]
        /// Cohorts that compile without error, by name.
        public var cohorts: [String: FilterExpression]
        /// Cohorts that are declared but have errors of their own (references to them fail quietly).
        public var brokenCohorts: Set<String>
        /// The slot value of a category code in a column's slot.
        public var categoryCode: (_ slot: Int, _ code: String) -> Int64

        public init(
            columns: [String: (slot: Int, type: ColumnType)],
            cohorts: [String: FilterExpression] = [:],
            brokenCohorts: Set<String> = [],
            categoryCode: @escaping (_ slot: Int, _ code: String) -> Int64
        ) {
            self.columns = columns
            self.cohorts = cohorts
            self.brokenCohorts = brokenCohorts
            self.categoryCode = categoryCode
        }
    }

    /// Compiles an expression, or throws every problem found (positions refer to `expression`).
    public static func compile(_ expression: FilterExpression, context: Context) throws(FilterErrors) -> FilterProgram {
        var compiler = Compiler(context: context)
        let expanded = compiler.expand(expression, visiting: [])
        compiler.emit(expanded ?? expression)
        if compiler.maxDepth > 64 {
            compiler.errors.append(FilterError(position: 1, message: "the filter is nested too deeply"))
        }
        if !compiler.errors.isEmpty || expanded == nil { throw FilterErrors(errors: compiler.errors) }
        return FilterProgram(code: compiler.code, sets: compiler.sets, canonical: expanded!.description)
    }

    /// The filter every row passes (a table without a cohort).
    public static let everyRow = FilterProgram(code: [], sets: [], canonical: "*")

    /// Whether the row with these slots passes the filter.
    @inlinable
    public func evaluate(_ slots: UnsafePointer<Int64>) -> Bool {
        code.withUnsafeBufferPointer { code in
            sets.withUnsafeBufferPointer { sets in Self.run(code, sets, slots) }
        }
    }

    /// Runs a program's code on a row: the interpreter behind ``evaluate(_:)``, the reference
    /// for a single filter (the row classifier evaluates every filter of a release at once
    /// in a ``FilterNetwork``, which the tests hold to this interpreter).
    @inlinable @inline(__always)
    static func run(_ code: UnsafeBufferPointer<Instruction>, _ sets: UnsafeBufferPointer<Int64>, _ slots: UnsafePointer<Int64>) -> Bool {
        if code.isEmpty { return true }
        var stack: UInt64 = 0
        for ins in code {
            switch ins.kind {
            case .compare:
                let v = slots[ins.slot]
                let r: Bool
                if v == RowSlot.missing {
                    r = ins.op == .notEqual
                } else {
                    switch ins.op {
                    case .equal: r = v == ins.value
                    case .notEqual: r = v != ins.value
                    case .less: r = v < ins.value
                    case .lessOrEqual: r = v <= ins.value
                    case .greater: r = v > ins.value
                    case .greaterOrEqual: r = v >= ins.value
                    }
                }
                stack = stack << 1 | (r ? 1 : 0)
            case .member:
                let v = slots[ins.slot]
                var found = false
                if v != RowSlot.missing {
                    for i in ins.start..<(ins.start + ins.count) where sets[i] == v {
                        found = true
                        break
                    }
                }
                stack = stack << 1 | (found != ins.negated ? 1 : 0)
            case .missing:
                let r = (slots[ins.slot] == RowSlot.missing) != ins.negated
                stack = stack << 1 | (r ? 1 : 0)
            case .and:
                let top = stack & 1
                stack >>= 1
                stack &= ~1 | top
            case .or:
                let top = stack & 1
                stack >>= 1
                stack |= top
            case .not:
                stack ^= 1
            }
        }
        return stack & 1 == 1
    }

    private struct Compiler {
        let context: Context
        var code: [Instruction] = []
        var sets: [Int64] = []
        var errors: [FilterError] = []
        var depth = 0
        var maxDepth = 0

        init(context: Context) { self.context = context }

        /// Replaces cohort references by their expressions; nil when a reference cannot be resolved.
        mutating func expand(_ e: FilterExpression, visiting: [String]) -> FilterExpression? {
            switch e {
            case .and(let a, let b):
                let (x, y) = (expand(a, visiting: visiting), expand(b, visiting: visiting))
                guard let x, let y else { return nil }
                return .and(x, y)
            case .or(let a, let b):
                let (x, y) = (expand(a, visiting: visiting), expand(b, visiting: visiting))
                guard let x, let y else { return nil }
                return .or(x, y)
            case .not(let a):
                return expand(a, visiting: visiting).map { .not($0) }
            case .reference(let name, let position):
                if let cohort = context.cohorts[name] {
                    if visiting.contains(name) {
                        let chain = (visiting + [name]).joined(separator: " -> ")
                        errors.append(FilterError(position: position, message: "cohorts refer to each other in a cycle: \(chain)"))
                        return nil
                    }
                    // Positions inside another cohort do not refer to this text: report at the reference.
                    var inner = Compiler(context: context)
                    let expanded = inner.expand(cohort, visiting: visiting + [name])
                    for error in inner.errors {
                        errors.append(FilterError(position: position, message: error.message))
                    }
                    return expanded
                }
                if context.brokenCohorts.contains(name) { return nil }
                if context.columns[name] != nil {
                    errors.append(FilterError(
                        position: position,
                        message: "column '\(name)' needs a test, for example \(name) == 1 or \(name) is not missing"))
                } else {
                    errors.append(FilterError(position: position, message: "unknown column or cohort '\(name)'"))
                }
                return nil
            case .compare, .member, .missing:
                return e
            }
        }

        mutating func push() {
            depth += 1
            maxDepth = max(maxDepth, depth)
        }

        mutating func emit(_ e: FilterExpression) {
            switch e {
            case .and(let a, let b), .or(let a, let b):
                emit(a)
                emit(b)
                code.append(Instruction(kind: e.isAnd ? .and : .or, op: .equal, slot: 0, value: 0, start: 0, count: 0, negated: false))
                depth -= 1
            case .not(let a):
                emit(a)
                code.append(Instruction(kind: .not, op: .equal, slot: 0, value: 0, start: 0, count: 0, negated: false))
            case .compare(let name, let op, let literal, let position):
                guard let column = column(name, position) else { return push() }
                if case .category = column.type, op != .equal, op != .notEqual {
                    errors.append(FilterError(
                        position: position,
                        message: "column '\(name)' holds category codes, which can only be tested with ==, != or in"))
                    return push()
                }
                guard let value = value(of: literal, in: column, name: name, position: position) else { return push() }
                code.append(Instruction(kind: .compare, op: op, slot: column.slot, value: value, start: 0, count: 0, negated: false))
                push()
            case .member(let name, let literals, let negated, let position):
                guard let column = column(name, position) else { return push() }
                let start = sets.count
                for literal in literals {
                    if let value = value(of: literal, in: column, name: name, position: position) { sets.append(value) }
                }
                code.append(Instruction(
                    kind: .member, op: .equal, slot: column.slot, value: 0, start: start, count: sets.count - start, negated: negated))
                push()
            case .missing(let name, let negated, let position):
                guard let column = column(name, position) else { return push() }
                code.append(Instruction(kind: .missing, op: .equal, slot: column.slot, value: 0, start: 0, count: 0, negated: negated))
                push()
            case .reference:
                push()  // unresolved: already reported by expand
            }
        }

        mutating func column(_ name: String, _ position: Int) -> (slot: Int, type: ColumnType)? {
            guard let column = context.columns[name] else {
                errors.append(FilterError(
                    position: position,
                    message: context.cohorts[name] != nil || context.brokenCohorts.contains(name)
                        ? "'\(name)' is a cohort, not a column: use it on its own, for example '\(name) and ...'"
                        : "unknown column '\(name)'"))
                return nil
            }
            if column.type == .identifier {
                errors.append(FilterError(position: position, message: "the identifier column '\(name)' cannot be used in a filter"))
                return nil
            }
            return column
        }

        mutating func value(of literal: FilterLiteral, in column: (slot: Int, type: ColumnType), name: String, position: Int) -> Int64? {
            switch column.type {
            case .category:
                return context.categoryCode(column.slot, literal.code)
            case .integer, .decimal:
                guard case .number(let text) = literal else {
                    errors.append(FilterError(position: position, message: "column '\(name)' holds numbers: compare it with a number, not a quoted text"))
                    return nil
                }
                guard let value = ScaledDecimal.parse(Array(text.utf8), places: column.type.scale) else {
                    let places = column.type.scale
                    errors.append(FilterError(
                        position: position,
                        message: places == 0
                            ? "column '\(name)' holds whole numbers: '\(text)' is not one"
                            : "column '\(name)' holds numbers with at most \(places) decimal places: '\(text)' has more"))
                    return nil
                }
                return value
            case .identifier:
                return nil
            }
        }
    }
}

/// Every problem found compiling one filter.
public struct FilterErrors: Error, Sendable {
    public var errors: [FilterError]
}

extension FilterExpression {
    fileprivate var isAnd: Bool {
        if case .and = self { return true }
        return false
    }
}
