import Foundation
internal import CCrypt

/// Password hashing through the system's crypt(3) (libxcrypt): yescrypt when available,
/// sha512crypt otherwise, with a random salt from crypt_gensalt. Passwords are never
/// stored, printed or logged in clear; only the crypt string is kept.
public enum PasswordHasher {
    /// The prefixes tried in order of preference.
    static let preferredPrefixes = ["$y$", "$6$"]

    public static func hash(_ password: String) throws -> String {
        guard !password.isEmpty else { throw KernelError.invalid("password", "the password is empty") }
        for prefix in preferredPrefixes {
            guard let setting = crypt_gensalt_ra(prefix, 0, nil, 0) else { continue }
            defer { free(setting) }
            if let hashed = try? run(password, setting: String(cString: setting)), hashed.hasPrefix(prefix) {
                return hashed
            }
        }
        throw KernelError(.internal, "crypt(3) supports neither yescrypt nor sha512crypt on this system")
    }

    /// True when `password` produces `stored`. Compared in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard let computed = try? run(password, setting: stored) else { return false }
        return HMAC.constantTimeEqual(Array(computed.utf8), Array(stored.utf8))
    }

    private static func run(_ password: String, setting: String) throws -> String {
        // crypt_data is ~32 KiB: keep it off the stack and zero it, as crypt_r requires.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, setting, data) else {
            throw KernelError(.internal, "crypt(3) failed")
        }
        let text = String(cString: result)
        // libxcrypt signals failure with a string starting with '*'.
        guard !text.hasPrefix("*") else { throw KernelError(.internal, "crypt(3) rejected the setting") }
        return text
    }
}
