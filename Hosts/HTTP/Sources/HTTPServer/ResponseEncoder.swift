import Glibc

/// Writes a response head into a reusable byte buffer: status line, the handler's headers
/// (minus the framing ones the server owns), Date, Content-Length and Connection.
enum ResponseEncoder {
    static func appendHead(
        of response: HTTPResponse, bodyLength: Int, close: Bool, http10KeepAlive: Bool, date: [UInt8],
        to out: inout [UInt8]
    ) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        let status = (100...999).contains(response.status) ? response.status : 500
        out.append(UInt8(ascii: "0") + UInt8(status / 100))
        out.append(UInt8(ascii: "0") + UInt8(status / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(status % 10))
        out.append(ASCII.space)
        out.append(contentsOf: reasonPhrase(status).utf8)
        out.append(contentsOf: "\r\n".utf8)
        for header in response.headers where isForwardable(header) {
            out.append(contentsOf: header.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: header.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: date)
        if hasBody(status: status) {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(bodyLength, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if http10KeepAlive {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
    }

    /// 1xx, 204 and 304 responses have no body and no Content-Length.
    static func hasBody(status: Int) -> Bool { status >= 200 && status != 204 && status != 304 }

    /// Framing headers belong to the server; a header with CR or LF would split the response.
    static func isForwardable(_ header: HTTPHeader) -> Bool {
        if asciiCaseInsensitiveEqual(header.name, "Content-Length") || asciiCaseInsensitiveEqual(header.name, "Connection")
            || asciiCaseInsensitiveEqual(header.name, "Transfer-Encoding") || asciiCaseInsensitiveEqual(header.name, "Date")
        {
            return false
        }
        let unsafe: (UInt8) -> Bool = { $0 == ASCII.cr || $0 == ASCII.lf }
        return !header.name.utf8.contains(where: unsafe) && !header.value.utf8.contains(where: unsafe)
            && !header.name.isEmpty
    }

    static func wantsClose(_ response: HTTPResponse) -> Bool {
        guard let value = response.header("Connection") else { return false }
        return value.utf8.split(separator: UInt8(ascii: ",")).contains { token in
            asciiCaseInsensitiveEqual(String(decoding: token, as: UTF8.self).trimmingASCIISpaces, "close")
        }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(ascii: "0") + UInt8(value)); return }
        appendDecimal(value / 10, to: &out)
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}

extension String {
    var trimmingASCIISpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

/// The "Date: …\r\n" header line, formatted at most once per second per loop (RFC 9110 §6.6.1).
struct DateHeaderCache {
    private var second: time_t = -1
    private(set) var line: [UInt8] = []

    mutating func refresh() {
        let current = time(nil)
        guard current != second else { return }
        second = current
        var parts = tm()
        var copy = current
        gmtime_r(&copy, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text = "Date: \(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
        line = Array(text.utf8)
    }
}
