import Glibc
import XCTest
@testable import HTTPServer

/// The happy paths through real sockets: GET/POST, keep-alive, pipelining, HTTP/1.0,
/// 100-continue and requests split at every byte.
final class ServingTests: XCTestCase {
    func testGetWithDecodedPathAndQuery() throws {
        let (server, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("GET /caf%C3%A9/x?a=1&b=two+words&c=%26 HTTP/1.1\r\nHost: shop\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "GET /café/x\nq=a:1,b:two words,c:&\nhost=shop\nfrom=127.0.0.1\nbody=")
        XCTAssertEqual(response.header("Content-Type"), "text/plain")
        XCTAssertNotNil(response.header("Date"))
        XCTAssertNil(response.header("Connection"))
        XCTAssertEqual(server.stats.requests, 1)
    }

    func testPostBodyIsEchoed() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 13\r\n\r\n{\"qty\": 2000}")
        XCTAssertEqual(client.readResponse()?.text.hasSuffix("body={\"qty\": 2000}"), true)
    }

    func testKeepAliveReusesTheConnection() throws {
        let (server, port) = try startServer()
        let client = try TestClient(port: port)
        for index in 0..<5 {
            client.send("GET /n/\(index) HTTP/1.1\r\nHost: shop\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.text.hasPrefix("GET /n/\(index)\n"), true)
        }
        XCTAssertEqual(server.stats.acceptedConnections, 1)
    }

    func testThreePipelinedRequestsAreAnsweredInOrder() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send(
            "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text.hasPrefix("GET /slow\n"), true)
        XCTAssertEqual(client.readResponse()?.text.hasSuffix("body=abc"), true)
        let third = client.readResponse()
        XCTAssertEqual(third?.text.hasPrefix("GET /third\n"), true)
        XCTAssertEqual(third?.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
    }

    /// Answers paths under /now on the I/O thread (`respondWithoutWaiting`), the rest on a
    /// worker, saying which thread answered.
    struct SplitHandler: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HTTPResponse {
            if request.path == "/slow" { usleep(200_000) }
            return HTTPResponse(status: 200, headers: [], body: Array("worker \(request.path)".utf8))
        }

        func respondWithoutWaiting(_ request: HTTPRequest) -> HTTPResponse? {
            guard request.path.hasPrefix("/now") else { return nil }
            return HTTPResponse(status: 200, headers: [], body: Array("inline \(request.path)".utf8))
        }
    }

    func testImmediateAndWorkerAnswersOfPipelinedRequestsKeepTheirOrder() throws {
        let (server, port) = try startServer(handler: SplitHandler())
        let client = try TestClient(port: port)
        let paths = ["/slow", "/now/1", "/w/2", "/now/3", "/now/4", "/w/5"]
        client.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
        for path in paths {
            let expected = (path.hasPrefix("/now") ? "inline " : "worker ") + path
            XCTAssertEqual(client.readResponse()?.text, expected)
        }
        XCTAssertEqual(server.stats.requests, 6)
    }

    func testManyPipelinedImmediateAnswersInOneWrite() throws {
        let (_, port) = try startServer(handler: SplitHandler())
        let client = try TestClient(port: port)
        // Answered in one turn of the loop each, not by recursion: 2,000 in one packet train.
        client.send((0..<2000).map { "GET /now/\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
        for index in 0..<2000 {
            guard let response = client.readResponse() else { return XCTFail("no answer to request \(index)") }
            XCTAssertEqual(response.text, "inline /now/\(index)")
        }
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let (_, port) = try startServer()
        let plain = try TestClient(port: port)
        plain.send("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(plain.readResponse()?.header("Connection"), "close")
        XCTAssertTrue(plain.waitForClose())

        let kept = try TestClient(port: port)
        kept.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(kept.readResponse()?.header("Connection"), "keep-alive")
        kept.send("GET /again HTTP/1.0\r\n\r\n")
        XCTAssertEqual(kept.readResponse()?.text.hasPrefix("GET /again"), true)
    }

    func testConnectionCloseIsHonoured() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
    }

    func testHeadSendsNoBody() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        var buffer: [UInt8] = []
        while !String(decoding: buffer, as: UTF8.self).contains("GET /next") {
            guard client.fill() == .data else { return XCTFail("no second response") }
            buffer = client.unread
        }
        let text = String(decoding: buffer, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertEqual(text.components(separatedBy: "HTTP/1.1 200 OK").count, 3, "two heads, the first without body")
        XCTAssertFalse(text.contains("HEAD /x"))
    }

    func testExpectContinueGetsInterimResponse() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 100)
        client.send("hello")
        XCTAssertEqual(client.readResponse()?.text.hasSuffix("body=hello"), true)
    }

    func testRequestSplitAtEveryByteBoundary() throws {
        let (_, port) = try startServer()
        let request = Array("POST /split?k=v HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world".utf8)
        for split in 1..<request.count {
            let client = try TestClient(port: port)
            client.send(Array(request[..<split]))
            usleep(1000)
            client.send(Array(request[split...]))
            let response = client.readResponse()
            XCTAssertEqual(response?.text.hasSuffix("body=hello world"), true, "split at \(split)")
        }
    }

    func testBodyInThreePacketsAndOneByteAtATime() throws {
        let (_, port) = try startServer()
        let client = try TestClient(port: port)
        client.send("POST /parts HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\nfour")
        usleep(20_000)
        client.send("five")
        usleep(20_000)
        client.send("six!")
        XCTAssertEqual(client.readResponse()?.text.hasSuffix("body=fourfivesix!"), true)

        for byte in Array("POST /bytes HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz".utf8) {
            client.send([byte])
            usleep(500)
        }
        XCTAssertEqual(client.readResponse()?.text.hasSuffix("body=xyz"), true)
    }

    func testHandlerHeadersCannotBreakFraming() throws {
        let handler = ClosureHandler { _ in
            HTTPResponse(status: 201, headers: [
                HTTPHeader(name: "Content-Length", value: "999"),
                HTTPHeader(name: "X-Evil", value: "a\r\nSet-Cookie: x=1"),
                HTTPHeader(name: "X-Fine", value: "ok"),
            ], body: Array("done".utf8))
        }
        let (_, port) = try startServer(handler: handler)
        let client = try TestClient(port: port)
        client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.header("Content-Length"), "4")
        XCTAssertEqual(response.header("X-Fine"), "ok")
        XCTAssertNil(response.header("X-Evil"))
        XCTAssertNil(response.header("Set-Cookie"))
        XCTAssertEqual(response.text, "done")
    }

    func testLargeResponseIsWrittenAcrossManyWritableEvents() throws {
        let big = [UInt8]((0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let handler = ClosureHandler { _ in HTTPResponse(status: 200, body: big) }
        let (_, port) = try startServer(handler: handler)
        let client = try TestClient(port: port)
        client.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(100_000)  // let the socket buffers fill so the server must wait for EPOLLOUT
        XCTAssertEqual(client.readResponse()?.body == big, true)
        XCTAssertEqual(client.readResponse()?.body == big, true, "pipelined request after a partial write")
    }
}
