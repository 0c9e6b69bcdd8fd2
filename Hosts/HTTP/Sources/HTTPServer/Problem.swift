/// An error response the server generates itself, sent as `application/problem+json`
/// (RFC 9457) with a stable machine-readable `code`. Every problem response closes the
/// connection: after a framing error the rest of the input cannot be trusted.
struct Problem: Error, Equatable {
    var status: Int
    var code: String
    var title: String
    var detail: String

    static func badRequest(_ detail: String) -> Problem {
        Problem(status: 400, code: "bad_request", title: "Bad Request", detail: detail)
    }
    static let headerTooLarge = Problem(
        status: 431, code: "header_too_large", title: "Request Header Fields Too Large",
        detail: "The request head exceeds the server's limit.")
    static let bodyTooLarge = Problem(
        status: 413, code: "body_too_large", title: "Content Too Large",
        detail: "The request body exceeds the server's limit.")
    static let timeout = Problem(
        status: 408, code: "timeout", title: "Request Timeout",
        detail: "The request was not received within the server's deadline.")
    static let transferEncoding = Problem(
        status: 501, code: "not_implemented", title: "Not Implemented",
        detail: "Transfer-Encoding is not supported; send a Content-Length body.")
    static let versionNotSupported = Problem(
        status: 505, code: "version_not_supported", title: "HTTP Version Not Supported",
        detail: "Only HTTP/1.0 and HTTP/1.1 are supported.")
    static let expectationFailed = Problem(
        status: 417, code: "expectation_failed", title: "Expectation Failed",
        detail: "Only 'Expect: 100-continue' is supported.")
    static let handlerTimeout = Problem(
        status: 503, code: "handler_timeout", title: "Service Unavailable",
        detail: "The request took too long to handle.")
    static let tooManyConnections = Problem(
        status: 503, code: "too_many_connections", title: "Service Unavailable",
        detail: "Too many connections from this address.")

    /// The JSON body: {"type":"about:blank","title":…,"status":…,"code":…,"detail":…}.
    var body: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + detail.utf8.count)
        out.append(contentsOf: #"{"type":"about:blank","title":"#.utf8)
        appendJSONString(title, to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(contentsOf: #","code":"#.utf8)
        appendJSONString(code, to: &out)
        out.append(contentsOf: #","detail":"#.utf8)
        appendJSONString(detail, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    var response: HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [HTTPHeader(name: "Content-Type", value: "application/problem+json")],
            body: body)
    }
}

/// Appends `text` as a JSON string literal (quotes, backslashes and control bytes escaped).
func appendJSONString(_ text: String, to out: inout [UInt8]) {
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0..<0x20:
            out.append(contentsOf: Array(#"\u00"#.utf8))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}
