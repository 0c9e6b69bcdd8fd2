import Dispatch
import Glibc
import XCTest
@testable import HTTPServer

/// The defences against hostile or careless clients, with short configured timeouts.
/// Assertions are on outcomes with generous upper bounds, so busy machines do not flake.
final class DefenceTests: XCTestCase {
    func testSlowlorisIsCutAtTheDeadlineWhileOthersAreServed() throws {
        let (server, port) = try startServer {
            $0.requestDeadline = .milliseconds(300)
            $0.idleTimeout = .seconds(5)
        }
        let slow = try TestClient(port: port, readTimeout: 0.05)
        let start = Date()
        var servedMeanwhile = false
        var response: TestResponse?
        let trickle = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + String(repeating: "z", count: 200))
        for (index, character) in trickle.enumerated() {
            if !slow.send(String(character)) { break }
            if index == 2 {
                try assertServes(port)
                servedMeanwhile = true
            }
            if let answer = slow.readResponse() { response = answer; break }  // waits up to 50 ms
            if elapsed(since: start) > 5 { break }
        }
        XCTAssertTrue(servedMeanwhile)
        XCTAssertEqual(response?.status, 408)
        XCTAssertEqual(response?.problemCode, "timeout")
        let took = elapsed(since: start)
        XCTAssertGreaterThanOrEqual(took, 0.25, "cut before the deadline")
        XCTAssertLessThan(took, 3, "trickled bytes extended the deadline")
        slow.setReadTimeout(3)
        XCTAssertTrue(slow.waitForClose())
        XCTAssertGreaterThanOrEqual(server.stats.timedOut, 1)
    }

    func testIdleNewConnectionIsClosed() throws {
        let (server, port) = try startServer { $0.idleTimeout = .milliseconds(300) }
        let start = Date()
        let idle = try TestClient(port: port, readTimeout: 5)
        XCTAssertTrue(idle.waitForClose())
        XCTAssertTrue(idle.unread.isEmpty, "closed silently")
        let took = elapsed(since: start)
        XCTAssertGreaterThanOrEqual(took, 0.25)
        XCTAssertLessThan(took, 4)
        XCTAssertTrue(eventually { server.stats.openConnections == 0 })
    }

    func testIdleKeepAliveConnectionIsClosedAfterItsRequest() throws {
        let (_, port) = try startServer { $0.idleTimeout = .milliseconds(300) }
        let client = try TestClient(port: port)
        client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertTrue(client.waitForClose())
    }

    func testConnectionCapPausesAcceptingUntilOneCloses() throws {
        let (server, port) = try startServer { $0.maxConnections = 2 }
        var first: TestClient? = try TestClient(port: port)
        first!.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(first!.readResponse()?.status, 200)
        let second = try TestClient(port: port)
        second.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(second.readResponse()?.status, 200)

        let third = try TestClient(port: port, readTimeout: 0.4)  // completes in the kernel backlog
        third.send("GET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertNil(third.readResponse(), "served beyond the cap")
        XCTAssertEqual(server.stats.openConnections, 2)
        XCTAssertGreaterThanOrEqual(server.stats.acceptPausedAtCapacity, 1)

        first = nil  // closes; the server resumes accepting
        third.setReadTimeout(5)
        XCTAssertEqual(third.readResponse()?.text.hasPrefix("GET /3"), true)
    }

    func testPerAddressCapRefusesTheExtraConnection() throws {
        let (server, port) = try startServer { $0.maxConnectionsPerAddress = 2 }
        var first: TestClient? = try TestClient(port: port)
        first!.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(first!.readResponse()?.status, 200)
        let second = try TestClient(port: port)
        second.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(second.readResponse()?.status, 200)

        let third = try TestClient(port: port)
        let response = third.readResponse()
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.problemCode, "too_many_connections")
        XCTAssertTrue(third.waitForClose())
        XCTAssertEqual(server.stats.rejectedPerAddress, 1)

        first = nil
        XCTAssertTrue(eventually { server.stats.openConnections == 1 })
        try assertServes(port)
    }

    func testHandlerTimeoutAnswers503AndDropsTheLateResponse() throws {
        let (server, port) = try startServer({ $0.handlerTimeout = .milliseconds(100) }, handler: EchoHandler(slowDelay: 0.5))
        let client = try TestClient(port: port)
        client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.problemCode, "handler_timeout")
        XCTAssertTrue(client.waitForClose())
        XCTAssertEqual(server.stats.handlerTimeouts, 1)
    }

    func testGracefulShutdownFinishesInFlightAndRefusesNewConnections() throws {
        let started = DispatchSemaphore(value: 0)
        let handler = EchoHandler(slowDelay: 0.4, onSlowStart: { started.signal() })
        var configuration = HTTPServerConfiguration(ioThreads: 2, workerThreads: 2)
        configuration.shutdownGrace = .seconds(5)
        let server = HTTPServer(configuration: configuration, handler: handler)
        let port = try server.start()

        let idle = try TestClient(port: port)
        idle.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)
        var busy: TestClient! = try TestClient(port: port)
        busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)

        server.shutdown()
        XCTAssertThrowsError(try TestClient(port: port), "new connections are refused")
        XCTAssertTrue(idle.waitForClose(), "idle keep-alive connection closed")

        let response = busy.readResponse()
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.text.hasPrefix("GET /slow"), true)
        XCTAssertEqual(response?.header("Connection"), "close")
        XCTAssertTrue(busy.waitForClose())
        busy = nil  // our close ends the server's linger; otherwise it waits lingerTimeout

        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.waitUntilStopped()
            stopped.signal()
        }
        XCTAssertEqual(stopped.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(server.stats.openConnections, 0)
    }

    func testShutdownGraceCutsHandlersThatNeverFinish() throws {
        let started = DispatchSemaphore(value: 0)
        let handler = EchoHandler(slowDelay: 3, onSlowStart: { started.signal() })
        var configuration = HTTPServerConfiguration(ioThreads: 1, workerThreads: 1)
        configuration.shutdownGrace = .milliseconds(200)
        let server = HTTPServer(configuration: configuration, handler: handler)
        let port = try server.start()
        let busy = try TestClient(port: port)
        busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)
        let start = Date()
        server.shutdown()
        server.waitUntilStopped()
        XCTAssertLessThan(elapsed(since: start), 2.5)
        XCTAssertTrue(busy.waitForClose())
    }

    func testOutOfDescriptorsPausesAcceptingInsteadOfSpinning() throws {
        let (server, port) = try startServer { $0.ioThreads = 1 }
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var original = rlimit()
        getrlimit(resource, &original)
        let highest = (try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).compactMap { Int32($0) }.max() ?? 100
        var lowered = original
        lowered.rlim_cur = rlim_t(highest + 16)
        XCTAssertEqual(setrlimit(resource, &lowered), 0)
        var fillers: [Int32] = []
        defer {
            fillers.forEach { close($0) }
            setrlimit(resource, &original)
        }
        while true {  // take every descriptor the lowered limit leaves
            let fd = dup(STDIN_FILENO)
            if fd < 0 { break }
            fillers.append(fd)
        }
        close(fillers.removeLast())  // exactly one left: for the client
        let client = try TestClient(port: port)
        client.send("GET /late HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(350_000)
        let pauses = server.stats.acceptPausedOutOfDescriptors
        XCTAssertGreaterThanOrEqual(pauses, 1)
        XCTAssertLessThanOrEqual(pauses, 10, "accept retried without pausing")
        fillers.forEach { close($0) }
        fillers = []
        setrlimit(resource, &original)
        XCTAssertEqual(client.readResponse()?.text.hasPrefix("GET /late"), true)
    }
}
