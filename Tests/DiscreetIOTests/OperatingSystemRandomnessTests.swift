import DiscreetCore
import Testing
@testable import DiscreetIO

/// The generator every noise draw in a release comes from.
@Suite struct OperatingSystemRandomnessTests {
    /// Past several refills (8,192 words each), no word repeats (two equal 64-bit words among
    /// 40,000 truly random ones: probability below 1e-10), two generators never agree, and each
    /// bit is set about half the time.
    @Test func wordsAreFreshAcrossRefillsAndGenerators() {
        let first = RandomWords.operatingSystem()
        let second = RandomWords.operatingSystem()
        let a = (0..<40_000).map { _ in first.next() }
        let b = (0..<1_000).map { _ in second.next() }
        #expect(Set(a).count == a.count)
        #expect(Set(a).isDisjoint(with: b))
        for bit in [0, 1, 31, 63] {
            let ones = a.filter { $0 >> UInt64(bit) & 1 == 1 }.count
            // Within 5 standard errors (100) of 20,000.
            #expect(abs(ones - 20_000) < 500, "bit \(bit): \(ones) of 40,000")
        }
    }

    /// A copy of a sampler shares its generator (a class): the copy draws new words, never the
    /// ones the original draws next.
    @Test func aCopiedSamplerDrawsOtherNoise() {
        var sampler = ExactSampler(RandomWords.operatingSystem())
        var copy = sampler
        let x = (0..<64).map { _ in sampler.discreteLaplace(scale: Rational(1_000)) }
        let y = (0..<64).map { _ in copy.discreteLaplace(scale: Rational(1_000)) }
        // Equal sequences of 64 draws of scale 1,000: probability far below 1e-100.
        #expect(x != y)
    }
}
