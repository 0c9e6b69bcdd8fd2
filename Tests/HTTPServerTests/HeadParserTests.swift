import XCTest
@testable import HTTPServer

/// Parsing details that are easier to see without sockets.
final class HeadParserTests: XCTestCase {
    private func parse(_ text: String, maxBody: Int = 100) throws(Problem) -> RequestHead {
        let bytes = Array(text.utf8)
        var result: Result<RequestHead, Problem>!
        bytes.withUnsafeBufferPointer { buffer in
            result = Result { () throws(Problem) -> RequestHead in try HeadParser.parse(buffer, maxBodyBytes: maxBody) }
        }
        return try result.get()
    }

    func testFieldsAndFraming() throws {
        let head = try parse("PUT /a%2Fb/c?x=%41&&flag&y=1+2 HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\nX-Pad:  spaced\t \r\n")
        XCTAssertEqual(head.method, "PUT")
        XCTAssertEqual(head.path, "/a/b/c")
        XCTAssertEqual(head.query.map { "\($0.name)=\($0.value)" }, ["x=A", "flag=", "y=1 2"])
        XCTAssertEqual(head.contentLength, 5)
        XCTAssertTrue(head.keepAlive)
        XCTAssertEqual(head.headers.last, HTTPHeader(name: "X-Pad", value: "spaced"))
        let request = HTTPRequest(method: head.method, target: head.target, path: head.path, headers: head.headers)
        XCTAssertEqual(request.header("x-pad"), "spaced")
        XCTAssertEqual(request.header("content-LENGTH"), "5")
    }

    func testAbsoluteFormAndAsterisk() throws {
        XCTAssertEqual(try parse("GET http://shop.example/v1/x?a=b HTTP/1.1\r\nHost: shop\r\n").path, "/v1/x")
        XCTAssertEqual(try parse("GET http://shop.example HTTP/1.1\r\nHost: shop\r\n").path, "/")
        XCTAssertEqual(try parse("OPTIONS * HTTP/1.1\r\nHost: shop\r\n").path, "*")
    }

    func testConnectionTokens() throws {
        XCTAssertFalse(try parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n").keepAlive)
        XCTAssertTrue(try parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n").keepAlive)
        XCTAssertFalse(try parse("GET / HTTP/1.0\r\n").keepAlive)
    }

    func testLenientQueryKeepsMalformedEscapes() throws {
        XCTAssertEqual(try parse("GET /?q=100%&r=%zz HTTP/1.1\r\nHost: a\r\n").query.map(\.value), ["100%", "%zz"])
    }

    func testProblemBodyIsJSON() throws {
        let body = Problem.badRequest("Quote \" and \\ and \n.").body
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        XCTAssertEqual(json["type"] as? String, "about:blank")
        XCTAssertEqual(json["status"] as? Int, 400)
        XCTAssertEqual(json["code"] as? String, "bad_request")
        XCTAssertEqual(json["detail"] as? String, "Quote \" and \\ and \n.")
    }
}
