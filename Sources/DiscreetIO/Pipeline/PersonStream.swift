import DiscreetCore

/// Aggregates an extract whose rows come grouped by person, as it is read: a person's
/// records are kept until the identifier changes, then given to the grouper, so nothing is
/// stored, sorted, hashed or spilled and memory does not grow with the rows.
///
/// Grouped rows cannot be told from scattered ones by looking at one row, so the stream
/// asks for more: identifiers in increasing order, byte by byte (what `ORDER BY` on a text
/// column gives) or shortest first, then byte by byte (what sorted whole numbers give).
/// Either order proves that no person comes back after another. The first identifier
/// that is out of both orders breaks the stream (``broken``): the input is then read again
/// through the store, which groups people whatever their order.
final class PersonStream {
    // Touched for every row: one thread owns a stream, so the runtime's checks of exclusive
    // access are left out.
    @exclusivity(unchecked) private(set) var grouper: ContributionGrouper
    /// The current person's identifier and records.
    @exclusivity(unchecked) private var identifier = ByteBuffer(capacity: 256)
    @exclusivity(unchecked) private var records = ByteBuffer(capacity: 1 << 12)
    /// The first person's identifier, to check the order where two streams meet.
    private(set) var firstIdentifier: [UInt8]?
    @exclusivity(unchecked) private var inByteOrder = true
    @exclusivity(unchecked) private var inLengthOrder = true
    /// Whether an identifier came out of order (nothing more is taken).
    private(set) var broken = false

    init(grouper: ContributionGrouper) {
        self.grouper = grouper
    }

    /// Takes one row's contributions; `false` (and ``broken``) when its person is out of order.
    @inline(__always)
    func add(identifier id: UnsafeRawBufferPointer, origin: RowOrigin, contributions: RowContributions) -> Bool {
        if firstIdentifier == nil {
            firstIdentifier = Array(id)
            identifier.append(id)
        } else if !(id.count == identifier.count && memcmpBytes(id.baseAddress!, identifier.base, id.count)) {
            let order = Self.order(identifier.bytes, id)
            inByteOrder = inByteOrder && order.byBytes
            inLengthOrder = inLengthOrder && order.byLength
            guard inByteOrder || inLengthOrder else {
                broken = true
                return false
            }
            flush()
            identifier.removeAll()
            identifier.append(id)
        }
        ContributionRecord.append(to: &records, identifier: id, origin: origin, contributions: contributions)
        return true
    }

    /// Gives the current person to the grouper.
    func flush() {
        guard records.count > 0 else { return }
        grouper.addPerson(records: records.bytes)
        records.removeAll()
    }

    /// Whether `b` comes after `a` (two different identifiers) byte by byte, and shortest
    /// first then byte by byte.
    static func order(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> (byBytes: Bool, byLength: Bool) {
        let n = min(a.count, b.count)
        var i = 0
        while i < n && a[i] == b[i] { i += 1 }
        let byBytes = i < n ? a[i] < b[i] : a.count < b.count
        let byLength = a.count != b.count ? a.count < b.count : byBytes
        return (byBytes, byLength)
    }

    /// Whether there was anyone (a part may hold only rows outside every cohort).
    var isEmpty: Bool { firstIdentifier == nil }

    /// Whether every identifier of `later` (a stream over the rows after this one's) comes
    /// after this one's, in an order both kept.
    func precedes(_ later: PersonStream) -> Bool {
        guard let first = later.firstIdentifier else { return true }
        guard firstIdentifier != nil else { return true }
        let order = first.withUnsafeBytes { Self.order(identifier.bytes, $0) }
        return (inByteOrder && later.inByteOrder && order.byBytes) || (inLengthOrder && later.inLengthOrder && order.byLength)
    }
}
