import XCTest
@testable import HTTPServer

/// The state machine alone, with made-up instants: timeouts without sleeping, and every
/// way a request can be cut into packets.
final class ConnectionMachineTests: XCTestCase {
    private let ms: UInt64 = 1_000_000
    private let limits = ConnectionLimits(
        maxHeaderBytes: 256, maxBodyBytes: 64, requestDeadline: 300_000_000, idleTimeout: 500_000_000,
        handlerTimeout: 1_000_000_000, lingerTimeout: 100_000_000)

    private func feed(_ machine: inout ConnectionMachine, _ input: InputBuffer, _ text: String, at now: UInt64) -> ConnectionMachine.Action {
        input.append(Array(text.utf8))
        return machine.advance(input, now: now)
    }

    private func dispatched(_ action: ConnectionMachine.Action) -> (RequestHead, [UInt8])? {
        if case .dispatch(let head, let body) = action { return (head, body) }
        return nil
    }

    private func problem(_ action: ConnectionMachine.Action?) -> Problem? {
        if case .respond(let problem)? = action { return problem }
        return nil
    }

    private func isClose(_ action: ConnectionMachine.Action?) -> Bool {
        if case .close? = action { return true }
        return false
    }

    func testNewConnectionExpiresAfterIdleTimeout() {
        var machine = ConnectionMachine(limits: limits, now: 1000 * ms)
        XCTAssertNil(machine.expire(now: 1499 * ms))
        XCTAssertTrue(isClose(machine.expire(now: 1500 * ms)))
    }

    func testTrickledHeadCannotExtendTheDeadline() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        var now: UInt64 = 10 * ms
        for byte in "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaa".utf8 {
            input.append([byte])
            guard case .needInput = machine.advance(input, now: now) else { return XCTFail("unexpected action") }
            if now < 310 * ms { XCTAssertNil(machine.expire(now: now)) }
            now += 5 * ms
        }
        XCTAssertEqual(machine.phase, .head)
        XCTAssertEqual(problem(machine.expire(now: 310 * ms)), .timeout, "deadline runs from the first byte")
        XCTAssertTrue(machine.closeAfterResponse)
    }

    func testBodyInheritsTheRequestDeadline() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        _ = feed(&machine, input, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab", at: 100 * ms)
        XCTAssertEqual(machine.phase, .body)
        _ = feed(&machine, input, "cd", at: 350 * ms)
        XCTAssertNil(machine.expire(now: 399 * ms))
        XCTAssertEqual(problem(machine.expire(now: 400 * ms)), .timeout)
    }

    func testHandlerTimeoutRunsFromDispatch() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        XCTAssertNotNil(dispatched(feed(&machine, input, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", at: 100 * ms)))
        XCTAssertEqual(machine.phase, .handling)
        XCTAssertNil(machine.expire(now: 1099 * ms))
        XCTAssertEqual(problem(machine.expire(now: 1100 * ms)), .handlerTimeout)
    }

    func testKeepAliveReturnsToIdleWithFreshTimeout() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        _ = feed(&machine, input, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", at: 10 * ms)
        machine.responseReady(now: 20 * ms, close: false)
        XCTAssertTrue(machine.responseWritten(now: 30 * ms))
        XCTAssertEqual(machine.phase, .idle)
        XCTAssertNil(machine.expire(now: 529 * ms))
        XCTAssertTrue(isClose(machine.expire(now: 530 * ms)))
    }

    func testCloseAfterResponseLingersThenCloses() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        _ = feed(&machine, input, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", at: 10 * ms)
        XCTAssertTrue(machine.closeAfterResponse)
        machine.responseReady(now: 20 * ms, close: false)
        XCTAssertFalse(machine.responseWritten(now: 30 * ms))
        XCTAssertEqual(machine.phase, .lingering)
        XCTAssertTrue(isClose(machine.expire(now: 130 * ms)))
    }

    func testPipelinedRequestsWaitForTheirTurn() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        let action = feed(&machine, input, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\n", at: 0)
        XCTAssertEqual(dispatched(action)?.0.path, "/1")
        guard case .needInput = machine.advance(input, now: 1) else { return XCTFail("read a request while handling") }
        for expected in ["/2", "/3"] {
            machine.responseReady(now: 2, close: false)
            XCTAssertTrue(machine.responseWritten(now: 3))
            let next = dispatched(machine.advance(input, now: 4))
            XCTAssertEqual(next?.0.path, expected)
            if expected == "/2" { XCTAssertEqual(next?.1, Array("hi".utf8)) }
        }
        XCTAssertTrue(input.isEmpty)
    }

    func testEverySplitOfARequestParsesTheSame() {
        let request = Array("POST /p?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world".utf8)
        for first in 1..<request.count {
            for second in first..<request.count {
                var machine = ConnectionMachine(limits: limits, now: 0)
                let input = InputBuffer()
                var result: (RequestHead, [UInt8])?
                for chunk in [request[..<first], request[first..<second], request[second...]] where !chunk.isEmpty {
                    XCTAssertNil(result, "dispatched before the last chunk")
                    input.append(Array(chunk))
                    result = dispatched(machine.advance(input, now: 0))
                }
                XCTAssertEqual(result?.1, Array("hello world".utf8), "split at \(first), \(second)")
                XCTAssertEqual(result?.0.query.first?.value, "1")
            }
        }
    }

    func testOneByteAtATime() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        let request = Array("\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n12345".utf8)
        for (index, byte) in request.enumerated() {
            input.append([byte])
            let action = machine.advance(input, now: 0)
            if index < request.count - 1 {
                guard case .needInput = action else { return XCTFail("early action at \(index)") }
            } else {
                XCTAssertEqual(dispatched(action)?.1, Array("12345".utf8))
            }
        }
    }

    func testHeadWithoutEndIsRejectedOnceOverTheLimit() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        guard case .needInput = feed(&machine, input, "GET / HTTP/1.1\r\n" + String(repeating: "a", count: 200), at: 0) else {
            return XCTFail("rejected below the limit")
        }
        XCTAssertEqual(problem(feed(&machine, input, String(repeating: "a", count: 100), at: 0)), .headerTooLarge)
    }

    func testExpectContinueAsksForTheBody() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        guard case .sendContinue = feed(&machine, input, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", at: 0)
        else { return XCTFail("no 100-continue") }
        guard case .needInput = machine.advance(input, now: 0) else { return XCTFail("expected to wait for the body") }
        XCTAssertEqual(dispatched(feed(&machine, input, "abc", at: 0))?.1, Array("abc".utf8))
    }

    func testEndOfInputWhileHandlingClosesAfterTheResponse() {
        var machine = ConnectionMachine(limits: limits, now: 0)
        let input = InputBuffer()
        _ = feed(&machine, input, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", at: 0)
        XCTAssertFalse(machine.inputEnded())
        machine.responseReady(now: 1, close: false)
        XCTAssertFalse(machine.responseWritten(now: 2))
    }

    func testShutdownClosesIdleAndLetsHandlingFinish() {
        var idle = ConnectionMachine(limits: limits, now: 0)
        XCTAssertTrue(idle.beginShutdown())
        var busy = ConnectionMachine(limits: limits, now: 0)
        _ = feed(&busy, InputBuffer(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n", at: 0)
        XCTAssertFalse(busy.beginShutdown())
        busy.responseReady(now: 1, close: false)
        XCTAssertFalse(busy.responseWritten(now: 2))
    }
}
