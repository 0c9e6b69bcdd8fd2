import Kernel

/// Strong entity tags from a 64-bit FNV-1a hash of the body: cheap enough for every read,
/// and a changed body changes the tag.
enum ETag {
    static func of(_ body: [UInt8]) -> String {
        format(Answer.fnv1a(body))
    }

    /// The tag of a 64-bit hash (an `Answer` carries its own).
    static func format(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// `If-None-Match` holds `*` or a comma-separated list of tags (weak ones compare too).
    static func matches(_ header: String, _ tag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var trimmed = candidate.trimmingCharactersInSpaces()
            if trimmed.hasPrefix("W/") { trimmed = String(trimmed.dropFirst(2)) }
            return trimmed == "*" || trimmed == tag
        }
    }
}

extension Substring {
    func trimmingCharactersInSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
