import Testing
@testable import DiscreetCore

@Suite struct RationalTests {
    @Test func textReadsAsTheExactValue() {
        #expect(Rational("1/2") == Rational(1, 2))
        #expect(Rational("-7/3") == Rational(-7, 3))
        #expect(Rational(" 3 ") == Rational(3))
        #expect(Rational("0.25") == Rational(1, 4))
        #expect(Rational("-1.5") == Rational(-3, 2))
        #expect(Rational("4/6")?.description == "2/3")
        // Beyond 64 bits, exactly.
        let big = Rational("123456789012345678901234567891/10")
        #expect(big?.isBig == true)
        #expect(big?.description == "123456789012345678901234567891/10")
        #expect(Rational("0.000000000000000000001") == Rational(1) / (Rational(1_000_000_000) * Rational(1_000_000_000_000)))
        for bad in ["", "1/0", "a", "1/", "/2", "1.", ".5", "1/2/3", "1e3", "--1", "0x10", "½"] {
            #expect(Rational(bad) == nil, "\(bad)")
        }
        // Its floating-point reading, for display: small and beyond 64 bits.
        #expect(Rational(1, 4).approximation == 0.25)
        #expect(abs(big!.approximation - 1.2345678901234568e28) < 1e13)
        // What description writes reads back.
        for value in [Rational(5, 7), Rational(-12), big!] { #expect(Rational(value.description) == value) }
    }

    @Test func smallArithmeticIsExactAndReduced() {
        #expect(Rational(1, 3) + Rational(1, 6) == Rational(1, 2))
        #expect(Rational(2, 4).description == "1/2")
        #expect(Rational(-3, -6) == Rational(1, 2))
        #expect(Rational(3, -6).description == "-1/2")
        #expect(Rational(7, 3) * Rational(3, 7) == .one)
        #expect(Rational(1, 3) - Rational(1, 2) == Rational(-1, 6))
        #expect(Rational(5) / Rational(10) == Rational(1, 2))
        #expect(Rational(1, 3) < Rational(1, 2))
        #expect(Rational(-7, 2).floor == -4)
        #expect(Rational(7, 2).floor == 3)
        #expect(Rational(7, 2).ceiling == 4)
        #expect(!Rational(7, 2).isInteger)
        #expect(Rational(8, 2).isInteger)
    }

    @Test func overflowMovesToGMPAndBack() {
        let big = Rational(Int64.max) + Rational(Int64.max)
        #expect(big.isBig)
        #expect(big.description == "18446744073709551614")
        let back = big - Rational(Int64.max)
        #expect(!back.isBig)
        #expect(back == Rational(Int64.max))
        let tiny = Rational(1, Int64.max) * Rational(1, Int64.max)
        #expect(tiny.isBig)
        #expect(tiny.signum == 1)
        #expect(tiny < Rational(1, Int64.max))
        #expect((tiny * Rational(Int64.max) * Rational(Int64.max)) == .one)
        #expect(Rational(Int64.min, 1).description == "-9223372036854775808")
        #expect((-Rational(Int64.min, 1)).description == "9223372036854775808")
        // (2^62)^3 / 2^180 == 1/2^-... : products of big values stay exact.
        var x = Rational(1 << 62)
        for _ in 0..<4 { x = x * Rational(1 << 62) }
        for _ in 0..<4 { x = x / Rational(1 << 62) }
        #expect(x == Rational(1 << 62))
        #expect(!x.isBig)
        let a = Rational(Int64.max) * Rational(3)
        #expect(a + a == a * Rational(2))
    }
}

@Suite struct ExactSimplexTests {
    @Test func solvesASmallProgramme() {
        // x + y + s = 4, x + 3y + t = 6; maximise x + 2y → at (3, 1): 5.
        let system = LinearSystem(
            rows: [[(0, 1), (1, 1), (2, 1)], [(0, 1), (1, 3), (3, 1)]], rhs: [4, 6], columnCount: 4)
        var simplex = ExactSimplex(system)
        #expect(simplex.feasible)
        #expect(simplex.maximize([(0, 1), (1, 2)]) == .optimal(5))
        #expect(simplex.maximize([(1, 1)]) == .optimal(2))
        #expect(simplex.maximize([(0, -1)]) == .optimal(0))
    }

    @Test func fractionalOptimumIsExact() {
        // 3x + 2y + s = 1: max y = 1/2, max x = 1/3.
        var simplex = ExactSimplex(LinearSystem(rows: [[(0, 3), (1, 2), (2, 1)]], rhs: [1], columnCount: 3))
        #expect(simplex.maximize([(1, 1)]) == .optimal(Rational(1, 2)))
        #expect(simplex.maximize([(0, 1)]) == .optimal(Rational(1, 3)))
    }

    @Test func detectsUnboundedAndInfeasible() {
        var open = ExactSimplex(LinearSystem(rows: [[(0, 1), (1, -1)]], rhs: [1], columnCount: 2))
        #expect(open.maximize([(0, 1)]) == .unbounded)
        var infeasible = ExactSimplex(LinearSystem(rows: [[(0, 1)], [(0, 1)]], rhs: [1, 2], columnCount: 1))
        #expect(!infeasible.feasible)
        #expect(infeasible.maximize([(0, 1)]) == .infeasible)
    }

    @Test func redundantRowsAreDropped() {
        // The same equation twice, and a degenerate vertex.
        var simplex = ExactSimplex(LinearSystem(rows: [[(0, 1), (1, 1)], [(0, 2), (1, 2)], [(0, 1), (2, 1)]], rhs: [2, 4, 0], columnCount: 3))
        #expect(simplex.feasible)
        #expect(simplex.maximize([(1, 1)]) == .optimal(2))
        #expect(simplex.maximize([(0, 1)]) == .optimal(0))
    }
}
