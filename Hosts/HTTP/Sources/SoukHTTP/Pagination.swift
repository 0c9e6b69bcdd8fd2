import HTTPServer
import Kernel

/// Cursor pagination: a list operation answers `{"items": [...], "next_cursor": N}` and
/// takes a `cursor` parameter; the host adds `Link: <...?cursor=N>; rel="next"` so that
/// clients can follow pages without knowing the operation.
enum Pagination {
    static func nextLink(_ result: Value, request: HTTPRequest) -> String? {
        guard case .object(let object) = result, let next = object["next_cursor"], next != .null else { return nil }
        var parameters = request.query.filter { $0.name != "cursor" }
        parameters.append((name: "cursor", value: next.display))
        let query = parameters.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&")
        return "<\(request.path)?\(query)>; rel=\"next\""
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
