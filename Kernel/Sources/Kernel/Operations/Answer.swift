/// An operation's answer together with its JSON text, for hosts that send JSON (HTTP).
///
/// Reads whose answer the kernel keeps (see `OperationScope.answerIsReusable(until:)`) hand
/// out the same `Answer` until the database changes, so the encoding and the hash are paid
/// once per change instead of once per request.
public final class Answer: Sendable {
    public let value: Value
    /// `value` as compact JSON.
    public let json: [UInt8]
    /// A 64-bit FNV-1a hash of `json`.
    public let hash: UInt64
    /// `hash` as an HTTP entity tag: 16 hex digits in double quotes.
    public let entityTag: String

    public init(_ value: Value) {
        self.value = value
        json = JSON.encodeBytes(value)
        hash = Self.fnv1a(json)
        entityTag = Self.entityTag(hash)
    }

    public static func entityTag(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// 64-bit FNV-1a.
    public static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
