/// Random 64-bit words for the samplers, drawn from one source a buffer at a time: the
/// operating system's cryptographic generator for a release (`RandomWords.operatingSystem()`
/// in DiscreetIO: one system call per 8,192 words, where `SystemRandomNumberGenerator`
/// makes one per word, about 300 ns each), or a seeded generator for tests and for
/// reproducing a run (``init(seed:)``), which a release must then state.
///
/// A class, not a struct: a copy of a buffered generator would hand out the same words
/// twice, and two noise values drawn from the same words are not independent. Concrete, not
/// a generic parameter of the sampler, so that every draw is specialised code whoever calls
/// it. Not for sharing between threads: each worker makes its own.
public final class RandomWords: RandomNumberGenerator {
    /// Words fetched from the source at a time.
    public static let bufferWords = 8_192
    private var buffer: [UInt64]
    private var position: Int
    private let refill: (inout [UInt64]) -> Void
    /// Whether the words are predictable (a seeded generator): noise drawn from them protects
    /// nobody, and a release made with them must say so.
    public let isReproducible: Bool

    /// Words from `refill`, which fills the whole buffer each time it is called.
    public init(reproducible: Bool, refill: @escaping (inout [UInt64]) -> Void) {
        buffer = [UInt64](repeating: 0, count: Self.bufferWords)
        position = Self.bufferWords
        isReproducible = reproducible
        self.refill = refill
    }

    /// Words from ``ReproducibleGenerator`` seeded with `seed`: the same seed, the same words.
    public convenience init(seed: UInt64) {
        var generator = ReproducibleGenerator(seed: seed)
        self.init(reproducible: true) { buffer in
            for i in buffer.indices { buffer[i] = generator.next() }
        }
    }

    deinit {
        // Words not yet used would tell what the next draws were to be: nothing reads them
        // later, but a core dump could.
        for i in buffer.indices { buffer[i] = 0 }
    }

    @inline(__always)
    public func next() -> UInt64 {
        if position == buffer.count {
            refill(&buffer)
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    /// A word drawn uniformly from 0 ..< `bound` (`bound` > 0), exactly: Lemire's method
    /// (the high word of a word times the bound, drawn again in the few cases that would
    /// favour some values).
    @inline(__always)
    public func next(below bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}
