/// Every cohort filter of a release compiled together, so that a row costs each distinct
/// test once, however many filters share it (every indicator's cohort starts with the
/// same `transition and ...`), and no instruction is dispatched.
///
/// A node is either a test of one slot, the value in a range (or out of it), with a fixed
/// answer when the value is missing; or a combination of two earlier nodes, each possibly
/// negated, `(a xor na) and (b xor nb)`, itself possibly negated: `and`, `or` (by De
/// Morgan) and `not` (with node 0, which is always true) are all of that one form. Equal
/// nodes are made once. The tests run first, in one loop without branches, then the
/// combinations in the order they were made (each after its operands).
public struct FilterNetwork: Sendable {
    /// Per program given, the node holding its answer (0: every row passes).
    public let roots: [Int]
    /// Nodes in all, node 0 (always true) included.
    public let nodeCount: Int
    private let storage: Storage

    public init(programs: [FilterProgram]) {
        var builder = Builder()
        roots = programs.map { builder.add($0) }
        nodeCount = builder.count
        storage = Storage(builder)
    }

    /// Evaluates every node on a row: `values[n]` is 1 when node `n` holds, 0 otherwise
    /// (`values` has room for ``nodeCount`` bytes).
    @inline(__always)
    public func evaluate(_ slots: UnsafePointer<Int64>, into values: UnsafeMutablePointer<UInt8>) {
        storage.evaluate(slots, into: values)
    }

    /// Whether program `p` passes a row (evaluating every node: for tests and single rows).
    public func passes(_ p: Int, _ slots: UnsafePointer<Int64>) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(nodeCount, 1)) { values in
            evaluate(slots, into: values.baseAddress!)
            return values[roots[p]] == 1
        }
    }

    struct Test: Hashable {
        var slot: Int
        var lower: Int64
        var upper: Int64
        var outside: UInt8
        var whenMissing: UInt8
    }

    struct Combination: Hashable {
        var a: Int32
        var b: Int32
        var negateA: UInt8
        var negateB: UInt8
        var negateResult: UInt8
    }

    private struct Builder {
        var tests: [(node: Int, test: Test)] = []
        var combinations: [(node: Int, combination: Combination)] = []
        var testIndex: [Test: Int] = [:]
        var combinationIndex: [Combination: Int] = [:]
        var count = 1

        mutating func node(_ test: Test) -> Int {
            if let n = testIndex[test] { return n }
            defer { count += 1 }
            testIndex[test] = count
            tests.append((count, test))
            return count
        }

        mutating func node(_ a: Int, _ negateA: Bool, _ b: Int, _ negateB: Bool, negated: Bool) -> Int {
            // Operands in a fixed order: `x and y` is `y and x`.
            var c = Combination(a: Int32(a), b: Int32(b), negateA: negateA ? 1 : 0, negateB: negateB ? 1 : 0, negateResult: negated ? 1 : 0)
            if (c.b, c.negateB) < (c.a, c.negateA) { (c.a, c.negateA, c.b, c.negateB) = (c.b, c.negateB, c.a, c.negateA) }
            if let n = combinationIndex[c] { return n }
            defer { count += 1 }
            combinationIndex[c] = count
            combinations.append((count, c))
            return count
        }

        /// Runs a program's postfix code on nodes instead of values.
        mutating func add(_ program: FilterProgram) -> Int {
            var stack: [Int] = []
            for ins in program.code {
                switch ins.kind {
                case .compare:
                    stack.append(node(Self.test(ins)))
                case .member:
                    // `x in (a, b)` is `x == a or x == b`; a missing x is in no set.
                    var any = node(0, false, 0, false, negated: true)  // false
                    for i in ins.start..<(ins.start + ins.count) {
                        let equal = node(Test(slot: ins.slot, lower: program.sets[i], upper: program.sets[i], outside: 0, whenMissing: 0))
                        any = node(any, true, equal, true, negated: true)
                    }
                    stack.append(ins.negated ? node(any, false, 0, false, negated: true) : any)
                case .missing:
                    // An empty range: a value present is never in it.
                    stack.append(node(Test(slot: ins.slot, lower: 1, upper: 0, outside: ins.negated ? 1 : 0, whenMissing: ins.negated ? 0 : 1)))
                case .and:
                    let b = stack.removeLast(), a = stack.removeLast()
                    stack.append(node(a, false, b, false, negated: false))
                case .or:
                    let b = stack.removeLast(), a = stack.removeLast()
                    stack.append(node(a, true, b, true, negated: true))
                case .not:
                    let a = stack.removeLast()
                    stack.append(node(a, false, 0, false, negated: true))
                }
            }
            return stack.last ?? 0
        }

        /// A comparison as a range of present values; a missing value passes only `!=`.
        static func test(_ ins: FilterProgram.Instruction) -> Test {
            let v = ins.value
            let none = Test(slot: ins.slot, lower: 1, upper: 0, outside: 0, whenMissing: 0)
            // Present values are above RowSlot.missing (Int64.min).
            let least = RowSlot.missing + 1
            switch ins.op {
            case .equal: return Test(slot: ins.slot, lower: v, upper: v, outside: 0, whenMissing: 0)
            case .notEqual: return Test(slot: ins.slot, lower: v, upper: v, outside: 1, whenMissing: 1)
            case .less: return v <= least ? none : Test(slot: ins.slot, lower: least, upper: v - 1, outside: 0, whenMissing: 0)
            case .lessOrEqual: return v < least ? none : Test(slot: ins.slot, lower: least, upper: v, outside: 0, whenMissing: 0)
            case .greater: return v == Int64.max ? none : Test(slot: ins.slot, lower: v + 1, upper: .max, outside: 0, whenMissing: 0)
            case .greaterOrEqual: return Test(slot: ins.slot, lower: max(v, least), upper: .max, outside: 0, whenMissing: 0)
            }
        }
    }

    /// The nodes in raw storage, allocated once: the per-row loops take no references.
    private final class Storage: @unchecked Sendable {
        let testCount: Int
        let testNode: UnsafeMutablePointer<Int>
        let testSlot: UnsafeMutablePointer<Int>
        let lower: UnsafeMutablePointer<Int64>
        let upper: UnsafeMutablePointer<Int64>
        let outside: UnsafeMutablePointer<UInt8>
        let whenMissing: UnsafeMutablePointer<UInt8>
        let combinationCount: Int
        let combinations: UnsafeMutablePointer<Combination>
        let combinationNode: UnsafeMutablePointer<Int>

        init(_ builder: Builder) {
            testCount = builder.tests.count
            func buffer<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
                let p = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
                _ = UnsafeMutableBufferPointer(start: p, count: values.count).initialize(from: values)
                return p
            }
            testNode = buffer(builder.tests.map(\.node))
            testSlot = buffer(builder.tests.map(\.test.slot))
            lower = buffer(builder.tests.map(\.test.lower))
            upper = buffer(builder.tests.map(\.test.upper))
            outside = buffer(builder.tests.map(\.test.outside))
            whenMissing = buffer(builder.tests.map(\.test.whenMissing))
            combinationCount = builder.combinations.count
            combinations = buffer(builder.combinations.map(\.combination))
            combinationNode = buffer(builder.combinations.map(\.node))
        }

        deinit {
            testNode.deallocate()
            testSlot.deallocate()
            lower.deallocate()
            upper.deallocate()
            outside.deallocate()
            whenMissing.deallocate()
            combinations.deallocate()
            combinationNode.deallocate()
        }

        @inline(__always)
        func evaluate(_ slots: UnsafePointer<Int64>, into values: UnsafeMutablePointer<UInt8>) {
            values[0] = 1
            for i in 0..<testCount {
                let v = slots[testSlot[i]]
                let inside: UInt8 = (v >= lower[i] ? 1 : 0) & (v <= upper[i] ? 1 : 0)
                values[testNode[i]] = v == RowSlot.missing ? whenMissing[i] : inside ^ outside[i]
            }
            for i in 0..<combinationCount {
                let c = combinations[i]
                values[combinationNode[i]] = ((values[Int(c.a)] ^ c.negateA) & (values[Int(c.b)] ^ c.negateB)) ^ c.negateResult
            }
        }
    }
}
