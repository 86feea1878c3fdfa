/// Why a row (or a person) cannot be used. Reports name the column, dimension or
/// table concerned and the row's location, never the value itself.
public enum RowIssueKind: String, Sendable, Hashable, CaseIterable {
    case fieldCount = "field-count"
    case malformedQuoting = "malformed-quoting"
    case unclosedQuote = "unclosed-quote"
    case notWholeNumber = "not-a-whole-number"
    case notDecimal = "not-a-number"
    case emptyIdentifier = "empty-identifier"
    case identifierTooLong = "identifier-too-long"
    case undeclaredValue = "undeclared-value"
    case unknownCategory = "unknown-category"
    case groupCategory = "group-category"
    case outsideBands = "outside-bands"
    case missingDimensionValue = "missing-dimension-value"
    case missingSumValue = "missing-sum-value"
    case negativeSumValue = "negative-sum-value"
    case tooManyCategories = "too-many-categories"
    case conflictingCells = "conflicting-cells"
    case badRecordKey = "bad-record-key"
}

/// One problem with one row, located by the reader that found it.
public struct RowIssue: Error, Sendable, Hashable {
    public var kind: RowIssueKind
    /// The declared column concerned (index into the spec's columns), if any.
    public var column: Int?
    /// Where the reader found the problem, for problems of the record itself (quoting, the
    /// number of fields): the field's position in the record, 1-based.
    public var field: Int?
    /// The dimension or table concerned, if any.
    public var subject: String?
    /// Numbers that complete the message (expected and found field counts, decimal places).
    public var expected: Int
    public var found: Int

    public init(_ kind: RowIssueKind, column: Int? = nil, field: Int? = nil, subject: String? = nil, expected: Int = 0, found: Int = 0) {
        self.kind = kind
        self.column = column
        self.field = field
        self.subject = subject
        self.expected = expected
        self.found = found
    }

    /// A record with `found` fields where the header has `expected`, located at the first
    /// field missing or the first one too many.
    public static func fieldCount(expected: Int, found: Int) -> RowIssue {
        RowIssue(.fieldCount, field: min(found, expected) + 1, expected: expected, found: found)
    }

    /// What went wrong, naming the column (by name) and never the value.
    public func message(columnName: String?) -> String {
        let col = columnName.map { "column '\($0)': " } ?? ""
        let subject = self.subject ?? ""
        switch kind {
        case .fieldCount: return "expected \(expected) fields, as the header has, found \(found)"
        case .malformedQuoting:
            return found == 1
                ? "a quote inside an unquoted field: expected the whole field in quotes, with the quote doubled"
                : "text after the closing quote of a quoted field: expected a comma or the end of the line"
        case .unclosedQuote:
            return "a quote opens this field and nothing closes it: expected a closing quote before the end of the line (the line is left out and reading goes on with the next)"
        case .notWholeNumber: return col + "expected a whole number"
        case .notDecimal: return col + "expected a number with at most \(expected) decimal places"
        case .emptyIdentifier: return col + "the identifier is empty"
        case .identifierTooLong: return col + "the identifier is longer than \(expected) bytes"
        case .undeclaredValue: return col + "the value is not one of the column's declared values"
        case .unknownCategory: return col + "the value is not a category of dimension '\(subject)'"
        case .groupCategory: return col + "the value is a group or total of dimension '\(subject)', not one of its categories"
        case .outsideBands: return col + "the value is outside every band of dimension '\(subject)'"
        case .missingDimensionValue: return col + "missing value, needed by dimension '\(subject)'"
        case .missingSumValue: return col + "missing value, summed by table '\(subject)'"
        case .negativeSumValue: return col + "negative value, summed by table '\(subject)' (magnitude tables need non-negative contributions)"
        case .tooManyCategories: return col + "more than \(expected) distinct codes: is this really a category column?"
        case .conflictingCells: return "table '\(subject)': the rows of one person fall in different cells (see conflicts in the spec)"
        case .badRecordKey:
            return col + (expected == 0
                ? "expected a record key, a whole number from 0 to 4294967295"
                : "expected a record key, a number from 0 up to (not including) 1")
        }
    }
}
