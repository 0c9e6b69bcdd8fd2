/// HMAC-SHA256 (RFC 2104), for webhook signatures and keyed fingerprints.
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        sha256(key: key, message: message, hasher: SHA256.init)
    }

    /// The same on a chosen SHA-256 engine (tests run the RFC 4231 vectors on each).
    @_spi(Testing)
    public static func sha256(key: [UInt8], message: [UInt8], engine: SHA256.Engine) -> [UInt8] {
        sha256(key: key, message: message) { SHA256(engine: engine) }
    }

    private static func sha256(key: [UInt8], message: [UInt8], hasher: () -> SHA256) -> [UInt8] {
        var key = key
        if key.count > 64 {
            var keyHasher = hasher()
            keyHasher.update(key)
            key = keyHasher.finish()
        }
        key += [UInt8](repeating: 0, count: 64 - key.count)
        var inner = hasher()
        inner.update(key.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = hasher()
        outer.update(key.map { $0 ^ 0x5c })
        outer.update(inner.finish())
        return outer.finish()
    }

    /// Compares two digests in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
