/// A JSON-shaped value: operation inputs and outputs, event payloads, audit changes.
///
/// Objects keep their keys in insertion order so that every host prints fields in the
/// order the operation wrote them. Numbers are integers only: money is minor units.
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([Value])
    case object(Object)

    /// An ordered JSON object. Stored as an array of pairs: objects here are small, and a
    /// linear search by key costs less than hashing.
    public struct Object: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
        private var pairs: [(key: String, value: Value)] = []

        public init() {}

        init(pairs elements: [(String, Value)]) {
            pairs = elements.map { (key: $0.0, value: $0.1) }
        }
        public init(dictionaryLiteral elements: (String, Value)...) {
            // Literal keys are distinct (the compiler warns on duplicates): append directly.
            pairs = elements.map { (key: $0.0, value: $0.1) }
        }

        public var keys: [String] { pairs.map(\.key) }

        public subscript(key: String) -> Value? {
            get {
                for pair in pairs where pair.key == key { return pair.value }
                return nil
            }
            set {
                if let index = pairs.firstIndex(where: { $0.key == key }) {
                    if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
                } else if let newValue {
                    pairs.append((key, newValue))
                }
            }
        }

        public var isEmpty: Bool { pairs.isEmpty }
        public var count: Int { pairs.count }

        public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { pairs.makeIterator() }

        /// Equal when they hold the same keys with the same values, in any order.
        public static func == (a: Object, b: Object) -> Bool {
            guard a.pairs.count == b.pairs.count else { return false }
            return a.pairs.allSatisfy { b[$0.key] == $0.value }
        }
    }

    public subscript(key: String) -> Value? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int64? { if case .int(let i) = self { return i }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [Value]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: Object? { if case .object(let o) = self { return o }; return nil }

    /// A short human rendering used in tables and messages.
    public var display: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "yes" : "no"
        case .int(let i): return String(i)
        case .string(let s): return s
        case .array(let items): return items.map(\.display).joined(separator: ", ")
        case .object: return JSON.encode(self)
        }
    }
}

extension Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let flag): hasher.combine(1 as UInt8); hasher.combine(flag)
        case .int(let number): hasher.combine(2 as UInt8); hasher.combine(number)
        case .string(let text): hasher.combine(3 as UInt8); hasher.combine(text)
        case .array(let items): hasher.combine(4 as UInt8); hasher.combine(items)
        case .object(let object): hasher.combine(5 as UInt8); hasher.combine(object)
        }
    }
}

extension Value.Object: Hashable {
    /// Independent of key order, as `==` is.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for pair in pairs {
            var one = Hasher()
            one.combine(pair.key)
            one.combine(pair.value)
            combined &+= one.finalize()
        }
        hasher.combine(pairs.count)
        hasher.combine(combined)
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(Object(pairs: elements))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension Value {
    /// `.string` or `.null`.
    public init(_ string: String?) { self = string.map(Value.string) ?? .null }
    /// `.int` or `.null`.
    public init(_ int: Int?) { self = int.map { .int(Int64($0)) } ?? .null }
}
