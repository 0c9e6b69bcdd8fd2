/// Splitting a request-target into a decoded path and query (RFC 9112 §3.2). Origin-form
/// ("/a?b"), absolute-form ("http://host/a?b", path kept) and "*" are accepted.
enum Target {
    static func split(_ target: UnsafeBufferPointer<UInt8>) throws(Problem) -> (String, [(name: String, value: String)]) {
        var pathStart = 0
        if target[0] == UInt8(ascii: "*") {
            guard target.count == 1 else { throw .badRequest("Invalid request target.") }
            return ("*", [])
        }
        if target[0] != UInt8(ascii: "/") {
            // absolute-form: scheme "://" authority [path]
            guard let colon = target.firstIndex(of: UInt8(ascii: ":")), colon + 2 < target.count,
                  target[colon + 1] == UInt8(ascii: "/"), target[colon + 2] == UInt8(ascii: "/")
            else { throw .badRequest("Invalid request target.") }
            let authorityStart = colon + 3
            pathStart = target[authorityStart...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? target.count
        }
        let queryMark = target[pathStart...].firstIndex(of: UInt8(ascii: "?")) ?? target.count
        let rawPath = UnsafeBufferPointer(rebasing: target[pathStart..<queryMark])
        guard let path = PercentDecoding.decode(rawPath, plusAsSpace: false, strict: true) else {
            throw .badRequest("Invalid percent-encoding in the path.")
        }
        let query = queryMark < target.count
            ? parseQuery(UnsafeBufferPointer(rebasing: target[(queryMark + 1)...])) : []
        return (path.isEmpty ? "/" : path, query)
    }

    /// "a=1&b=two+words&c" → [("a","1"), ("b","two words"), ("c","")]; lenient: a
    /// malformed escape is kept literally.
    static func parseQuery(_ bytes: UnsafeBufferPointer<UInt8>) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        for piece in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let part = UnsafeBufferPointer(rebasing: piece)
            let equals = part.firstIndex(of: UInt8(ascii: "=")) ?? part.count
            let name = UnsafeBufferPointer(rebasing: part[..<equals])
            let value = equals < part.count ? UnsafeBufferPointer(rebasing: part[(equals + 1)...]) : UnsafeBufferPointer(rebasing: part[part.count...])
            items.append((
                PercentDecoding.decode(name, plusAsSpace: true, strict: false) ?? "",
                PercentDecoding.decode(value, plusAsSpace: true, strict: false) ?? ""))
        }
        return items
    }
}
