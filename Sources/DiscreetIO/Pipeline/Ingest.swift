import DiscreetCore
import Dispatch
import Foundation
import Synchronization

/// How ingest runs.
public struct IngestOptions: Sendable {
    public var onError: ErrorPolicy
    /// Bytes of contribution records held in memory before spilling to temporary files.
    public var memoryBudget: Int
    public var temporaryDirectory: String
    /// Threads for grouping people.
    public var workers: Int
    /// Inputs read at once, each on its own thread (a batch's partners: `--jobs`). Each
    /// reader holds one block of records (``blockBytes``) besides the shared memory budget,
    /// and the release is the same whatever the number.
    public var readers = 1
    /// Whether one input whose rows come sorted by person is aggregated as it is read (see
    /// ``PersonStream``), instead of through the store. The release is the same either way;
    /// tests turn it off to exercise the store on small inputs.
    public var streamSortedInput = true
    /// The least share of a sorted CSV file worth a core of its own (a file of less than
    /// two shares is read on one core).
    public var partBytes = 8 << 20
    /// For tests: called once every row is read, before grouping, with the descriptor of the
    /// spill file (nil when nothing spilled), to look at what a run leaves on disk mid-way.
    var beforeGrouping: (@Sendable (Int32?) -> Void)?
    /// For the cell key method: each person's record key from their identifier's bytes.
    public var recordKey: (@Sendable (UnsafeRawBufferPointer) -> UInt32)?
    /// For the cell key method: the column (an index into the spec's) holding each row's
    /// record key, where keys come from the extract.
    public var recordKeyColumn: Int?
    /// Called with an input's index (into the inputs given to ``Ingest/run(inputs:)``) when
    /// reading it fails, before the error is thrown: a batch leaves that partner out.
    public var inputFailed: (@Sendable (Int) -> Void)?
    /// Called as reading goes: every ``IngestProgress/interval`` rows of an input, and when
    /// an input is read, then once every input is read, before grouping people.
    public var progress: (@Sendable (IngestProgress) -> Void)?

    public init(
        onError: ErrorPolicy, memoryBudget: Int = 32 << 20,
        temporaryDirectory: String = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp",
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.onError = onError
        self.memoryBudget = memoryBudget
        self.temporaryDirectory = temporaryDirectory
        self.workers = workers
    }
}

/// How far reading has gone.
public enum IngestProgress: Sendable, Equatable {
    /// Rows read so far from an input (an index into the inputs read).
    case reading(input: Int, rows: Int)
    /// An input read in full: its rows, and how many were left out as bad.
    case read(input: Int, rows: Int, quarantined: Int)
    /// Every input read; people are being grouped and counted.
    case grouping

    /// Rows between two ``reading(input:rows:)`` reports.
    public static let interval = 1 << 16
}

/// What was read from one input.
public struct InputReport: Sendable {
    public var input: InputSpec
    public var sha256: String
    /// Data rows read (header and blank lines excluded).
    public var rows: Int
    /// Rows left out as bad.
    public var quarantined: Int
    public var bytes: Int
}

/// Bad rows of one kind, in one column: how many, and where the first ones are.
public struct QuarantineEntry: Sendable {
    public var reason: RowIssueKind
    public var column: String?
    public var subject: String?
    public var message: String
    public var count: Int
    /// `file:line` of the first few.
    public var first: [String]
}

/// People left out of a cohort's tables because their rows fall in different cells.
public struct ConflictReport: Sendable {
    /// The tables concerned, as a phrase ("table 'x'", "tables 'x', 'y'").
    public var table: String
    public var people: Int
    /// `file:line and file:line` of the first few.
    public var first: [String]
}

/// Everything ingest produced: the true tables and the account of what was read.
public struct IngestResult: Sendable {
    /// One per planned cohort, in plan order. True values: never published as such.
    public var cohorts: [AggregatedTable]
    public var inputs: [InputReport]
    public var quarantine: [QuarantineEntry]
    public var conflicts: [ConflictReport]
    /// Distinct people contributing to at least one table.
    public var people: Int
    /// Whether contributions were spilled to temporary files.
    public var spilled: Bool
    /// The parts of one sorted CSV input read at once, each on its own core (1: the input
    /// was read on one core).
    public var parts = 1
    /// Per cohort, the people whose contribution to a sum was clamped to the declared bounds
    /// (a release with noise).
    public var clamped: [Int] = []
    /// For the cell key method: per cohort, per cell (margins included), the sum of its
    /// people's record keys modulo 2^32 (empty otherwise).
    public var cellKeys: [[UInt32]] = []
    /// For the cell key method with keys from a column: people whose rows carry different
    /// keys (each took the least of them).
    public var differingRecordKeys = 0
}

/// A reader's records not yet in the shared store.
final class RecordBlock {
    var buffer = ByteBuffer(capacity: Ingest.blockBytes + (1 << 12))
}

/// The one store several readers share: each moves its blocks of records in under the
/// lock, and the store estimates the records to come from every reader's bytes read.
final class SharedStore: @unchecked Sendable {
    let store: ContributionStore
    private let lock = Mutex(())
    /// Input bytes read so far by every reader (under the lock).
    private var bytesRead = 0

    init(store: ContributionStore, expectedBytes: Int) {
        self.store = store
        // Called from `take`, under the lock. Weakly, as in a single read.
        store.estimateTotal = { [weak self, weak store] in
            guard let self, let store else { return 0 }
            if self.bytesRead == 0 { return store.recordBytes * 4 }
            return Int(Double(store.recordBytes) / Double(self.bytesRead) * Double(max(expectedBytes, self.bytesRead)) * 1.2)
        }
    }

    /// Counts input bytes a reader has read.
    func read(_ bytes: Int) {
        lock.withLock { _ in bytesRead += bytes }
    }

    /// Moves a reader's block into the store, emptying it.
    func take(_ block: RecordBlock) throws(IngestError) {
        guard block.buffer.count > 0 else { return }
        try lock.withLock { _ throws(IngestError) in try store.append(records: block.buffer.bytes) }
        block.buffer.removeAll()
    }
}

/// Reads extracts, classifies every row into the plan's tables, and aggregates by person.
public struct Ingest: Sendable {
    public let plan: ReleasePlan
    public let options: IngestOptions

    public init(plan: ReleasePlan, options: IngestOptions) {
        self.plan = plan
        self.options = options
    }

    /// Records a reader encodes before moving them into the shared store, when several
    /// inputs are read at once.
    public static let blockBytes = 1 << 18

    /// Reads every input and returns the aggregated tables.
    public func run(inputs: [InputSpec]) throws(IngestError) -> IngestResult {
        let sizes = inputs.map { POSIX.fileSize($0.path) }
        if inputs.count == 1 && options.streamSortedInput, let result = try readSorted(inputs[0], size: sizes[0]) {
            return result
        }
        var state = IngestState(plan: plan, options: options)
        state.expectedBytes = sizes.reduce(0) { $0 + ($1 ?? 0) }
        let readers = min(options.readers, inputs.count)
        if readers > 1 {
            try readConcurrently(inputs, sizes: sizes, readers: readers, into: &state)
            options.progress?(.grouping)
            return try state.finish(inputs: inputs)
        }
        for (index, input) in inputs.enumerated() {
            do {
                try read(input, index: index, size: sizes[index], into: &state)
            } catch {
                options.inputFailed?(index)
                throw error
            }
            if let progress = options.progress, let report = state.reports.last {
                progress(.read(input: index, rows: report.rows, quarantined: report.quarantined))
            }
        }
        options.progress?(.grouping)
        return try state.finish(inputs: inputs)
    }

    /// Reads one input as a stream of people, if its rows come sorted by person; `nil` if
    /// they do not (the caller then reads it through the store). A large CSV file is cut
    /// into parts, one per worker, read at once (see ``FilePart``).
    private func readSorted(_ input: InputSpec, size: Int?) throws(IngestError) -> IngestResult? {
        if input.format == .csv, let size, size >= options.partBytes * 2, options.workers > 1 {
            let cuts = FilePart.cuts(path: input.path, size: size, count: min(options.workers, size / max(options.partBytes, 1)))
            if !cuts.isEmpty {
                switch try readParts(input, size: size, cuts: cuts) {
                case .read(let result): return result
                // Rows out of order among rows the parts agree on: one core would find them too.
                case .unsorted: return nil
                case .partsDoNotMeet: break
                }
            }
        }
        var state = IngestState(plan: plan, options: options)
        state.expectedBytes = size ?? 0
        let stream = PersonStream(grouper: state.makeGrouper())
        state.stream = stream
        do {
            try read(input, index: 0, size: size, into: &state)
        } catch {
            options.inputFailed?(0)
            throw error
        }
        guard !stream.broken else { return nil }
        if let progress = options.progress, let report = state.reports.last {
            progress(.read(input: 0, rows: report.rows, quarantined: report.quarantined))
        }
        options.progress?(.grouping)
        return try state.finish(inputs: [input])
    }

    /// What reading a file in parts came to.
    private enum PartsOutcome {
        case read(IngestResult)
        /// Identifiers out of order (read it through the store).
        case unsorted
        /// Two parts do not meet, or a part could not find its edges (read it on one core).
        case partsDoNotMeet
    }

    /// Reads a CSV file sorted by person in parts, one per core, starting at `cuts`.
    private func readParts(_ input: InputSpec, size: Int, cuts: [Int]) throws(IngestError) -> PartsOutcome {
        let starts: [Int?] = [nil] + cuts.map { Optional($0) }
        let checksum = BackgroundChecksum(path: input.path, inline: false)
        let quiet = { var o = options; o.progress = nil; return o }()
        let ingest = Ingest(plan: plan, options: quiet)
        // Each part's state is made and used on its thread only, then handed back here.
        struct Outcome: @unchecked Sendable {
            var state: IngestState
            var error: IngestError?
            var part: FilePart { state.part! }
            var stream: PersonStream { state.stream! }
        }
        let outcomes = Mutex([Outcome?](repeating: nil, count: starts.count))
        let plan = self.plan
        DispatchQueue.concurrentPerform(iterations: starts.count) { k in
            var start: (offset: Int, line: Int)?
            var error: IngestError?
            if let offset = starts[k] {
                do {
                    start = (offset, try FilePart.line(at: offset, path: input.path))
                } catch let failure {
                    error = .input(describe(failure))
                }
            }
            let part = FilePart(start: starts[k].map { ($0, start?.line ?? 0) }, next: k + 1 < starts.count ? starts[k + 1] : nil)
            var state = IngestState(plan: plan, options: quiet)
            state.expectedBytes = size
            let stream = PersonStream(grouper: state.makeGrouper())
            state.stream = stream
            state.part = part
            if error == nil {
                do throws(IngestError) {
                    try ingest.read(input, index: 0, size: size, into: &state)
                    stream.flush()
                } catch let failure {
                    error = failure
                }
            }
            outcomes.withLock { $0[k] = Outcome(state: state, error: error) }
        }
        // Parts in order: each must meet the one before, and be in order after it; where one
        // does not, or a part is out of order, the file is read on one core. The first part
        // that fails (having met the one before: its rows are the file's) is the error.
        var parts: [Outcome] = []
        for case let outcome? in outcomes.withLock({ $0 }) {
            if let last = parts.last, !last.part.meets(outcome.part) { return .partsDoNotMeet }
            if let error = outcome.error {
                options.inputFailed?(0)
                throw error
            }
            if outcome.part.failed { return .partsDoNotMeet }
            if outcome.stream.broken { return .unsorted }
            // Order is checked against the last part that held anyone: a part of rows in no
            // cohort between two others proves nothing about them.
            if let last = parts.last(where: { !$0.stream.isEmpty }), !last.stream.precedes(outcome.stream) { return .unsorted }
            parts.append(outcome)
        }
        // A column with as many codes as a dictionary takes may be short of them in one
        // part and not in another: one core decides.
        if parts.contains(where: { $0.state.dictionaries.contains { $0.count >= $0.limit } }) { return .partsDoNotMeet }
        let sha: String
        do {
            sha = try checksum.wait()
        } catch {
            throw .input(describe(error))
        }
        var state = IngestState(plan: plan, options: options)
        state.inputNames = [input.displayName]
        var grouper = parts[0].stream.grouper
        var rows = 0, quarantined = 0
        for (k, part) in parts.enumerated() {
            if k > 0 { grouper.merge(part.stream.grouper) }
            rows += part.state.reports[0].rows
            quarantined += part.state.reports[0].quarantined
            for entry in part.state.quarantine { state.merge(entry) }
        }
        state.reports = [InputReport(input: input, sha256: sha, rows: rows, quarantined: quarantined, bytes: size)]
        options.progress?(.read(input: 0, rows: rows, quarantined: quarantined))
        options.progress?(.grouping)
        options.beforeGrouping?(nil)
        var result = try state.finish(grouper: grouper)
        result.parts = parts.count
        return .read(result)
    }

    /// Reads the inputs `readers` at a time into `state`'s store, each reader with its own
    /// classifier and a block of records it moves into the store under a lock. What comes
    /// out does not depend on which reader took which input, or when: each person's rows
    /// are grouped in input and line order (see ``ContributionGrouper``), the inputs'
    /// reports and bad rows are put back in input order, and where inputs fail, the first
    /// of them is the error (inputs after it are not started).
    private func readConcurrently(_ inputs: [InputSpec], sizes: [Int?], readers: Int, into state: inout IngestState) throws(IngestError) {
        let shared = SharedStore(store: state.store, expectedBytes: state.expectedBytes)
        let next = Mutex(0)
        let firstFailure = Mutex<(index: Int, error: IngestError)?>(nil)
        let done = Mutex([(report: InputReport, quarantine: [QuarantineEntry])?](repeating: nil, count: inputs.count))
        let plan = self.plan
        let options = self.options
        DispatchQueue.concurrentPerform(iterations: readers) { _ in
            let ingest = Ingest(plan: plan, options: options)
            var local = IngestState(plan: plan, options: options, shared: shared)
            while true {
                let i = next.withLock { n in
                    defer { n += 1 }
                    return n
                }
                guard i < inputs.count, firstFailure.withLock({ $0.map { $0.index > i } ?? true }) else { break }
                local.reports = []
                local.quarantine = []
                local.quarantineIndex = [:]
                do throws(IngestError) {
                    try ingest.read(inputs[i], index: i, size: sizes[i], into: &local)
                    try local.flushBlock()
                } catch {
                    local.discardBlock()
                    firstFailure.withLock { f in if f.map({ $0.index > i }) ?? true { f = (i, error) } }
                    continue
                }
                let report = local.reports[0]
                options.progress?(.read(input: i, rows: report.rows, quarantined: report.quarantined))
                let quarantine = local.quarantine
                done.withLock { $0[i] = (report, quarantine) }
            }
        }
        if let failure = firstFailure.withLock({ $0 }) {
            options.inputFailed?(failure.index)
            throw failure.error
        }
        state.inputNames = inputs.map(\.displayName)
        for (report, quarantine) in done.withLock({ $0 }).map({ $0! }) {
            state.reports.append(report)
            for entry in quarantine { state.merge(entry) }
        }
    }

    /// Reads one input into the run's state.
    private func read(_ input: InputSpec, index: Int, size: Int?, into state: inout IngestState) throws(IngestError) {
        switch input.format {
        case .csv:
            let reader: CSVReader
            do {
                if let start = state.part?.start {
                    reader = try CSVReader(path: input.path, from: start.offset, line: start.line)
                } else {
                    reader = try CSVReader(path: input.path)
                }
            } catch {
                throw .input(describe(error))
            }
            // The checksum is computed on another core while this one parses (a small
            // file's, at once: a thread would cost more than the hashing). A part of a file
            // leaves it to the whole.
            let checksum = state.part == nil ? BackgroundChecksum(path: input.path, inline: (size ?? Int.max) < 1 << 22) : nil
            // Closed on every way out: a failed read must not keep the file open.
            defer { reader.close() }
            let rows = try state.read(CSVExtract(reader), input: input, index: index)
            let sha: String
            do {
                sha = try checksum?.wait() ?? ""
            } catch {
                throw .input(describe(error))
            }
            state.reports.append(InputReport(
                input: input, sha256: sha, rows: rows.read, quarantined: rows.quarantined, bytes: reader.bytesRead))
        case .sqlite:
            let reader: SQLiteReader
            do {
                reader = try SQLiteReader(path: input.path, table: input.table)
            } catch {
                throw .input(describe(error))
            }
            defer { reader.close() }
            let sha: String
            do {
                sha = try POSIX.sha256(path: input.path)
            } catch {
                throw .input(describe(error))
            }
            let rows = try state.read(SQLiteExtract(reader), input: input, index: index)
            state.reports.append(InputReport(
                input: input, sha256: sha, rows: rows.read, quarantined: rows.quarantined, bytes: reader.fileSize ?? 0))
        }
    }
}

/// SHA-256 of a file, computed on a background thread.
private final class BackgroundChecksum: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<String, CSVError> = .success("")

    init(path: String, inline: Bool) {
        if inline {
            result = Result { () throws(CSVError) -> String in try POSIX.sha256(path: path) }
            done.signal()
            return
        }
        DispatchQueue.global().async {
            self.result = Result { () throws(CSVError) -> String in try POSIX.sha256(path: path) }
            self.done.signal()
        }
    }

    func wait() throws(CSVError) -> String {
        done.wait()
        return try result.get()
    }
}

/// The operations ingest needs from a reader, so that the row loop is specialised per format.
protocol ExtractReader {
    var header: [String] { get }
    var recordLine: Int { get }
    var issue: RowIssue? { get }
    var hasIssue: Bool { get }
    var fieldCount: Int { get }
    var bytesSoFar: Int { get }
    /// Where the current record starts in the input (CSV: a byte offset).
    var recordOffset: Int { get }
    mutating func advance() throws(IngestError) -> Bool
    func field(_ i: Int) -> UnsafeRawBufferPointer
}

struct CSVExtract: ExtractReader {
    let reader: CSVReader
    init(_ reader: CSVReader) { self.reader = reader }
    var header: [String] { reader.header }
    var recordLine: Int { reader.recordLine }
    var issue: RowIssue? { reader.issue }
    var hasIssue: Bool { reader.hasIssue }
    var fieldCount: Int { reader.fieldCount }
    var bytesSoFar: Int { reader.bytesRead }
    var recordOffset: Int { reader.recordOffset }
    mutating func advance() throws(IngestError) -> Bool {
        do { return try reader.next() } catch { throw .input(describe(error)) }
    }
    @inline(__always) func field(_ i: Int) -> UnsafeRawBufferPointer { reader.field(i) }
}

struct SQLiteExtract: ExtractReader {
    let reader: SQLiteReader
    init(_ reader: SQLiteReader) { self.reader = reader }
    var header: [String] { reader.header }
    var recordLine: Int { reader.recordLine }
    var issue: RowIssue? { nil }
    var hasIssue: Bool { false }
    var fieldCount: Int { reader.fieldCount }
    var bytesSoFar: Int { 0 }
    var recordOffset: Int { 0 }
    mutating func advance() throws(IngestError) -> Bool {
        do { return try reader.next() } catch { throw .input(describe(error)) }
    }
    @inline(__always) func field(_ i: Int) -> UnsafeRawBufferPointer { reader.field(i) }
}

/// The state of one ingest run across its inputs.
private struct IngestState {
    let plan: ReleasePlan
    let options: IngestOptions
    let columns: [Column]
    var dictionaries: [CategoryDictionary]
    /// Per column: how many interned codes are declared values (data codes must be below); Int.max when open.
    let declaredCount: [Int]
    let classifier: RowClassifier
    let store: ContributionStore
    /// Reading several inputs at once: the store shared by every reader, and this reader's
    /// block of records not yet moved into it.
    let shared: SharedStore?
    let block: RecordBlock?
    /// Reading an extract grouped by person: people are aggregated as they are read, and
    /// the store stays empty (see ``PersonStream``).
    var stream: PersonStream?
    /// Reading one part of a file cut for several cores (see ``FilePart``).
    var part: FilePart?
    var reports: [InputReport] = []
    var quarantine: [QuarantineEntry] = []
    var quarantineIndex: [String: Int] = [:]
    var inputNames: [String] = []
    /// The size of every input together, for sizing spill partitions.
    var expectedBytes = 0

    init(plan: ReleasePlan, options: IngestOptions, shared: SharedStore? = nil) {
        self.plan = plan
        self.options = options
        self.shared = shared
        block = shared == nil ? nil : RecordBlock()
        let spec = plan.spec
        columns = spec.columns
        var dictionaries = spec.columns.map { _ in CategoryDictionary() }
        var declaredCount = [Int](repeating: Int.max, count: spec.columns.count)
        for (c, values) in spec.declaredValues.enumerated() where !values.isEmpty {
            for v in values { _ = dictionaries[c].intern(v) }
            declaredCount[c] = dictionaries[c].count
        }
        for d in spec.dimensions where !d.isBanded {
            for code in d.dimension.codes { _ = dictionaries[d.column].intern(code) }
        }
        // Filters, one program per distinct expanded expression.
        var columnsByName: [String: (slot: Int, type: ColumnType)] = [:]
        for (i, c) in spec.columns.enumerated() { columnsByName[c.name] = (i, c.type) }
        var programs: [FilterProgram] = [.everyRow]
        var programIndex: [String: Int] = ["*": 0]
        var tables: [TableClassification] = []
        for (c, t) in plan.cohorts.enumerated() {
            var filter = 0
            if let expression = t.filter {
                let key = expression.description
                if let existing = programIndex[key] {
                    filter = existing
                } else {
                    let context = FilterProgram.Context(columns: columnsByName) { slot, code in
                        dictionaries[slot].intern(code)
                    }
                    // The spec was checked: compiling cannot fail here.
                    let program = try! FilterProgram.compile(expression, context: context)
                    filter = programs.count
                    programIndex[key] = filter
                    programs.append(program)
                }
            }
            let mappers = t.dimensions.map { d -> DimensionMapper in
                let dim = spec.dimensions[d]
                // A dimension the cohort is counted by only to link it to others: a value it
                // does not classify goes to the hidden leaf (where there is one).
                let hidden = plan.layout.hiddenLeaf[d]
                let fallback = hidden != nil && !plan.layout.blocks[c].recorded.contains(d) ? Int32(hidden!) : -1
                if dim.isBanded {
                    return DimensionMapper(
                        kind: .bands(lower: dim.bands.map(\.lower), upper: dim.bands.map(\.upper)),
                        slot: dim.column, column: dim.column, dimension: dim.name, fallback: fallback)
                }
                var leafOf = [Int32](repeating: -1, count: dictionaries[dim.column].count)
                for (node, code) in dim.dimension.codes.enumerated() {
                    let id = Int(dictionaries[dim.column].find(code)!)
                    leafOf[id] = dim.dimension.isLeaf(node) ? Int32(node) : -2
                }
                return DimensionMapper(kind: .category(leafOf: leafOf), slot: dim.column, column: dim.column, dimension: dim.name, fallback: fallback)
            }
            tables.append(TableClassification(
                name: t.label, filter: filter, dimensions: mappers, shape: t.shape, sumSlot: t.sumColumn, sumColumn: t.sumColumn))
        }
        self.dictionaries = dictionaries
        self.declaredCount = declaredCount
        classifier = RowClassifier(filters: programs, tables: tables)
        store = shared?.store ?? ContributionStore(budget: options.memoryBudget, temporaryDirectory: options.temporaryDirectory)
    }

    /// Moves this reader's block of records into the shared store.
    func flushBlock() throws(IngestError) {
        guard let shared, let block else { return }
        try shared.take(block)
    }

    /// Forgets this reader's block (its input failed).
    func discardBlock() { block?.buffer.removeAll() }

    /// Adds bad rows of one input read apart to the run's account (inputs in order).
    mutating func merge(_ entry: QuarantineEntry) {
        let key = "\(entry.reason.rawValue)|\(entry.column ?? "")|\(entry.subject ?? "")|\(entry.message)"
        if let i = quarantineIndex[key] {
            quarantine[i].count += entry.count
            quarantine[i].first = Array((quarantine[i].first + entry.first).prefix(5))
        } else {
            quarantineIndex[key] = quarantine.count
            quarantine.append(entry)
        }
    }

    /// Reads one input; returns rows read and rows quarantined.
    mutating func read<R: ExtractReader>(_ source: R, input: InputSpec, index: Int) throws(IngestError) -> (read: Int, quarantined: Int) {
        var reader = source
        let name = input.displayName
        inputNames.append(name)
        // Where each declared column is in this input.
        var fieldOf = [Int](repeating: -1, count: columns.count)
        var missing: [String] = []
        var misspelt: [String] = []
        for (c, column) in columns.enumerated() where c != plan.spec.partnerColumn {
            let matches = reader.header.indices.filter { reader.header[$0] == column.name }
            if matches.count > 1 {
                throw .input("\(name):1:\(matches[1] + 1): the header has column '\(column.name)' \(matches.count) times (fields \(matches.map { String($0 + 1) }.joined(separator: ", "))): expected it once")
            }
            if let m = matches.first {
                fieldOf[c] = m
            } else if let near = reader.header.firstIndex(where: { $0.lowercased().trimmingCharacters(in: .whitespaces) == column.name.lowercased() }) {
                misspelt.append("\(name):1:\(near + 1): expected column '\(column.name)', declared in the spec, found '\(reader.header[near])' (names must match exactly)")
            } else {
                missing.append("'\(column.name)'")
            }
        }
        if !missing.isEmpty || !misspelt.isEmpty {
            // Each problem on its own line: a near miss at its field, the rest where the header ends.
            var lines = misspelt
            if !missing.isEmpty {
                lines.append(
                    "\(name):1:\(reader.header.count + 1): expected \(missing.count == 1 ? "column" : "columns") \(missing.joined(separator: ", ")), declared in the spec, "
                        + "in the header; it has \(reader.header.count) \(reader.header.count == 1 ? "field" : "fields"), none of them named so")
            }
            throw .input(lines.joined(separator: "\n"))
        }
        let bytesBefore = reports.reduce(0) { $0 + $1.bytes }
        let headerCount = reader.header.count
        let slots = UnsafeMutablePointer<Int64>.allocate(capacity: max(columns.count, 1))
        defer { slots.deallocate() }
        let types = columns.map(\.type)
        let privacyUnit = plan.spec.privacyUnit
        var contributions = RowContributions()
        // A batch's partner column: the same value in every row of this input.
        let partnerColumn = plan.spec.partnerColumn ?? -1
        if partnerColumn >= 0 {
            let position = plan.spec.inputs.firstIndex(of: input).map { plan.spec.partnerOfInput[$0] }
            guard let position else { throw .input("\(name): not one of the batch's inputs") }
            slots[partnerColumn] = Int64(dictionaries[partnerColumn].find(plan.spec.declaredValues[partnerColumn][position])!)
        }
        var rows = 0
        var bad = 0
        let expected = expectedBytes
        // Weakly: the store holds this closure, so a strong capture would keep the store,
        // and through `source` the reader, alive for ever (every ingest's memory leaked).
        // (Readers sharing the store: the shared store estimates from every reader's bytes.)
        if shared == nil { store.estimateTotal = { [weak store] in
            guard let store else { return 0 }
            // Record bytes per input byte so far, times all input bytes (SQLite: a guess).
            if source.bytesSoFar == 0 { return store.recordBytes * 4 }
            let seen = max(bytesBefore + source.bytesSoFar, 1)
            return Int(Double(store.recordBytes) / Double(seen) * Double(max(expected, seen)) * 1.2)
        } }
        var bytesTaken = 0

        let progress = options.progress
        let part = self.part
        let identifierField = fieldOf[privacyUnit]
        while try reader.advance() {
            if let part {
                let id = reader.fieldCount > identifierField ? Self.trim(reader.field(identifierField)) : UnsafeRawBufferPointer(start: nil, count: 0)
                switch part.decide(offset: reader.recordOffset, id: id) {
                case .take: break
                case .skip: continue
                case .stop: return (rows, bad)
                }
            }
            rows += 1
            if rows & (IngestProgress.interval - 1) == 0, let progress { progress(.reading(input: index, rows: rows)) }
            // A bad row leaves the loop to be reported (no issue is made or copied for a good one).
            if reader.hasIssue || reader.fieldCount != headerCount {
                bad += 1
                try report(reader.issue ?? .fieldCount(expected: headerCount, found: reader.fieldCount), input: name, line: reader.recordLine, fieldOf: fieldOf)
                continue
            }
            var identifier = UnsafeRawBufferPointer(start: nil, count: 0)
            var failed = -1
            var failure = RowIssueKind.emptyIdentifier
            for c in 0..<types.count where c != partnerColumn {
                let field = Self.trim(reader.field(fieldOf[c]))
                switch types[c] {
                case .identifier:
                    slots[c] = RowSlot.missing
                    if c == privacyUnit {
                        if field.isEmpty {
                            failure = .emptyIdentifier
                            failed = c
                        } else if field.count > ContributionRecord.maximumIdentifierLength {
                            failure = .identifierTooLong
                            failed = c
                        }
                        identifier = field
                    }
                case .category:
                    if field.isEmpty {
                        slots[c] = RowSlot.missing
                    } else if let id = dictionaries[c].intern(field) {
                        slots[c] = id
                        if id >= declaredCount[c] {
                            failure = .undeclaredValue
                            failed = c
                        }
                    } else {
                        failure = .tooManyCategories
                        failed = c
                    }
                case .integer, .decimal:
                    if field.isEmpty {
                        slots[c] = RowSlot.missing
                    } else if let v = ScaledDecimal.parse(field, places: types[c].scale) {
                        slots[c] = v
                    } else {
                        failure = types[c].scale == 0 ? .notWholeNumber : .notDecimal
                        failed = c
                    }
                }
                if failed >= 0 { break }
            }
            if failed >= 0 {
                bad += 1
                try report(Self.issue(failure, column: failed, types: types, dictionaryLimit: dictionaries[failed].limit), input: name, line: reader.recordLine, fieldOf: fieldOf)
                continue
            }
            if !classifier.classify(UnsafePointer(slots), into: &contributions) || !addRecordKey(slots, types: types, to: &contributions) {
                bad += 1
                try report(contributions.issue!, input: name, line: reader.recordLine, fieldOf: fieldOf)
                continue
            }
            if contributions.count > 0 {
                let origin = RowOrigin(input: index, line: reader.recordLine)
                if let stream {
                    // Out of order: stop here; the input is read again through the store.
                    guard stream.add(identifier: identifier, origin: origin, contributions: contributions) else { break }
                } else if let block {
                    ContributionRecord.append(to: &block.buffer, identifier: identifier, origin: origin, contributions: contributions)
                    if block.buffer.count >= Ingest.blockBytes {
                        shared!.read(reader.bytesSoFar - bytesTaken)
                        bytesTaken = reader.bytesSoFar
                        try shared!.take(block)
                    }
                } else {
                    try store.append(identifier: identifier, origin: origin, contributions: contributions)
                }
            }
        }
        shared?.read(reader.bytesSoFar - bytesTaken)
        part?.finish()
        return (rows, bad)
    }

    /// The issue of a bad value in column `c`.
    @inline(never)
    static func issue(_ kind: RowIssueKind, column c: Int, types: [ColumnType], dictionaryLimit: Int) -> RowIssue {
        switch kind {
        case .identifierTooLong: return RowIssue(kind, column: c, expected: ContributionRecord.maximumIdentifierLength)
        case .tooManyCategories: return RowIssue(kind, column: c, expected: dictionaryLimit)
        case .notDecimal: return RowIssue(kind, column: c, expected: types[c].scale)
        default: return RowIssue(kind, column: c)
        }
    }

    /// For the cell key method with keys from a column: adds the row's record key to its
    /// contributions; `false` (with the issue in `contributions`) when the key is bad.
    @inline(__always)
    func addRecordKey(_ slots: UnsafeMutablePointer<Int64>, types: [ColumnType], to contributions: inout RowContributions) -> Bool {
        guard let k = options.recordKeyColumn, contributions.count > 0 else { return true }
        guard let key = Self.recordKey(slots[k], places: types[k].scale) else {
            contributions.issue = RowIssue(.badRecordKey, column: k, expected: types[k].scale)
            return false
        }
        contributions.tables.append(RowContributions.recordKey)
        contributions.cells.append(key)
        return true
    }

    /// A record key as 32 bits of a fraction of 1: a decimal in [0, 1) held in units of
    /// 10^-places, scaled by 2^32 and rounded down (the sum of keys modulo 1 is then the
    /// sum of these modulo 2^32, to 2^-32); a whole number below 2^32 as it is.
    static func recordKey(_ value: Int64, places: Int) -> UInt32? {
        guard value != RowSlot.missing, value >= 0 else { return nil }
        guard places > 0 else { return value <= Int64(UInt32.max) ? UInt32(value) : nil }
        let unit = UInt64(ScaledDecimal.unit(places))
        guard UInt64(value) < unit else { return nil }
        let (high, low) = UInt64(value).multipliedFullWidth(by: 1 << 32)
        return UInt32(unit.dividingFullWidth((high, low)).quotient)
    }

    @inline(__always)
    static func trim(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lo = 0
        var hi = field.count
        while lo < hi && (field[lo] == 0x20 || field[lo] == 0x09) { lo += 1 }
        while hi > lo && (field[hi - 1] == 0x20 || field[hi - 1] == 0x09) { hi -= 1 }
        if lo == 0 && hi == field.count { return field }
        return UnsafeRawBufferPointer(rebasing: field[lo..<hi])
    }

    /// Stops the run, or counts the row as quarantined.
    mutating func report(_ issue: RowIssue, input: String, line: Int, fieldOf: [Int]) throws(IngestError) {
        let columnName = issue.column.map { columns[$0].name }
        let message = issue.message(columnName: columnName)
        let field = issue.field ?? issue.column.map { fieldOf[$0] + 1 }
        let location = "\(input):\(line)" + (field.map { ":\($0)" } ?? "")
        if options.onError == .stop { throw .row(location: location, message: message) }
        let key = "\(issue.kind.rawValue)|\(columnName ?? "")|\(issue.subject ?? "")|\(issue.expected)|\(issue.kind == .malformedQuoting ? issue.found : 0)"
        if let i = quarantineIndex[key] {
            quarantine[i].count += 1
            if quarantine[i].first.count < 5 { quarantine[i].first.append(location) }
        } else {
            quarantineIndex[key] = quarantine.count
            quarantine.append(QuarantineEntry(
                reason: issue.kind, column: columnName, subject: issue.subject,
                message: issue.kind == .fieldCount ? "wrong number of fields: expected \(issue.expected), as the header has" : message, count: 1,
                first: [location]))
        }
    }

    /// A grouper for the plan's tables.
    func makeGrouper() -> ContributionGrouper {
        let planned = plan.cohorts
        let topCount = plan.spec.protection.primary.topCount
        let policy = plan.spec.conflicts
        let layout = plan.layout
        let grouped = planned.enumerated().map { c, cohort in
            GroupedTable(
                shape: cohort.shape, measure: cohort.measure, component: plan.component[c], dimensions: cohort.dimensions,
                decides: cohort.dimensions.map { cohort.publishedDimensions.contains($0) },
                clamp: cohort.sumColumn.flatMap { plan.spec.protection.noise?.clamps[$0] })
        }
        let hidden = layout.hiddenLeaf.map { $0.map(Int32.init) ?? -1 }
        return ContributionGrouper(
            tables: grouped, hiddenLeaf: hidden, topCount: topCount, policy: policy, recordKey: options.recordKey,
            keysInRecords: options.recordKeyColumn != nil)
    }

    /// Groups what was read by person (unless the stream did as it read) and finishes the tables.
    mutating func finish(inputs: [InputSpec]) throws(IngestError) -> IngestResult {
        let grouper: ContributionGrouper
        if let stream {
            stream.flush()
            options.beforeGrouping?(nil)
            grouper = stream.grouper
        } else {
            try store.spillPending()
            options.beforeGrouping?(store.spillDescriptor)
            let empty = makeGrouper()
            grouper = try store.group(workers: options.workers) { empty }
        }
        return try finish(grouper: grouper)
    }

    /// The tables and account of a run from its people grouped.
    func finish(grouper: ContributionGrouper) throws(IngestError) -> IngestResult {
        let keysInRecords = options.recordKeyColumn != nil
        func origin(_ o: RowOrigin) -> String { "\(inputNames[o.input]):\(o.line)" }
        var conflicts: [ConflictReport] = []
        for (k, count) in grouper.conflictCounts.enumerated() where count > 0 {
            let sample = grouper.conflictSample.filter { $0.table == k }.map { "\(origin($0.first)) and \(origin($0.second))" }
            if options.onError == .stop {
                throw .conflict(
                    "\(plan.describe(component: k)): the rows of one person fall in different cells (\(sample.first ?? "")); "
                        + "fix the data, or set 'conflicts: first' or 'conflicts: last' in the spec to let one row decide")
            }
            conflicts.append(ConflictReport(table: plan.describe(component: k), people: count, first: Array(sample.prefix(5))))
        }
        var tables: [AggregatedTable] = []
        for (t, accumulator) in grouper.accumulators.enumerated() {
            do {
                tables.append(try accumulator.finish())
            } catch {
                throw .overflow("\(plan.describe(cohort: t)): a sum is too large for 64-bit arithmetic")
            }
        }
        return IngestResult(
            cohorts: tables, inputs: reports, quarantine: quarantine, conflicts: conflicts, people: grouper.people, spilled: store.spilled,
            clamped: grouper.clamped,
            cellKeys: options.recordKey == nil && !keysInRecords ? [] : zip(grouper.cellKeys, tables).map { ContributionGrouper.cellKeys(inner: $0, shape: $1.shape) },
            differingRecordKeys: grouper.differingRecordKeys)
    }
}
