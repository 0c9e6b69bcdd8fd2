import XCTest
@testable import HTTPServer

/// Malformed and smuggling-shaped requests get a problem response, the connection closes,
/// and the server keeps serving others.
final class RejectionTests: XCTestCase {
    private func assertRejected(
        _ raw: String, status: Int, code: String, port: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let client = try TestClient(port: port)
        client.send(raw)
        let response = client.readResponse()
        XCTAssertEqual(response?.status, status, "for \(raw.debugDescription)", file: file, line: line)
        XCTAssertEqual(response?.problemCode, code, file: file, line: line)
        XCTAssertEqual(response?.header("Content-Type"), "application/problem+json", file: file, line: line)
        XCTAssertEqual(response?.header("Connection"), "close", file: file, line: line)
        XCTAssertTrue(client.waitForClose(), "connection stays open after \(status)", file: file, line: line)
        try assertServes(port, file: file, line: line)
    }

    func testSmugglingAndMalformedRequestsAre400() throws {
        let (server, port) = try startServer()
        let cases = [
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /\r\nHost: a\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GARBAGE\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Null: a\u{0}b\r\n\r\n",
            "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET nopath HTTP/1.1\r\nHost: a\r\n\r\n",
        ]
        for raw in cases { try assertRejected(raw, status: 400, code: "bad_request", port: port) }
        XCTAssertEqual(server.stats.errorResponses, cases.count)
        XCTAssertEqual(server.stats.requests, cases.count, "only the follow-up requests reached the handler")
    }

    func testTransferEncodingAloneIs501() throws {
        let (_, port) = try startServer()
        try assertRejected(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            status: 501, code: "not_implemented", port: port)
    }

    func testUnsupportedVersionsAre505() throws {
        let (_, port) = try startServer()
        try assertRejected("GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505, code: "version_not_supported", port: port)
        try assertRejected("GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505, code: "version_not_supported", port: port)
    }

    func testOversizedHeadIs431() throws {
        let (_, port) = try startServer { $0.maxHeaderBytes = 1024 }
        let big = String(repeating: "a", count: 2000)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n", status: 431, code: "header_too_large", port: port)
        // No terminator at all: cut as soon as the limit is passed, not at the deadline.
        try assertRejected("GET / HTTP/1.1\r\nX-Big: \(big)", status: 431, code: "header_too_large", port: port)
    }

    func testOversizedBodyIs413BeforeItIsSent() throws {
        let (_, port) = try startServer { $0.maxBodyBytes = 1000 }
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", status: 413, code: "body_too_large", port: port)
        try assertRejected(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", status: 413, code: "body_too_large",
            port: port)
        // With Expect: 100-continue the client learns it before sending the body.
        try assertRejected(
            "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n", status: 413,
            code: "body_too_large", port: port)
    }

    func testUnknownExpectationIs417() throws {
        let (_, port) = try startServer()
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", status: 417,
                           code: "expectation_failed", port: port)
    }

    func testErrorResponseArrivesDespiteUnreadInput() throws {
        // The client sends a large body after an invalid head: the server must answer and
        // drain, not reset the connection under the response.
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"
            + String(repeating: "x", count: 200_000))
        XCTAssertEqual(client.readResponse()?.status, 400)
    }
}
