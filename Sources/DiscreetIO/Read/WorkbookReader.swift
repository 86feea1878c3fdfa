import CZlib
import Foundation

/// Reads the first sheet of an Office Open XML workbook (`.xlsx`) as rows of text: our own
/// small reader of the parts it needs (the ZIP archive's central directory, its stored or
/// deflated entries through zlib, the workbook's first sheet, the shared strings, and each
/// cell's value), so that a partner's spreadsheet is read as it was saved, with no other
/// library. A cell's text is its shared or inline string, or its value as stored (numbers
/// as the sheet holds them: `12`, `85.7`); formulas give their cached value. Empty cells
/// are empty fields; each row has as many fields as its last cell's column.
public enum WorkbookReader {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The rows of the workbook's first sheet: per row, its number in the sheet and its
    /// fields (column A first).
    public static func firstSheet(path: String) throws(Failure) -> [(row: Int, fields: [String])] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): cannot be read") }
        let archive = try Archive(bytes: [UInt8](data), path: path)
        let workbook = try archive.text("xl/workbook.xml")
        guard let sheet = XMLScan.elements(named: "sheet", in: workbook).first, let id = sheet.attributes["r:id"] ?? sheet.attributes["id"] else {
            throw Failure(description: "\(path): the workbook has no sheet")
        }
        var target = "xl/worksheets/sheet1.xml"
        if let relations = try? archive.text("xl/_rels/workbook.xml.rels"),
            let relation = XMLScan.elements(named: "Relationship", in: relations).first(where: { $0.attributes["Id"] == id }),
            let t = relation.attributes["Target"]
        {
            target = t.hasPrefix("/") ? String(t.dropFirst()) : "xl/" + t
        }
        let shared = (try? archive.text("xl/sharedStrings.xml")).map { text in
            XMLScan.elements(named: "si", in: text).map { si in XMLScan.elements(named: "t", in: si.inner).map(\.text).joined() }
        } ?? []
        var rows: [(row: Int, fields: [String])] = []
        for row in XMLScan.elements(named: "row", in: try archive.text(target)) {
            var fields: [String] = []
            var next = 0
            for cell in XMLScan.elements(named: "c", in: row.inner) {
                let column = cell.attributes["r"].flatMap(columnIndex) ?? next
                guard column >= next, column < 16_384 else { throw Failure(description: "\(path): sheet row \(row.attributes["r"] ?? "?"): cells out of order") }
                while fields.count < column { fields.append("") }
                let value = XMLScan.elements(named: "v", in: cell.inner).first?.text ?? ""
                switch cell.attributes["t"] {
                case "s":
                    guard let k = Int(value), shared.indices.contains(k) else { throw Failure(description: "\(path): sheet row \(row.attributes["r"] ?? "?"): a shared string that is not in the workbook") }
                    fields.append(shared[k])
                case "inlineStr": fields.append(XMLScan.elements(named: "t", in: cell.inner).map(\.text).joined())
                default: fields.append(value)
                }
                next = column + 1
            }
            rows.append((Int(row.attributes["r"] ?? "") ?? rows.count + 1, fields))
        }
        return rows
    }

    /// The column of a cell reference (`B7` → 1).
    static func columnIndex(_ reference: String) -> Int? {
        var n = 0
        var letters = 0
        for c in reference.unicodeScalars {
            guard c.value >= 65 && c.value <= 90 else { break }
            n = n * 26 + Int(c.value - 64)
            letters += 1
        }
        return letters > 0 && letters <= 3 ? n - 1 : nil
    }

    /// A ZIP archive's entries, found through its central directory.
    struct Archive {
        let bytes: [UInt8]
        let path: String
        var entries: [String: (offset: Int, method: Int, compressed: Int, size: Int)] = [:]

        init(bytes: [UInt8], path: String) throws(Failure) {
            self.bytes = bytes
            self.path = path
            // The end of central directory record: its signature within the last 64 KiB + 22.
            guard bytes.count >= 22, let end = stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1).first(where: { u32($0) == 0x0605_4B50 })
            else { throw Failure(description: "\(path): not an .xlsx workbook (no ZIP directory)") }
            let count = u16(end + 10)
            var p = u32(end + 16)
            for _ in 0..<count {
                guard p + 46 <= bytes.count, u32(p) == 0x0201_4B50 else { throw Failure(description: "\(path): a damaged ZIP directory") }
                let nameLength = u16(p + 28)
                let extra = u16(p + 30)
                let comment = u16(p + 32)
                guard p + 46 + nameLength <= bytes.count else { throw Failure(description: "\(path): a damaged ZIP directory") }
                let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
                entries[name] = (u32(p + 42), u16(p + 10), u32(p + 20), u32(p + 24))
                p += 46 + nameLength + extra + comment
            }
        }

        func u16(_ i: Int) -> Int { i + 2 <= bytes.count ? Int(bytes[i]) | Int(bytes[i + 1]) << 8 : 0 }
        func u32(_ i: Int) -> Int { i + 4 <= bytes.count ? u16(i) | u16(i + 2) << 16 : 0 }

        /// An entry's text (UTF-8).
        func text(_ name: String) throws(Failure) -> String {
            guard let entry = entries[name] else { throw Failure(description: "\(path): the workbook has no \(name)") }
            let local = entry.offset
            guard u32(local) == 0x0403_4B50 else { throw Failure(description: "\(path): a damaged entry \(name)") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + entry.compressed <= bytes.count, entry.size <= 1 << 26 else { throw Failure(description: "\(path): a damaged entry \(name)") }
            let raw = bytes[start..<(start + entry.compressed)]
            switch entry.method {
            case 0: return String(decoding: raw, as: UTF8.self)
            case 8: return String(decoding: try inflate(Array(raw), size: entry.size, name: name), as: UTF8.self)
            default: throw Failure(description: "\(path): \(name) is compressed in a way .xlsx files are not (method \(entry.method))")
            }
        }

        func inflate(_ input: [UInt8], size: Int, name: String) throws(Failure) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: max(size, 1))
            var stream = z_stream()
            guard discreet_inflate_init_raw(&stream) == Z_OK else { throw Failure(description: "\(path): cannot decompress \(name)") }
            defer { inflateEnd(&stream) }
            var input = input
            let status = input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = inBuffer.baseAddress
                    stream.avail_in = uInt(inBuffer.count)
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    return CZlib.inflate(&stream, Z_FINISH)
                }
            }
            guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw Failure(description: "\(path): \(name) does not decompress to its stated size") }
            return Array(output.prefix(size))
        }
    }
}

/// Just enough XML for a workbook's parts: the elements of one name, in order, each with
/// its attributes, its inner markup and its text (entities decoded). Names are matched with
/// or without a namespace prefix (`x:row` is `row`).
enum XMLScan {
    struct Element {
        var attributes: [String: String]
        var inner: Substring
        var text: String { XMLScan.decode(XMLScan.stripTags(inner)) }
    }

    static func elements(named name: String, in xml: some StringProtocol) -> [Element] {
        let xml = Substring(xml)
        var result: [Element] = []
        var i = xml.startIndex
        while let open = xml[i...].firstIndex(of: "<") {
            guard let close = xml[open...].firstIndex(of: ">") else { break }
            let tag = xml[xml.index(after: open)..<close]
            i = xml.index(after: close)
            guard let first = tag.first, first != "/" && first != "?" && first != "!" else { continue }
            let tagName = tag.prefix { !$0.isWhitespace && $0 != "/" }
            guard local(tagName) == name else { continue }
            let attributes = parseAttributes(tag.dropFirst(tagName.count))
            if tag.hasSuffix("/") {
                result.append(Element(attributes: attributes, inner: xml[i..<i]))
                continue
            }
            // The matching end tag (elements of one name do not nest in these parts).
            var search = i
            var end: String.Index?
            while let lt = xml[search...].firstIndex(of: "<") {
                guard let gt = xml[lt...].firstIndex(of: ">") else { break }
                let t = xml[xml.index(after: lt)..<gt]
                if t.first == "/" && local(t.dropFirst().prefix { !$0.isWhitespace }) == name {
                    end = lt
                    search = xml.index(after: gt)
                    break
                }
                search = xml.index(after: gt)
            }
            guard let end else { break }
            result.append(Element(attributes: attributes, inner: xml[i..<end]))
            i = search
        }
        return result
    }

    static func local(_ name: some StringProtocol) -> Substring {
        let s = Substring(name)
        return s.lastIndex(of: ":").map { s[s.index(after: $0)...] } ?? s
    }

    static func parseAttributes(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var rest = text
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
            var after = rest[rest.index(after: eq)...].drop { $0.isWhitespace }
            guard let quote = after.first, quote == "\"" || quote == "'" else { break }
            after = after.dropFirst()
            guard let close = after.firstIndex(of: quote) else { break }
            result[key] = decode(after[..<close])
            rest = after[after.index(after: close)...]
        }
        return result
    }

    static func stripTags(_ text: Substring) -> String {
        var out = ""
        var inTag = false
        for c in text {
            if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag { out.append(c) }
        }
        return out
    }

    static func decode(_ text: some StringProtocol) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "&", let semi = text[i...].firstIndex(of: ";"), text.distance(from: i, to: semi) <= 10 {
                let entity = text[text.index(after: i)..<semi]
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x"), let v = UInt32(entity.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) { replacement = String(u) }
                    else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()), let u = Unicode.Scalar(v) { replacement = String(u) }
                }
                if let replacement {
                    out += replacement
                    i = text.index(after: semi)
                    continue
                }
            }
            out.append(text[i])
            i = text.index(after: i)
        }
        return out
    }
}
