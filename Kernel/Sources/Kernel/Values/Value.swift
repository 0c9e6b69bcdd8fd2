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
        /// One key and its value. A struct rather than a tuple: arrays of tuples are copied
        /// and destroyed through the runtime's generic tuple witnesses, element by element,
        /// which made building and dropping operation answers measurably slower.
        @usableFromInline
        struct Pair: Sendable {
            @usableFromInline var key: String
            @usableFromInline var value: Value
            @inlinable init(key: String, value: Value) { self.key = key; self.value = value }
        }

        private var pairs: [Pair] = []

        public init() {}

        init(pairs elements: [(String, Value)]) {
            pairs = elements.map { Pair(key: $0.0, value: $0.1) }
        }
        public init(dictionaryLiteral elements: (String, Value)...) {
            // Literal keys are distinct (the compiler warns on duplicates): append directly.
            pairs = elements.map { Pair(key: $0.0, value: $0.1) }
        }

        /// Reserves room for `count` keys (for objects built key by key).
        public mutating func reserveCapacity(_ count: Int) { pairs.reserveCapacity(count) }

        /// An empty object with room for `capacity` keys: with `append(_:_:)`, a large answer
        /// is built in one allocation (a literal allocates its elements twice).
        public init(minimumCapacity capacity: Int) { pairs.reserveCapacity(capacity) }

        /// Adds a key the object does not hold yet, without searching for it (the caller
        /// knows it is new, as in a literal). Use the subscript to replace a value.
        public mutating func append(_ key: String, _ value: Value) {
            assert(self[key] == nil, "duplicate key '\(key)' appended to a Value.Object")
            pairs.append(Pair(key: key, value: value))
        }

        public var keys: [String] { pairs.map(\.key) }

        public subscript(key: String) -> Value? {
            get {
                // The UTF-8 count first: a cheap filter before comparing text.
                let length = key.utf8.count
                for pair in pairs where pair.key.utf8.count == length && pair.key == key { return pair.value }
                return nil
            }
            set {
                if let index = pairs.firstIndex(where: { $0.key == key }) {
                    if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
                } else if let newValue {
                    pairs.append(Pair(key: key, value: newValue))
                }
            }
        }

        public var isEmpty: Bool { pairs.isEmpty }
        public var count: Int { pairs.count }

        /// Iterates `(key:, value:)` in insertion order.
        public struct Iterator: IteratorProtocol {
            var base: IndexingIterator<[Pair]>
            public mutating func next() -> (key: String, value: Value)? {
                guard let pair = base.next() else { return nil }
                return (pair.key, pair.value)
            }
        }

        public func makeIterator() -> Iterator { Iterator(base: pairs.makeIterator()) }

        public var underestimatedCount: Int { pairs.count }

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
