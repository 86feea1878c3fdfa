/// Text built in memory and written once: CSV rows with RFC 4180 quoting.
struct CSVText {
    private(set) var bytes: [UInt8] = []

    init(reserving capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    /// Appends one row; fields with a comma, quote or line break are quoted.
    mutating func row(_ fields: [String]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            append(field)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    mutating func append(_ field: String) {
        let utf8 = field.utf8
        if utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            bytes.append(0x22)
            for b in utf8 {
                if b == 0x22 { bytes.append(0x22) }
                bytes.append(b)
            }
            bytes.append(0x22)
        } else {
            bytes.append(contentsOf: utf8)
        }
    }
}

/// A JSON document built in memory, with indentation, from values appended in order.
struct JSONText {
    private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]
    private var depth: Int { needsComma.count - 1 }

    init(reserving capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        if depth > 0 {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
    }

    private mutating func key(_ k: String?) {
        separator()
        if let k {
            string(k)
            bytes.append(contentsOf: ": ".utf8)
        }
    }

    private mutating func string(_ s: String) {
        bytes.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(contentsOf: "\\\"".utf8)
            case 0x5C: bytes.append(contentsOf: "\\\\".utf8)
            case 0x0A: bytes.append(contentsOf: "\\n".utf8)
            case 0x0D: bytes.append(contentsOf: "\\r".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    /// Opens an object (as a member `k` of the enclosing object, or an array element when nil).
    mutating func object(_ k: String? = nil) {
        key(k)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    mutating func array(_ k: String? = nil) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    mutating func close(_ bracket: Character) {
        let hadContent = needsComma.removeLast()
        if hadContent {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        bytes.append(contentsOf: String(bracket).utf8)
    }

    mutating func endObject() { close("}") }
    mutating func endArray() { close("]") }

    mutating func value(_ k: String? = nil, _ s: String?) {
        key(k)
        if let s { string(s) } else { bytes.append(contentsOf: "null".utf8) }
    }

    mutating func value(_ k: String? = nil, _ n: Int) {
        key(k)
        bytes.append(contentsOf: String(n).utf8)
    }

    mutating func value(_ k: String? = nil, _ b: Bool) {
        key(k)
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
    }

    /// A number written exactly as given (already valid JSON number text), or null.
    mutating func number(_ k: String? = nil, _ text: String?) {
        key(k)
        bytes.append(contentsOf: (text ?? "null").utf8)
    }

    mutating func strings(_ k: String? = nil, _ list: [String]) {
        array(k)
        for s in list { value(nil, s) }
        endArray()
    }

    /// The document, ended with a newline.
    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
