import Foundation

/// Encodes a release's documents (release.json, the manifest, the run record) as indented
/// JSON, streaming: members in the order their types encode them (dictionaries by sorted
/// key), so the same value is always the same bytes and a reader finds the title before
/// the cells, and memory stays with the text written. (Foundation's encoder builds a tree
/// and orders members by hash unless it sorts them all.) Numbers are written exactly:
/// integers as they are, `Decimal` by its digits.
///
/// A container's members must be encoded together, as synthesized and plain hand-written
/// conformances do; writing to a container after a later one has been opened beside it
/// is a programming error.
struct DocumentEncoder {
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let stream = Stream()
        stream.pending = .some(nil)
        try stream.value(value, path: [])
        return stream.json.finish()
    }

    final class Stream {
        var json = JSONText(reserving: 1 << 16)
        /// Containers open, innermost last: an id and whether it is an object.
        var open: [(id: Int, object: Bool)] = []
        var next = 0
        /// Where the next value goes: nothing pending, an array element (nil) or a member.
        var pending: String??

        /// Closes every container opened inside container `id`, before it writes again.
        func closeInside(_ id: Int) {
            while let last = open.last, last.id != id {
                precondition(open.contains { $0.id == id }, "a container was written to after it was closed")
                open.removeLast()
                if last.object { json.endObject() } else { json.endArray() }
            }
        }

        func closeDown(to depth: Int) {
            while open.count > depth {
                let last = open.removeLast()
                if last.object { json.endObject() } else { json.endArray() }
            }
        }

        func takeKey() -> String? {
            guard case .some(let key) = pending else { preconditionFailure("a value with no place in the document") }
            pending = .none
            return key
        }

        func openContainer(object: Bool) -> Int {
            let key = takeKey()
            if object { json.object(key) } else { json.array(key) }
            next += 1
            open.append((next, object))
            return next
        }

        func value<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
            switch value {
            case let v as String: json.value(takeKey(), v)
            case let v as Bool: json.value(takeKey(), v)
            case let v as Decimal: json.number(takeKey(), v.isNaN ? nil : v.description)
            case let v as Int: json.value(takeKey(), v)
            case let v as Int64: json.number(takeKey(), String(v))
            case let v as Int32: json.number(takeKey(), String(v))
            case let v as UInt64: json.number(takeKey(), String(v))
            case let v as Double: json.number(takeKey(), v.isFinite ? String(v) : nil)
            case let v as any SortedKeysEncodable:
                let depth = open.count
                let id = openContainer(object: true)
                try v.encodeSorted { key, member in
                    self.closeInside(id)
                    self.pending = .some(key)
                    try self.value(member, path: path)
                }
                closeDown(to: depth)
            default:
                let depth = open.count
                try value.encode(to: Writer(stream: self, codingPath: path))
                if pending != nil {
                    // Nothing encoded: an empty object, as for a keyed container left empty.
                    _ = openContainer(object: true)
                }
                closeDown(to: depth)
            }
        }
    }

    struct Writer: Encoder {
        let stream: Stream
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed<Key>(stream: stream, id: stream.openContainer(object: true), codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            Unkeyed(stream: stream, id: stream.openContainer(object: false), codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(stream: stream, codingPath: codingPath) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let stream: Stream
        let id: Int
        var codingPath: [any CodingKey]

        func place(_ key: Key) {
            stream.closeInside(id)
            stream.pending = .some(key.stringValue)
        }

        mutating func encodeNil(forKey key: Key) throws {
            place(key)
            stream.json.number(stream.takeKey(), nil)
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            place(key)
            try stream.value(value, path: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            place(key)
            return KeyedEncodingContainer(Keyed<NestedKey>(stream: stream, id: stream.openContainer(object: true), codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            place(key)
            return Unkeyed(stream: stream, id: stream.openContainer(object: false), codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder {
            stream.closeInside(id)
            stream.pending = .some("super")
            return Writer(stream: stream, codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            place(key)
            return Writer(stream: stream, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let stream: Stream
        let id: Int
        var codingPath: [any CodingKey]
        var count = 0

        mutating func place() {
            stream.closeInside(id)
            stream.pending = .some(nil)
            count += 1
        }

        mutating func encodeNil() throws {
            place()
            stream.json.number(stream.takeKey(), nil)
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            place()
            try stream.value(value, path: codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            place()
            return KeyedEncodingContainer(Keyed<NestedKey>(stream: stream, id: stream.openContainer(object: true), codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            place()
            return Unkeyed(stream: stream, id: stream.openContainer(object: false), codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder {
            place()
            return Writer(stream: stream, codingPath: codingPath)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let stream: Stream
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { stream.json.number(stream.takeKey(), nil) }
        mutating func encode<T: Encodable>(_ value: T) throws { try stream.value(value, path: codingPath) }
    }
}

/// A dictionary with string keys, written by sorted key.
protocol SortedKeysEncodable {
    func encodeSorted(_ member: (String, any Encodable) throws -> Void) rethrows
}

extension Dictionary: SortedKeysEncodable where Key == String, Value: Encodable {
    func encodeSorted(_ member: (String, any Encodable) throws -> Void) rethrows {
        for key in keys.sorted() { try member(key, self[key]!) }
    }
}
