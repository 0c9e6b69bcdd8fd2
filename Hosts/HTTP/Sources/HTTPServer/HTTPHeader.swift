/// One header field as it appeared on the wire (name casing kept, value trimmed of
/// surrounding whitespace). Headers are a list, not a dictionary, because order and
/// repetition are meaningful in HTTP.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The first value whose name matches `name` case-insensitively (ASCII).
    func firstValue(named name: String) -> String? {
        for header in self where asciiCaseInsensitiveEqual(header.name, name) { return header.value }
        return nil
    }
}

/// ASCII case-insensitive comparison without allocating lowercased copies.
func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    // Most comparisons are between different header names: the lengths (known without a
    // scan for native strings) settle them.
    guard a.utf8.count == b.utf8.count else { return false }
    var left = a.utf8.makeIterator()
    var right = b.utf8.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return true
        case let (x?, y?): if asciiLower(x) != asciiLower(y) { return false }
        default: return false
        }
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
}
