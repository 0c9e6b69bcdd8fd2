import Kernel

/// Strong entity tags from a 64-bit FNV-1a hash of the body: cheap enough for every read,
/// and a changed body changes the tag.
enum ETag {
    static func of(_ body: [UInt8]) -> String {
        Answer.entityTag(Answer.fnv1a(body))
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
