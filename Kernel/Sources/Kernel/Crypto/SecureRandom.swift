/// Random bytes from the system's cryptographically secure generator
/// (`SystemRandomNumberGenerator` is backed by getrandom(2) on Linux).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw: the system generator makes one getrandom call per `next()`,
        // so drawing byte by byte cost one system call per byte (8 per request id).
        var generator = SystemRandomNumberGenerator()
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            let word = generator.next()
            withUnsafeBytes(of: word) { result.append(contentsOf: $0.prefix(count - result.count)) }
        }
        return result
    }

    /// A URL-safe random token with `byteCount` bytes of entropy, in hex.
    public static func token(prefix: String, byteCount: Int = 32) -> String {
        prefix + Hex.encode(bytes(byteCount))
    }
}
