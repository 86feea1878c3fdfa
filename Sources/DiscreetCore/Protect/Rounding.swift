/// How a rounded table's margins are made.
public enum RoundedMargins: String, Sendable, Hashable, CaseIterable {
    /// Each margin rounded from its own true value: every figure is as close as it can be,
    /// but margins need not equal the sum of their rounded children.
    case rounded
    /// Each margin the sum of its rounded inner cells: additive, but a margin can move by
    /// up to (number of children) × base / 2.
    case recomputed
}

/// Rounding of count tables to a base, cell by cell.
///
/// What an attacker learns from a rounded figure R (domain.md section 5): with conventional
/// rounding the true value lies in [R − ⌊b/2⌋, R + ⌈b/2⌉ − 1] (halves round up), with random
/// or controlled rounding in [R − b + 1, R + b − 1]; never below 0.
public enum Rounding {
    /// The nearest multiple of `base`, halves rounding up.
    @inlinable
    public static func nearest(_ x: Int64, base: Int64) -> Int64 {
        precondition(base > 0 && x >= 0)
        let r = x % base
        return 2 * r >= base ? x - r + base : x - r
    }

    /// Conventional rounding of a whole table (values per cell, margins included).
    public static func conventional(_ values: [Int64], shape: TableShape, base: Int64, margins: RoundedMargins) -> [Int64] {
        precondition(values.count == shape.cellCount)
        switch margins {
        case .rounded:
            return values.map { nearest($0, base: base) }
        case .recomputed:
            var result = [Int64](repeating: 0, count: shape.cellCount)
            for cell in shape.innerToFull() { result[cell] = nearest(values[cell], base: base) }
            shape.rollUp { result[$0] += result[$1] }
            return result
        }
    }

    /// Unbiased random rounding of one value: up to the next multiple of `base` with
    /// probability (x mod b) / b, else down; multiples of the base stay. The draw is an
    /// exactly uniform integer in [0, b), so the expected result is exactly x.
    @inlinable
    public static func random<G: RandomNumberGenerator>(_ x: Int64, base: Int64, using generator: inout G) -> Int64 {
        precondition(base > 0 && x >= 0)
        let r = x % base
        if r == 0 { return x }
        return Int64.random(in: 0..<base, using: &generator) < r ? x - r + base : x - r
    }

    /// Random rounding of a whole table: inner cells each rounded on its own, margins as
    /// the chosen option says (a rounded margin is drawn independently of its children).
    public static func random<G: RandomNumberGenerator>(
        _ values: [Int64], shape: TableShape, base: Int64, margins: RoundedMargins, using generator: inout G
    ) -> [Int64] {
        precondition(values.count == shape.cellCount)
        switch margins {
        case .rounded:
            return values.map { random($0, base: base, using: &generator) }
        case .recomputed:
            var result = [Int64](repeating: 0, count: shape.cellCount)
            for cell in shape.innerToFull() { result[cell] = random(values[cell], base: base, using: &generator) }
            shape.rollUp { result[$0] += result[$1] }
            return result
        }
    }
}
