/// Parses and validates a complete request head from bytes (no `String` round trips
/// until the final fields are built). Strict on purpose: anything that lets two parsers
/// disagree about where a request ends (request smuggling) is a 400 and the connection
/// closes. See RFC 9112 §2-§6.
enum HeadParser {
    /// `bytes` holds the request line and header lines, each ending in CRLF, without the
    /// final empty line.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxBodyBytes: Int) throws(Problem) -> RequestHead {
        var lineStart = 0
        var head: RequestHead?
        var fields = FieldFacts()
        var headers: [HTTPHeader] = []
        while lineStart < bytes.count {
            var index = lineStart
            while index < bytes.count, bytes[index] != ASCII.cr, bytes[index] != ASCII.lf { index += 1 }
            guard index + 1 < bytes.count, bytes[index] == ASCII.cr, bytes[index + 1] == ASCII.lf else {
                throw .badRequest("Lines must end with CRLF.")
            }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<index])
            if head == nil {
                head = try parseRequestLine(line)
            } else {
                try parseField(line, into: &headers, facts: &fields)
            }
            lineStart = index + 2
        }
        guard var result = head else { throw .badRequest("Missing request line.") }
        result.headers = headers
        try fields.apply(to: &result, maxBodyBytes: maxBodyBytes)
        return result
    }

    /// "METHOD SP request-target SP HTTP/x.y"; a well-formed but unsupported version is 505.
    static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws(Problem) -> RequestHead {
        guard let firstSpace = line.firstIndex(of: ASCII.space),
              let secondSpace = line[(firstSpace + 1)...].firstIndex(of: ASCII.space)
        else { throw .badRequest("Malformed request line.") }
        let method = UnsafeBufferPointer(rebasing: line[..<firstSpace])
        let target = UnsafeBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace])
        let version = UnsafeBufferPointer(rebasing: line[(secondSpace + 1)...])
        guard !method.isEmpty, method.allSatisfy(ASCII.isTokenByte) else { throw .badRequest("Invalid method.") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .badRequest("Invalid request target.")
        }
        let isHTTP11 = try parseVersion(version)
        let (path, query) = try Target.split(target)
        let methodString = String(decoding: method, as: UTF8.self)
        return RequestHead(
            method: methodString, target: String(decoding: target, as: UTF8.self), path: path, query: query,
            headers: [], isHTTP11: isHTTP11, keepAlive: isHTTP11, contentLength: 0, expectsContinue: false,
            isHead: methodString == "HEAD")
    }

    /// true for HTTP/1.1, false for HTTP/1.0; other versions are 505, other shapes 400.
    static func parseVersion(_ version: UnsafeBufferPointer<UInt8>) throws(Problem) -> Bool {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard version.count == 8, version.prefix(5).elementsEqual(prefix),
              ASCII.isDigit(version[5]), version[6] == UInt8(ascii: "."), ASCII.isDigit(version[7])
        else { throw .badRequest("Malformed HTTP version.") }
        switch (version[5], version[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return true
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return false
        default: throw .versionNotSupported
        }
    }

    /// "name: OWS value OWS". Leading whitespace (obs-fold) and whitespace before the colon
    /// are rejected (RFC 9112 §5.1-§5.2).
    static func parseField(
        _ line: UnsafeBufferPointer<UInt8>, into headers: inout [HTTPHeader], facts: inout FieldFacts
    ) throws(Problem) {
        guard let first = line.first else { throw .badRequest("Empty header line.") }
        if first == ASCII.space || first == ASCII.tab { throw .badRequest("Folded header lines are not allowed.") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .badRequest("Header line without a colon.") }
        let name = UnsafeBufferPointer(rebasing: line[..<colon])
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenByte) else {
            throw .badRequest("Invalid header name (whitespace before the colon is not allowed).")
        }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == ASCII.space || line[valueStart] == ASCII.tab { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == ASCII.space || line[valueEnd - 1] == ASCII.tab { valueEnd -= 1 }
        let value = UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd])
        for byte in value where (byte < 0x20 && byte != ASCII.tab) || byte == 0x7F {
            throw .badRequest("Control character in a header value.")
        }
        try facts.note(name: name, value: value)
        headers.append(HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
    }
}

/// What the framing-relevant headers said, collected while parsing and judged at the end.
struct FieldFacts {
    var contentLength: Int?
    var contentLengthTooLarge = false
    var hasTransferEncoding = false
    var hostCount = 0
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false
    var unsupportedExpectation = false

    mutating func note(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) throws(Problem) {
        if ASCII.equalsLowercased(name, "content-length") {
            guard contentLength == nil, !contentLengthTooLarge else {
                throw .badRequest("Duplicate Content-Length.")
            }
            guard !value.isEmpty, value.allSatisfy(ASCII.isDigit) else { throw .badRequest("Invalid Content-Length.") }
            if value.count > 15 { contentLengthTooLarge = true; return }
            var length = 0
            for digit in value { length = length * 10 + Int(digit - UInt8(ascii: "0")) }
            contentLength = length
        } else if ASCII.equalsLowercased(name, "transfer-encoding") {
            hasTransferEncoding = true
        } else if ASCII.equalsLowercased(name, "host") {
            hostCount += 1
        } else if ASCII.equalsLowercased(name, "connection") {
            for token in value.split(separator: UInt8(ascii: ",")) {
                let trimmed = ASCII.trimmed(UnsafeBufferPointer(rebasing: token))
                if ASCII.equalsLowercased(trimmed, "close") { connectionClose = true }
                if ASCII.equalsLowercased(trimmed, "keep-alive") { connectionKeepAlive = true }
            }
        } else if ASCII.equalsLowercased(name, "expect") {
            if ASCII.equalsLowercased(value, "100-continue") { expectsContinue = true } else { unsupportedExpectation = true }
        }
    }

    func apply(to head: inout RequestHead, maxBodyBytes: Int) throws(Problem) {
        if hasTransferEncoding, contentLength != nil || contentLengthTooLarge {
            throw .badRequest("Both Transfer-Encoding and Content-Length.")
        }
        if hasTransferEncoding { throw .transferEncoding }
        if head.isHTTP11, hostCount == 0 { throw .badRequest("Missing Host header.") }
        if hostCount > 1 { throw .badRequest("More than one Host header.") }
        if unsupportedExpectation { throw .expectationFailed }
        if contentLengthTooLarge || (contentLength ?? 0) > maxBodyBytes { throw .bodyTooLarge }
        head.contentLength = contentLength ?? 0
        head.keepAlive = !connectionClose && (head.isHTTP11 || connectionKeepAlive)
        head.expectsContinue = expectsContinue && head.isHTTP11
    }
}
