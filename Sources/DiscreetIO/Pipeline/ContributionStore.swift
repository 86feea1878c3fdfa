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
/// Records stay in memory up to a budget. Past it, they are spread over partition files
/// by the hash of the person, so that each person's records land in one partition; each
/// partition is then grouped on its own. Memory is bounded by the budget and the size of
/// a partition, not by the number of rows, and counting stays exact (people are compared
/// byte for byte within a partition).
final class ContributionStore {
    private var buffer: ByteBuffer
    private let budget: Int
    private let temporaryRoot: String
    private var directory: String?
    private var partitions: [Partition] = []
    /// Total record bytes written so far (in memory and spilled).
    private(set) var recordBytes = 0
    /// Whether records went to disk.
    private(set) var spilled = false

    /// An estimate of the total record bytes the whole input will make (for sizing partitions).
    var estimateTotal: () -> Int = { 0 }

    private final class Partition {
        let path: String
        var fd: Int32
        var pending: UnsafeMutableRawPointer
        var count = 0
        let capacity: Int
        var size = 0

        init(path: String, capacity: Int) throws(IngestError) {
            self.path = path
            self.capacity = capacity
            fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
            if fd < 0 { throw .io("cannot create the temporary file \(path): \(POSIX.lastError)") }
            pending = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit {
            if fd >= 0 { POSIX.closeFile(fd) }
            pending.deallocate()
        }

        func append(_ bytes: UnsafeRawPointer, _ n: Int) throws(IngestError) {
            if count + n > capacity { try flush() }
            if n > capacity {
                try write(bytes, n)
                return
            }
            (pending + count).copyMemory(from: bytes, byteCount: n)
            count += n
        }

        func flush() throws(IngestError) {
            try write(pending, count)
            count = 0
        }

        private func write(_ bytes: UnsafeRawPointer, _ n: Int) throws(IngestError) {
            var done = 0
            while done < n {
                let w = Glibc.write(fd, bytes + done, n - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw .io("cannot write the temporary file \(path): \(POSIX.lastError)")
                }
                done += w
            }
            size += n
        }

        func closeForReading() throws(IngestError) {
            try flush()
            POSIX.closeFile(fd)
            fd = -1
        }
    }

    /// - Parameters:
    ///   - budget: bytes of records kept in memory before spilling to disk.
    ///   - temporaryDirectory: where partition files go (removed when done).
    init(budget: Int, temporaryDirectory: String) {
        self.budget = max(budget, 1 << 16)
        temporaryRoot = temporaryDirectory
        buffer = ByteBuffer(capacity: min(self.budget, 1 << 22))
    }

    deinit { removeFiles() }

    /// Appends one row's record.
    @inline(__always)
    func append(identifier: UnsafeRawBufferPointer, origin: RowOrigin, contributions: RowContributions) throws(IngestError) {
        let before = buffer.count
        ContributionRecord.append(to: &buffer, identifier: identifier, origin: origin, contributions: contributions)
        recordBytes += buffer.count - before
        if buffer.count >= budget { try spill() }
    }

    /// Moves the records in memory to the partition files.
    private func spill() throws(IngestError) {
        if partitions.isEmpty { try createPartitions() }
        spilled = true
        let mask = UInt64(partitions.count - 1)
        let records = buffer.bytes
        var offset = 0
        while offset < records.count {
            let length = Int(records.load(at: offset, as: UInt32.self))
            let hash = records.load(at: offset + 4, as: UInt64.self)
            // High bits choose the partition; the low bits are left for sharding within one.
            try partitions[Int((hash >> 40) & mask)].append(records.baseAddress! + offset, length)
            offset += length
        }
        buffer.removeAll()
    }

    private func createPartitions() throws(IngestError) {
        var template = Array((temporaryRoot + "/discreet-spill-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io("cannot create a temporary directory in \(temporaryRoot): \(POSIX.lastError)")
        }
        let dir = String(cString: made)
        directory = dir
        // Aim for partitions of about a quarter of the budget each.
        let expected = max(estimateTotal(), recordBytes * 2)
        var count = 16
        while count < 4096 && expected / count > budget / 4 { count *= 2 }
        let bufferSize = max(1 << 12, min(1 << 20, budget / 4 / count))
        for i in 0..<count { partitions.append(try Partition(path: "\(dir)/part-\(i)", capacity: bufferSize)) }
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
        for p in partitions { try p.closeForReading() }
        let paths = partitions.map { ($0.path, $0.size) }
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
                if i >= paths.count || failure.withLock({ $0 != nil }) { break }
                do throws(IngestError) {
                    try Self.read(path: paths[i].0, size: paths[i].1, into: &data)
                    grouper.add(records: data.bytes)
                    unlink(paths[i].0)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    break
                }
            }
            results.set(worker, grouper)
        }
        if let error = failure.withLock({ $0 }) { throw error }
        removeFiles()
        return results.merged()
    }

    private static func read(path: String, size: Int, into data: inout ByteBuffer) throws(IngestError) {
        data.removeAll()
        data.reserve(size)
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .io("cannot open the temporary file \(path): \(POSIX.lastError)") }
        defer { POSIX.closeFile(fd) }
        var done = 0
        while done < size {
            let got = Glibc.read(fd, data.base + done, size - done)
            if got < 0 {
                if errno == EINTR { continue }
                throw .io("cannot read the temporary file \(path): \(POSIX.lastError)")
            }
            if got == 0 { break }
            done += got
        }
        data.count = done
    }

    private func removeFiles() {
        partitions.removeAll()
        guard let directory else { return }
        if let dir = opendir(directory) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
                if name != "." && name != ".." { unlink(directory + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(directory)
        self.directory = nil
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
