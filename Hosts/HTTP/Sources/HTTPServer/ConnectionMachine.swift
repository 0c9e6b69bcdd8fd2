import CHTTPShim

/// The life of one connection, kept apart from sockets: bytes and instants in, actions out.
///
/// Phases: `idle` (no request started; covers brand-new connections) → `head` (first byte
/// seen, absolute deadline running) → `body` (same deadline: trickled bytes cannot extend
/// it) → `handling` (in the handler; input is not read, so pipelined requests wait in the
/// buffer) → `writing` → back to `idle`, or `lingering` (write side shut, draining input
/// briefly) → closed. Each phase's deadline runs from the start of that phase, except
/// `body`, which inherits the request's deadline.
struct ConnectionMachine {
    enum Phase: Equatable { case idle, head, body, handling, writing, lingering, closed }

    enum Action {
        /// Nothing to do until more input arrives.
        case needInput
        /// Write "100 Continue", then call `advance` again.
        case sendContinue
        /// A complete request: run the handler (the phase is now `handling`).
        case dispatch(RequestHead, body: [UInt8])
        /// Write this problem response and close (the phase is now `writing`).
        case respond(Problem)
        /// Close without a response.
        case close
    }

    private(set) var phase: Phase = .idle
    /// When the current phase expires; `.max` = never.
    private(set) var deadline: UInt64
    /// Set by `Connection: close`, HTTP/1.0, errors, end of input and shutdown.
    private(set) var closeAfterResponse = false
    let limits: ConnectionLimits
    private var pendingHead: RequestHead?
    /// How much of the current head was already searched for its end. Resets with every
    /// head: a stale offset once made bodies in three or more packets hang.
    private var scanned = 0

    init(limits: ConnectionLimits, now: UInt64) {
        self.limits = limits
        self.deadline = now &+ limits.idleTimeout
    }

    /// Consumes what it can from `input` and says what to do next.
    mutating func advance(_ input: InputBuffer, now: UInt64) -> Action {
        switch phase {
        case .idle:
            // RFC 9112 §2.2: ignore empty lines before a request line.
            while !input.isEmpty, input[0] == ASCII.cr || input[0] == ASCII.lf { input.consume(1) }
            guard !input.isEmpty else { return .needInput }
            phase = .head
            deadline = now &+ limits.requestDeadline
            scanned = 0
            return advanceHead(input, now: now)
        case .head:
            return advanceHead(input, now: now)
        case .body:
            return advanceBody(input, now: now)
        case .handling, .writing, .lingering, .closed:
            return .needInput
        }
    }

    private mutating func advanceHead(_ input: InputBuffer, now: UInt64) -> Action {
        let bytes = input.readable
        guard bytes.count > 0 else { return .needInput }
        let from = min(scanned, bytes.count)
        let found = chttp_find_head_end(bytes.baseAddress! + from, bytes.count - from)
        guard found >= 0 else {
            if bytes.count > limits.maxHeaderBytes { return fail(.headerTooLarge, now: now) }
            scanned = max(0, bytes.count - 3)
            return .needInput
        }
        scanned = 0
        let headEnd = from + found
        if headEnd + 4 > limits.maxHeaderBytes { return fail(.headerTooLarge, now: now) }
        let head: RequestHead
        do {
            head = try HeadParser.parse(UnsafeBufferPointer(rebasing: bytes[..<(headEnd + 2)]), maxBodyBytes: limits.maxBodyBytes)
        } catch {
            return fail(error, now: now)
        }
        input.consume(headEnd + 4)
        if !head.keepAlive { closeAfterResponse = true }
        if head.contentLength == 0 { return dispatch(head, body: [], now: now) }
        pendingHead = head
        phase = .body
        if head.expectsContinue, input.count < head.contentLength { return .sendContinue }
        return advanceBody(input, now: now)
    }

    private mutating func advanceBody(_ input: InputBuffer, now: UInt64) -> Action {
        guard let head = pendingHead else { return fail(.badRequest("Internal framing error."), now: now) }
        guard input.count >= head.contentLength else { return .needInput }
        let body = Array(UnsafeBufferPointer(rebasing: input.readable[..<head.contentLength]))
        input.consume(head.contentLength)
        pendingHead = nil
        return dispatch(head, body: body, now: now)
    }

    private mutating func dispatch(_ head: RequestHead, body: [UInt8], now: UInt64) -> Action {
        phase = .handling
        deadline = limits.handlerTimeout.map { now &+ $0 } ?? .max
        return .dispatch(head, body: body)
    }

    private mutating func fail(_ problem: Problem, now: UInt64) -> Action {
        pendingHead = nil
        closeAfterResponse = true
        phase = .writing
        deadline = now &+ limits.requestDeadline
        return .respond(problem)
    }

    /// The handler answered; `close` if the response or the server wants the connection closed.
    mutating func responseReady(now: UInt64, close: Bool) {
        if close { closeAfterResponse = true }
        phase = .writing
        deadline = now &+ limits.requestDeadline
    }

    /// The response is fully written. Returns true if the connection stays open (phase
    /// `idle`; call `advance` for pipelined input), false if it now lingers before closing.
    mutating func responseWritten(now: UInt64) -> Bool {
        if closeAfterResponse {
            phase = .lingering
            deadline = now &+ limits.lingerTimeout
            return false
        }
        phase = .idle
        deadline = now &+ limits.idleTimeout
        return true
    }

    /// The peer closed its side. Returns true if the connection should close now.
    mutating func inputEnded() -> Bool {
        switch phase {
        case .idle, .head, .body, .lingering, .closed:
            phase = .closed
            return true
        case .handling, .writing:
            closeAfterResponse = true  // e.g. `printf 'GET /…' | nc`: answer, then close
            return false
        }
    }

    /// Shutdown started: finish what is in flight, then close. Returns true if the
    /// connection has nothing in flight and should close now.
    mutating func beginShutdown() -> Bool {
        closeAfterResponse = true
        if phase == .idle { phase = .closed; return true }
        return false
    }

    /// What to do if the current phase's deadline has passed; nil while it has not.
    mutating func expire(now: UInt64) -> Action? {
        guard now >= deadline else { return nil }
        switch phase {
        case .idle, .writing, .lingering, .closed:
            phase = .closed
            return .close
        case .head, .body:
            return fail(.timeout, now: now)
        case .handling:
            return fail(.handlerTimeout, now: now)
        }
    }

    /// Forget everything (the connection was closed by the loop).
    mutating func markClosed() { phase = .closed }
}
