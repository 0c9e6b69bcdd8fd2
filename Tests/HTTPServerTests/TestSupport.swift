import Foundation
import XCTest
@testable import HTTPServer

/// Echoes what the server parsed, so tests can check the parser through the socket:
/// "GET /path\nq=a:1,b:2\nhost=x\nbody=…". "/slow" sleeps `slowDelay` first.
struct EchoHandler: HTTPHandler {
    var slowDelay: Double = 0.3
    var onSlowStart: (@Sendable () -> Void)?

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/slow" {
            onSlowStart?()
            usleep(UInt32(slowDelay * 1_000_000))
        }
        let query = request.query.map { "\($0.name):\($0.value)" }.joined(separator: ",")
        let text = "\(request.method) \(request.path)\nq=\(query)\nhost=\(request.header("HOST") ?? "-")\n"
            + "from=\(request.remoteAddress)\nbody=\(String(decoding: request.body, as: UTF8.self))"
        return HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "text/plain")], body: Array(text.utf8))
    }
}

extension XCTestCase {
    /// A started server on an ephemeral port, shut down (and waited for) after the test.
    func startServer(
        _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }, handler: any HTTPHandler = EchoHandler()
    ) throws -> (HTTPServer, Int) {
        var configuration = HTTPServerConfiguration(ioThreads: 2, workerThreads: 4)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, handler: handler)
        let port = try server.start()
        addTeardownBlock {
            server.shutdown()
            server.waitUntilStopped()
        }
        return (server, port)
    }

    /// One request on a fresh connection; asserts a 200.
    func assertServes(_ port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try TestClient(port: port)
        client.send("GET /alive HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 200, "server no longer serves", file: file, line: line)
    }

    func elapsed(since start: Date) -> Double { Date().timeIntervalSince(start) }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func eventually(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
