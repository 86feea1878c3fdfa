/// A perturbation table for the cell key method (ONS Census 2021, tau-ARGUS, cellKey): for
/// each count, the perturbations it may receive and which cell keys give each.
///
/// Every person has a permanent record key, a uniform 32-bit number; a cell's key is the sum
/// of its people's record keys modulo 2^32, read as a fraction of 2^32. The row of the cell's
/// count splits [0, 1) into intervals, one per perturbation, as wide as its probability: the
/// cell gets the perturbation whose interval holds its key. The same people always have the
/// same key, so a cell gets the same perturbation in every table and every release, and
/// asking again cannot average it away.
///
/// Counts beyond the last row take the last row's perturbations (as tau-ARGUS does).
public struct PerturbationTable: Sendable, Hashable {
    /// One count's perturbations: each with the exclusive upper end of its interval of cell
    /// keys, in units of 2^-32 (the last end is 2^32).
    public struct Row: Sendable, Hashable {
        public var perturbations: [Int64]
        public var upperEnds: [UInt64]

        public init(perturbations: [Int64], upperEnds: [UInt64]) {
            precondition(perturbations.count == upperEnds.count && upperEnds.last == 1 << 32, "intervals covering [0, 1)")
            precondition(zip(upperEnds, upperEnds.dropFirst()).allSatisfy { $0 <= $1 }, "intervals in order")
            self.perturbations = perturbations
            self.upperEnds = upperEnds
        }
    }

    /// Per count from 0, its row.
    public let rows: [Row]

    public init(rows: [Row]) {
        precondition(!rows.isEmpty, "at least the row of count 0")
        self.rows = rows
    }

    /// A table from each count's perturbations and their exact probabilities (each row's
    /// adding up to 1): each interval's end is its cumulative probability times 2^32, rounded
    /// down.
    public init(probabilities: [[(perturbation: Int64, probability: Rational)]]) {
        self.init(rows: probabilities.map { row in
            var cumulative = Rational.zero
            var ends: [UInt64] = []
            for entry in row {
                cumulative = cumulative + entry.probability
                ends.append(UInt64((cumulative * Rational(Int64(1) << 32)).floor!))
            }
            precondition(cumulative == 1, "a row's probabilities add up to 1")
            return Row(perturbations: row.map(\.perturbation), upperEnds: ends)
        })
    }

    /// The perturbation of a cell with this true count and cell key.
    @inlinable
    public func perturbation(count: Int64, cellKey: UInt32) -> Int64 {
        let row = rows[Int(min(max(count, 0), Int64(rows.count - 1)))]
        let key = UInt64(cellKey)
        for (k, end) in row.upperEnds.enumerated() where key < end { return row.perturbations[k] }
        return row.perturbations[row.perturbations.count - 1]
    }

    /// The largest perturbation in magnitude: no published figure is further from its true
    /// value (whatever the count, so that stating it tells nothing of any count).
    public var largestPerturbation: Int64 {
        rows.flatMap(\.perturbations).map { $0.magnitude }.max().map { Int64($0) } ?? 0
    }

    /// The built-in table. Counts of 0 stay 0; no count of 1 or 2 is ever published (1 and 2
    /// become 0 or at least 3, and so does every count that could otherwise land there);
    /// every row is unbiased (its perturbations average 0); from 5 up, a perturbation of -2
    /// to +2 with probabilities 5%, 20%, 50%, 20%, 5% (variance 0.8). No perturbation exceeds
    /// 4 in magnitude.
    public static let standard = PerturbationTable(probabilities: [
        [(0, 1)],
        [(-1, Rational(2, 3)), (2, Rational(1, 3))],
        [(-2, Rational(2, 5)), (1, Rational(2, 5)), (2, Rational(1, 5))],
        [(-3, Rational(1, 10)), (0, Rational(7, 10)), (1, Rational(1, 10)), (2, Rational(1, 10))],
        [(-4, Rational(1, 20)), (-1, Rational(1, 5)), (0, Rational(9, 20)), (1, Rational(1, 5)), (2, Rational(1, 10))],
        [(-2, Rational(1, 20)), (-1, Rational(1, 5)), (0, Rational(1, 2)), (1, Rational(1, 5)), (2, Rational(1, 20))],
    ])
}
