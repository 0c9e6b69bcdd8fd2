/// Random bytes from the system's cryptographically secure generator
/// (`SystemRandomNumberGenerator` is backed by getrandom(2) on Linux).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A URL-safe random token with `byteCount` bytes of entropy, in hex.
    public static func token(prefix: String, byteCount: Int = 32) -> String {
        prefix + Hex.encode(bytes(byteCount))
    }
}
