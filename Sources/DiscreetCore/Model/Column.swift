/// The type of an input column, as declared in the release spec.
public enum ColumnType: Sendable, Equatable, CustomStringConvertible {
    /// The privacy unit (a person identifier). Compared byte for byte; never printed.
    case identifier
    /// A category code (ward, sex, outcome). Compared byte for byte.
    case category
    /// A whole number.
    case integer
    /// A decimal number with at most `places` digits after the point, held exactly
    /// as an integer count of 10^-places units.
    case decimal(places: Int)

    /// The number of decimal places values of this type are held with (0 for whole numbers).
    public var scale: Int {
        if case .decimal(let places) = self { return places }
        return 0
    }

    /// Whether values of this type are numbers.
    public var isNumeric: Bool {
        switch self {
        case .integer, .decimal: return true
        case .identifier, .category: return false
        }
    }

    public var description: String {
        switch self {
        case .identifier: return "identifier"
        case .category: return "category"
        case .integer: return "integer"
        case .decimal(let places): return "decimal(\(places))"
        }
    }
}

/// A declared input column.
public struct Column: Sendable, Equatable {
    public var name: String
    public var type: ColumnType

    public init(name: String, type: ColumnType) {
        self.name = name
        self.type = type
    }
}

/// The typed values of one input row, one 64-bit slot per declared column: a number
/// scaled to its column's decimal places, or a category's interned code. Identifiers
/// are not held in slots.
public enum RowSlot {
    /// The slot value of an empty field.
    public static let missing = Int64.min
}

/// Exact decimal arithmetic on integers scaled by a power of ten.
public enum ScaledDecimal {
    /// 10^places, for 0 ≤ places ≤ 18.
    @inlinable
    public static func unit(_ places: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<places { result *= 10 }
        return result
    }

    /// The text of `value / 10^places`, with exactly `places` digits after the point.
    public static func format(_ value: Int64, places: Int) -> String {
        guard places > 0 else { return String(value) }
        let negative = value < 0
        let magnitude = value.magnitude
        let unit = UInt64(Self.unit(places))
        let whole = magnitude / unit
        var fraction = String(magnitude % unit)
        if fraction.count < places { fraction = String(repeating: "0", count: places - fraction.count) + fraction }
        return (negative ? "-" : "") + String(whole) + "." + fraction
    }

    /// Parses `[-+]digits[.digits]` from raw bytes into a value scaled by 10^places, exactly.
    /// Returns `nil` for anything else, for more fraction digits than `places`, or on overflow.
    @inlinable
    public static func parse(_ text: UnsafeRawBufferPointer, places: Int) -> Int64? {
        var i = 0
        let n = text.count
        guard n > 0 else { return nil }
        var negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        var value: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        while i < n {
            let c = text[i]
            if c &- 48 < 10 {
                if seenPoint {
                    fractionDigits += 1
                    if fractionDigits > places { return nil }
                }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(c &- 48))
                if o1 || o2 { return nil }
                value = a
                digits += 1
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        while fractionDigits < places {
            let (m, o) = value.multipliedReportingOverflow(by: 10)
            if o { return nil }
            value = m
            fractionDigits += 1
        }
        return negative ? -value : value
    }

    /// Parses `[-+]digits[.digits]` into a value scaled by 10^places, exactly.
    /// Returns `nil` for anything else, for more fraction digits than `places`, or on overflow.
    public static func parse<S: Collection>(_ text: S, places: Int) -> Int64? where S.Element == UInt8 {
        Array(text).withUnsafeBytes { parse($0, places: places) }
    }
}
