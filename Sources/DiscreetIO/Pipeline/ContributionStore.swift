import CPOSIX
import DiscreetCore
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds contribution records until every row is read, then groups them by person.
///
/// Records stay in memory up to a budget. Past it, they are spread over partitions by the
/// hash of the person, so that each person's records land in one partition; each
/// partition is then grouped on its own. Memory is bounded by the budget and the size of
/// a partition, not by the number of rows, and counting stays exact (people are compared
/// byte for byte within a partition).
///
/// Partitions live in one temporary file with no name (see ``SpillFile``): nothing of it
/// outlives the process, however it ends, and what it holds is encrypted with a key that
/// never leaves memory, so no identifier reaches the disk in clear.
final class ContributionStore {
    private var buffer: ByteBuffer
    private let budget: Int
    private let temporaryRoot: String
    private var file: SpillFile?
    private var partitions: [Partition] = []
    /// Total record bytes written so far (in memory and spilled).
    private(set) var recordBytes = 0
    /// Whether records went to disk.
    private(set) var spilled = false

    /// An estimate of the total record bytes the whole input will make (for sizing partitions).
    var estimateTotal: () -> Int = { 0 }

    /// One partition: records waiting in memory, and the blocks of the spill file holding
    /// the rest.
    private final class Partition {
        var pending: UnsafeMutableRawPointer
        var count = 0
        let capacity: Int
        var blocks: [(offset: Int, length: Int)] = []
        var size = 0

        init(capacity: Int) {
            self.capacity = capacity
            pending = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { pending.deallocate() }

        func append(_ bytes: UnsafeRawPointer, _ n: Int, to file: SpillFile) throws(IngestError) {
            if count + n > capacity { try flush(to: file) }
            if n > capacity {
                // A record larger than the buffer goes out as a block of its own.
                let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 16)
                defer { copy.deallocate() }
                copy.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: n))
                blocks.append(try file.append(copy))
                size += n
                return
            }
            (pending + count).copyMemory(from: bytes, byteCount: n)
            count += n
        }

        func flush(to file: SpillFile) throws(IngestError) {
            guard count > 0 else { return }
            blocks.append(try file.append(UnsafeMutableRawBufferPointer(start: pending, count: count)))
            size += count
            count = 0
        }
    }

    /// - Parameters:
    ///   - budget: bytes of records kept in memory before spilling to disk.
    ///   - temporaryDirectory: where the spill file goes (it has no name there).
    init(budget: Int, temporaryDirectory: String) {
        self.budget = max(budget, 1 << 16)
        temporaryRoot = temporaryDirectory
        // Grown by doubling as records arrive, so a small input costs little.
        buffer = ByteBuffer(capacity: min(self.budget, 1 << 16))
    }

    /// The spill file's descriptor, once records went to disk.
    var spillDescriptor: Int32? { file?.fd }

    /// Where records already went to disk, sends the rest after them and flushes every
    /// partition (grouping does this too; tests look at the file in between).
    func spillPending() throws(IngestError) {
        guard let file else { return }
        try spill()
        for p in partitions { try p.flush(to: file) }
    }

    /// Appends one row's record.
    @inline(__always)
    func append(identifier: UnsafeRawBufferPointer, origin: RowOrigin, contributions: RowContributions) throws(IngestError) {
        let before = buffer.count
        ContributionRecord.append(to: &buffer, identifier: identifier, origin: origin, contributions: contributions)
        recordBytes += buffer.count - before
        if buffer.count >= budget { try spill() }
    }

    /// Appends records already encoded (a block of one reader's, when several inputs are
    /// read at once).
    func append(records: UnsafeRawBufferPointer) throws(IngestError) {
        buffer.append(records)
        recordBytes += records.count
        if buffer.count >= budget { try spill() }
    }

    /// Moves the records in memory to the partitions.
    private func spill() throws(IngestError) {
        if partitions.isEmpty { try createPartitions() }
        guard let file else { return }
        spilled = true
        let mask = UInt64(partitions.count - 1)
        let records = buffer.bytes
        var offset = 0
        while offset < records.count {
            let length = Int(records.load(at: offset, as: UInt32.self))
            let hash = records.load(at: offset + 4, as: UInt64.self)
            // High bits choose the partition; the low bits are left for sharding within one.
            try partitions[Int((hash >> 40) & mask)].append(records.baseAddress! + offset, length, to: file)
            offset += length
        }
        buffer.removeAll()
    }

    private func createPartitions() throws(IngestError) {
        file = try SpillFile(directory: temporaryRoot)
        // Aim for partitions of about a quarter of the budget each.
        let expected = max(estimateTotal(), recordBytes * 2)
        var count = 16
        while count < 4096 && expected / count > budget / 4 { count *= 2 }
        let bufferSize = max(1 << 12, min(1 << 20, budget / 4 / count))
        for _ in 0..<count { partitions.append(Partition(capacity: bufferSize)) }
    }

    /// Groups every record by person on `workers` threads and returns the combined result.
    func group(workers: Int, make: @Sendable () -> ContributionGrouper) throws(IngestError) -> ContributionGrouper {
        let workers = max(1, workers)
        let results = ResultSlots(count: workers)
        if partitions.isEmpty {
            // Everything is in memory: each worker takes the people of its hash shard.
            var count = 1
            while count < workers { count *= 2 }
            let shards = count
            let records = SendableBytes(buffer.bytes)
            let slots = ResultSlots(count: shards)
            DispatchQueue.concurrentPerform(iterations: shards) { shard in
                var grouper = make()
                grouper.add(records: records.bytes, shard: shard, shards: shards)
                slots.set(shard, grouper)
            }
            buffer.reset(capacity: 64)
            return slots.merged()
        }
        try spill()
        buffer.reset(capacity: 64)
        guard let file else { preconditionFailure("partitions without a spill file") }
        for p in partitions { try p.flush(to: file) }
        let parts = partitions.map { ($0.blocks, $0.size) }
        partitions.removeAll()
        let next = Mutex(0)
        let failure = Mutex<IngestError?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var grouper = make()
            var data = ByteBuffer(capacity: 1 << 16)
            while true {
                let i = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                if i >= parts.count || failure.withLock({ $0 != nil }) { break }
                do throws(IngestError) {
                    data.removeAll()
                    data.reserve(parts[i].1)
                    for block in parts[i].0 {
                        try file.read(block, into: data.base + data.count)
                        data.count += block.length
                    }
                    grouper.add(records: data.bytes)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    break
                }
            }
            results.set(worker, grouper)
        }
        self.file = nil
        if let error = failure.withLock({ $0 }) { throw error }
        return results.merged()
    }
}

/// A temporary file with no name, encrypted block by block: it cannot outlive the process
/// that made it (the system frees it when its descriptor closes, at the latest when the
/// process ends, however it ends), and the key that reads it lives in that process's memory
/// only. Where the file system cannot make a file without a name, one is made with a
/// random name and removed at once, leaving it open.
final class SpillFile: @unchecked Sendable {
    let fd: Int32
    private let cipher = ChaCha20.randomKey()
    /// Bytes written so far (where the next block goes). Written by one thread only.
    private var end = 0

    init(directory: String) throws(IngestError) {
        var fd = discreet_open_anonymous(directory)
        if fd < 0 {
            var template = Array((directory + "/.discreet-spill-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd < 0 { throw .io("cannot create a temporary file in \(directory): \(POSIX.lastError)") }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
        self.fd = fd
    }

    deinit { POSIX.closeFile(fd) }

    /// The nonce of the block at `offset`: blocks never share an offset, so never a nonce.
    private func nonce(_ offset: Int) -> (UInt32, UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: offset), UInt32(truncatingIfNeeded: offset >> 32), 0x6373_6964)
    }

    /// Encrypts `bytes` in place and writes them as the next block; returns where it is.
    func append(_ bytes: UnsafeMutableRawBufferPointer) throws(IngestError) -> (offset: Int, length: Int) {
        let offset = end
        cipher.apply(bytes, nonce: nonce(offset))
        var done = 0
        while done < bytes.count {
            let w = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if w < 0 {
                if errno == EINTR { continue }
                throw .io("cannot write a temporary file in the temporary directory: \(POSIX.lastError)")
            }
            done += w
        }
        end += bytes.count
        return (offset, bytes.count)
    }

    /// Reads a block back into `destination`, decrypted. Safe from several threads at once.
    func read(_ block: (offset: Int, length: Int), into destination: UnsafeMutableRawPointer) throws(IngestError) {
        var done = 0
        while done < block.length {
            let got = pread(fd, destination + done, block.length - done, off_t(block.offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw .io("cannot read a temporary file: \(POSIX.lastError)")
            }
            if got == 0 { throw .io("a temporary file is shorter than was written to it") }
            done += got
        }
        cipher.apply(UnsafeMutableRawBufferPointer(start: destination, count: block.length), nonce: nonce(block.offset))
    }
}

/// Read-only bytes shared by the grouping threads (nobody writes them meanwhile).
private struct SendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}

/// One result per worker, each written by its own worker only.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [ContributionGrouper?]
    private let lock = Mutex(())

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ grouper: ContributionGrouper) {
        lock.withLock { _ in slots[i] = grouper }
    }

    func merged() -> ContributionGrouper {
        var all = slots.compactMap { $0 }
        var result = all.removeFirst()
        for other in all { result.merge(other) }
        return result
    }
}

/// A failure while reading inputs that is not about one row.
public enum IngestError: Error, Sendable {
    /// An input cannot be opened or read, or its header lacks declared columns.
    case input(String)
    /// A bad row, with the run set to stop at the first one.
    case row(location: String, message: String)
    /// One person's rows fall in different cells of a table, with the run set to stop.
    case conflict(String)
    /// Temporary files could not be written or read.
    case io(String)
    /// A magnitude table's sum does not fit in 64 bits.
    case overflow(String)

    public var message: String {
        switch self {
        case .input(let m), .conflict(let m), .io(let m), .overflow(let m): return m
        case .row(let location, let message): return "\(location): \(message)"
        }
    }
}
