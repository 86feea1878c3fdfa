import Testing
@testable import DiscreetCore

/// The filter network answers exactly as each filter's own program does, while making each
/// shared test once.
@Suite struct FilterNetworkTests {
    static func network(_ texts: [String]) throws -> (FilterNetwork, [FilterProgram]) {
        let programs = try texts.map { try FilterTests.compile($0) }
        return (FilterNetwork(programs: programs), programs)
    }

    static func passes(_ network: FilterNetwork, _ p: Int, _ row: [Int64]) -> Bool {
        row.withUnsafeBufferPointer { network.passes(p, $0.baseAddress!) }
    }

    @Test func sharedTestsAreMadeOnce() throws {
        // Node 0 (true), age >= 14, disabled == 1, their `and`, outcome == NEET, and the last `and`.
        let (network, _) = try Self.network([
            "age >= 14 and disabled == 1", "disabled == 1 and age >= 14", #"age >= 14 and disabled == 1 and outcome == "NEET""#,
        ])
        #expect(network.nodeCount == 6)
        #expect(network.roots[0] == network.roots[1])
        #expect(network.roots[2] != network.roots[0])
    }

    @Test func handWorkedRows() throws {
        let (network, _) = try Self.network([
            "age >= 14 and disabled == 1", #"outcome in ("NEET", "unknown")"#, "age != 3", "not (age < 18 or cost is missing)", "*",
        ].map { $0 == "*" ? "age is missing or age is not missing" : $0 })
        let row = FilterTests.row(age: 15, disabled: 1, outcome: "EET")
        #expect(Self.passes(network, 0, row))
        #expect(!Self.passes(network, 1, row))
        #expect(Self.passes(network, 2, row))
        #expect(!Self.passes(network, 3, row))
        #expect(Self.passes(network, 4, row))
        let empty = FilterTests.row()
        #expect(!Self.passes(network, 0, empty))
        #expect(!Self.passes(network, 1, empty))
        #expect(Self.passes(network, 2, empty))  // a missing value is not 3
        #expect(!Self.passes(network, 3, empty))
        #expect(Self.passes(network, 4, empty))
        let adult = FilterTests.row(age: 30, outcome: "unknown", cost: 0)
        #expect(!Self.passes(network, 0, adult))
        #expect(Self.passes(network, 1, adult))
        #expect(Self.passes(network, 3, adult))
    }

    @Test func theFilterEveryRowPassesIsNodeZero() {
        let network = FilterNetwork(programs: [.everyRow])
        #expect(network.roots == [0])
        #expect(Self.passes(network, 0, FilterTests.row()))
    }

    /// Random filters over every kind of test, on random rows with missing and extreme
    /// values: the network and the programs agree on every one.
    @Test func agreesWithEachProgramOnRandomFiltersAndRows() throws {
        var random = ReproducibleGenerator(seed: 16)
        let edges: [Int64] = [RowSlot.missing + 1, -1, 0, 1, 2, 14, 17, 18, Int64.max - 1, Int64.max]
        func literal() -> String { ["0", "1", "2", "14", "17", "18", "-1", "9223372036854775807", "-9223372036854775807"].randomElement(using: &random)! }
        func test() -> String {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return "age \(["==", "!=", "<", "<=", ">", ">="].randomElement(using: &random)!) \(literal())"
            case 1: return "disabled \(["==", "!=", "<", ">="].randomElement(using: &random)!) \(literal())"
            case 2: return #"outcome \#(["==", "!="].randomElement(using: &random)!) "\#(["NEET", "EET", "unknown"].randomElement(using: &random)!)""#
            case 3: return #"outcome \#(Bool.random(using: &random) ? "in" : "not in") ("NEET", "EET")"#
            case 4: return "age in (1, 17, 18)"
            default: return "\(["age", "cost", "outcome"].randomElement(using: &random)!) is \(Bool.random(using: &random) ? "" : "not ")missing"
            }
        }
        func expression(_ depth: Int) -> String {
            if depth == 0 || Int.random(in: 0..<3, using: &random) == 0 { return test() }
            switch Int.random(in: 0..<3, using: &random) {
            case 0: return "(\(expression(depth - 1)) and \(expression(depth - 1)))"
            case 1: return "(\(expression(depth - 1)) or \(expression(depth - 1)))"
            default: return "not (\(expression(depth - 1)))"
            }
        }
        var checked = 0
        for _ in 0..<40 {
            let texts = (0..<8).map { _ in expression(4) }
            let (network, programs) = try Self.network(texts)
            for _ in 0..<200 {
                let row = [
                    Bool.random(using: &random) ? edges.randomElement(using: &random)! : RowSlot.missing,
                    Bool.random(using: &random) ? Int64.random(in: -1...2, using: &random) : RowSlot.missing,
                    Bool.random(using: &random) ? Int64.random(in: 0...2, using: &random) : RowSlot.missing,
                    Bool.random(using: &random) ? Int64.random(in: -5...5, using: &random) : RowSlot.missing,
                    RowSlot.missing,
                ]
                for p in programs.indices {
                    #expect(Self.passes(network, p, row) == FilterTests.passes(programs[p], row), "\(texts[p]) on \(row)")
                    checked += 1
                }
            }
        }
        #expect(checked == 40 * 200 * 8)
    }
}
