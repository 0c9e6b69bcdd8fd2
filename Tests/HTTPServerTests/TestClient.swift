import Glibc
import XCTest

/// A blocking TCP client for the tests: raw bytes out, parsed responses in. Every read has a
/// timeout so a server bug fails a test instead of hanging it.
final class TestClient {
    enum ConnectError: Error { case refused, failed(Int32) }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, readTimeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if status != 0 {
            let number = errno
            close(fd)
            throw number == ECONNREFUSED ? ConnectError.refused : ConnectError.failed(number)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setReadTimeout(readTimeout)
    }

    deinit { close(fd) }

    func setReadTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    enum ReadOutcome: Equatable { case data, closed, timeout }

    /// One recv into the buffer.
    @discardableResult
    func fill() -> ReadOutcome {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { buffer += chunk[0..<count]; return .data }
        if count == 0 { return .closed }
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? .timeout : .closed
    }

    /// The next response, or nil if the connection closed or the read timed out first.
    func readResponse() -> TestResponse? {
        while true {
            if let response = TestResponse.parse(&buffer) { return response }
            if fill() != .data { return nil }
        }
    }

    /// Reads until the peer closes (true) or the read times out (false).
    func waitForClose() -> Bool {
        while true {
            switch fill() {
            case .data: continue
            case .closed: return true
            case .timeout: return false
            }
        }
    }

    /// Bytes received and not yet parsed as a response.
    var unread: [UInt8] { buffer }
}

struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The problem code of an application/problem+json body.
    var problemCode: String? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return json["code"] as? String
    }

    /// Parses one complete response from the front of `buffer` and removes it.
    static func parse(_ buffer: inout [UInt8]) -> TestResponse? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard buffer.count >= 4, let end = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<($0 + 4)]) == terminator })
        else { return nil }
        let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return TestResponse(status: status, headers: headers, body: body)
    }
}
