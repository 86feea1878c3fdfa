import Dispatch

/// Many noise values drawn on several threads, the same whatever the threads' timing: the
/// values are cut into chunks of ``chunk``, and chunk k draws from its own words (`words(k)`),
/// so that which thread draws which chunk, and when, changes nothing. From the operating
/// system's generator every chunk gets fresh words; from a seed, chunk k's words are seeded
/// by the seed and k (``RandomWords/init(seed:stream:)``), and a run is reproduced exactly on
/// any number of threads.
public enum NoiseDraws {
    /// Values drawn from one chunk's words.
    public static let chunk = 1 << 16

    /// `count` values of `draw`, on up to `threads` threads, chunk k from `words(k)`.
    public static func draw(
        count: Int, threads: Int, words: @Sendable (Int) -> RandomWords, _ draw: @Sendable (inout ExactSampler) -> Int64
    ) -> [Int64] {
        precondition(count >= 0 && threads >= 1, "a count of values and at least one thread")
        let chunks = (count + chunk - 1) / chunk
        return [Int64](unsafeUninitializedCapacity: count) { buffer, initialised in
            let out = SendableBuffer(base: buffer.baseAddress)
            @Sendable func fill(_ k: Int) {
                var sampler = ExactSampler(words(k))
                for i in (k * chunk)..<min(count, (k + 1) * chunk) { (out.base! + i).initialize(to: draw(&sampler)) }
            }
            if threads == 1 || chunks < 2 {
                for k in 0..<chunks { fill(k) }
            } else {
                // Chunks dealt round-robin: thread t draws chunks t, t + threads, ...
                let workers = min(threads, chunks)
                DispatchQueue.concurrentPerform(iterations: workers) { t in
                    for k in stride(from: t, to: chunks, by: workers) { fill(k) }
                }
            }
            initialised = count
        }
    }
}

/// A buffer's base address, written by several threads at disjoint places.
private struct SendableBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Int64>?
}

extension RandomWords {
    /// Words from ``ReproducibleGenerator`` for stream `stream` of `seed`: each stream its own
    /// sequence (the seed and the stream mixed through SplitMix64 by the generator).
    public convenience init(seed: UInt64, stream: Int) {
        self.init(seed: seed ^ (UInt64(truncatingIfNeeded: stream) &+ 1) &* 0xD1B5_4A32_D192_ED03)
    }
}
