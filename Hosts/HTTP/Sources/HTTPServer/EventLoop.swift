import CHTTPShim
import Glibc
import Synchronization

/// One I/O thread: an epoll instance, the connections it owns and (loop 0 only) the
/// listening socket. Sockets are non-blocking and registered once, edge-triggered, for
/// input and output; the loop tries each call first and waits for readiness only after
/// EAGAIN, so a keep-alive request costs no epoll_ctl.
///
/// Thread confinement: everything below `// Loop thread only` is touched by the loop's own
/// thread alone; other threads talk to it through `post(_:)` (a locked inbox plus an
/// eventfd wake-up). That is why the class is `@unchecked Sendable`.
final class EventLoop: @unchecked Sendable {
    enum Message {
        case adopt(fd: Int32, address: String)
        case response(fd: Int32, connectionID: UInt64, HTTPResponse)
        case resumeAccepting
        case wake
    }

    static let wakeToken: UInt64 = .max
    static let listenToken: UInt64 = .max - 1
    static let connectionEvents = chttp_EPOLLIN | chttp_EPOLLOUT | chttp_EPOLLRDHUP | chttp_EPOLLET

    let index: Int
    let core: ServerCore
    private let epfd: Int32
    private let wakeFD: Int32
    private let inbox = Mutex<[Message]>([])
    private let wakePending = Atomic<Bool>(false)

    // Loop thread only.
    var peers: [EventLoop] = []
    private var connections: [Connection?] = []
    private var openHere = 0
    private var nextConnectionID: UInt64 = 0
    private var nextPeer = 0
    private var listening = false
    private var listenerClosed = false
    private var acceptResumeAt: UInt64?
    private var nextSweep: UInt64 = 0
    private var sawStop = false
    private var dateCache = DateHeaderCache()
    private var headScratch: [UInt8] = []
    private var drained: [Message] = []
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)

    init(index: Int, core: ServerCore) throws(HTTPServerError) {
        self.index = index
        self.core = core
        epfd = chttp_epoll_create()
        wakeFD = chttp_eventfd()
        guard epfd >= 0, wakeFD >= 0 else { throw .system("epoll/eventfd", errno) }
        _ = chttp_epoll_add(epfd, wakeFD, chttp_EPOLLIN, EventLoop.wakeToken)
        headScratch.reserveCapacity(512)
    }

    /// Closed only when nothing can post any more (workers keep a reference while a job is
    /// out), so a late wake-up never writes to a reused descriptor.
    deinit {
        close(wakeFD)
        close(epfd)
        scratch.deallocate()
    }

    /// Hands a message to this loop from any thread.
    func post(_ message: Message) {
        inbox.withLock { $0.append(message) }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { chttp_eventfd_signal(wakeFD) }
    }

    // MARK: - Loop

    func run() {
        if index == 0, core.listenFD.load(ordering: .acquiring) >= 0 { listen(true) }
        var events = [chttp_event](repeating: chttp_event(), count: 256)
        let sweepInterval = core.limits.sweepInterval
        var now = core.clock.now()
        nextSweep = now &+ sweepInterval
        while true {
            let timeout = waitTimeout(now: now)
            let count = events.withUnsafeMutableBufferPointer { chttp_epoll_wait(epfd, $0.baseAddress, 256, timeout) }
            now = core.clock.now()
            dateCache.refresh()
            if count < 0, errno != EINTR { break }
            for slot in 0..<max(0, Int(count)) {
                let event = events[slot]
                switch event.token {
                case EventLoop.wakeToken:
                    chttp_eventfd_drain(wakeFD)
                    wakePending.store(false, ordering: .sequentiallyConsistent)
                    processInbox(now: now)
                case EventLoop.listenToken:
                    acceptConnections(now: now)
                default:
                    connectionEvent(fd: Int32(truncatingIfNeeded: event.token), events: event.events, now: now)
                }
            }
            if now >= nextSweep {
                sweep(now: now)
                nextSweep = now &+ sweepInterval
            }
            if let resumeAt = acceptResumeAt, now >= resumeAt {
                acceptResumeAt = nil
                listen(true)
            }
            if core.stopping.load(ordering: .acquiring), stopStep(now: now) { break }
        }
        if index == 0 { closeListener() }
        core.loopExited()
    }

    private func waitTimeout(now: UInt64) -> Int32 {
        var until: UInt64 = .max
        if openHere > 0 { until = nextSweep }
        if let resumeAt = acceptResumeAt { until = min(until, resumeAt) }
        if sawStop { until = min(until, now &+ 50_000_000, core.graceDeadline.load(ordering: .relaxed)) }
        if until == .max { return -1 }
        if until <= now { return 0 }
        return Int32(min((until - now + 999_999) / 1_000_000, 60_000))
    }

    private func processInbox(now: UInt64) {
        inbox.withLock { swap(&$0, &drained) }
        for message in drained {
            switch message {
            case .adopt(let fd, let address): adopt(fd: fd, address: address, now: now)
            case .response(let fd, let id, let response): deliver(response, fd: fd, id: id, now: now)
            case .resumeAccepting: if acceptResumeAt == nil { listen(true) }
            case .wake: break
            }
        }
        drained.removeAll(keepingCapacity: true)
    }

    // MARK: - Shutdown

    /// One step of a graceful stop; true when this loop may exit.
    private func stopStep(now: UInt64) -> Bool {
        if !sawStop {
            sawStop = true
            if index == 0 {
                closeListener()
                core.acceptorClosed.store(true, ordering: .releasing)
                for peer in peers where peer !== self { peer.post(.wake) }
            }
            forEachConnection { connection in
                if connection.machine.beginShutdown() { closeConnection(connection) }
            }
        }
        if now >= core.graceDeadline.load(ordering: .relaxed) {
            forEachConnection { closeConnection($0) }
        }
        guard core.acceptorClosed.load(ordering: .acquiring) else { return false }
        processInbox(now: now)  // connections handed over before the listener closed
        return openHere == 0
    }

    private func forEachConnection(_ body: (Connection) -> Void) {
        for slot in connections.indices { if let connection = connections[slot] { body(connection) } }
    }

    // MARK: - Accepting (loop 0)

    private func listen(_ on: Bool) {
        let fd = core.listenFD.load(ordering: .acquiring)
        guard fd >= 0, !listenerClosed, on != listening else { return }
        if on {
            guard !core.stopping.load(ordering: .acquiring) else { return }
            listening = chttp_epoll_add(epfd, fd, chttp_EPOLLIN, EventLoop.listenToken) == 0
        } else {
            _ = chttp_epoll_remove(epfd, fd)
            listening = false
        }
    }

    private func closeListener() {
        guard !listenerClosed else { return }
        let fd = core.listenFD.load(ordering: .acquiring)
        listen(false)
        listenerClosed = true
        if fd >= 0 { close(fd) }
    }

    private func acceptConnections(now: UInt64) {
        let listenFD = core.listenFD.load(ordering: .acquiring)
        var address = [CChar](repeating: 0, count: 64)
        for _ in 0..<64 {
            if core.stats.open.load(ordering: .acquiring) >= core.configuration.maxConnections {
                pauseAtCapacity()
                return
            }
            let fd = chttp_accept(listenFD, &address, 64)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop listening for a moment rather than spin on a
                    // level-triggered listener that can never be accepted from.
                    core.stats.pausedOutOfDescriptors.wrappingAdd(1, ordering: .relaxed)
                    listen(false)
                    acceptResumeAt = now &+ 100_000_000
                    return
                default:  // EINVAL after shutdown(SHUT_RD) on the listener, or worse
                    listen(false)
                    return
                }
            }
            let peer = String(decoding: address.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard core.reserve(address: peer) else {
                refuse(fd)
                continue
            }
            core.stats.open.wrappingAdd(1, ordering: .acquiringAndReleasing)
            core.stats.accepted.wrappingAdd(1, ordering: .relaxed)
            chttp_set_nodelay(fd)
            let target = peers[nextPeer % peers.count]
            nextPeer &+= 1
            if target === self { adopt(fd: fd, address: peer, now: now) } else { target.post(.adopt(fd: fd, address: peer)) }
        }
    }

    private func pauseAtCapacity() {
        listen(false)
        core.stats.pausedAtCapacity.wrappingAdd(1, ordering: .relaxed)
        core.pausedAtCapacity.store(true, ordering: .sequentiallyConsistent)
        // A connection may have closed between the check and the flag: look again.
        if core.stats.open.load(ordering: .sequentiallyConsistent) < core.configuration.maxConnections,
           core.pausedAtCapacity.exchange(false, ordering: .acquiringAndReleasing)
        {
            listen(true)
        }
    }

    /// Over the per-address cap: read what the client already sent (so close does not turn
    /// into a reset that hides the answer), answer 503 and close.
    private func refuse(_ fd: Int32) {
        core.stats.rejectedPerAddress.wrappingAdd(1, ordering: .relaxed)
        _ = recv(fd, scratch.baseAddress, scratch.count, 0)  // non-blocking socket
        var bytes: [UInt8] = []
        ResponseEncoder.appendHead(
            of: Problem.tooManyConnections.response, bodyLength: Problem.tooManyConnections.body.count, close: true,
            http10KeepAlive: false, date: dateCache.line, to: &bytes)
        bytes += Problem.tooManyConnections.body
        _ = chttp_send(fd, bytes, bytes.count)
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    // MARK: - Connections

    private func adopt(fd: Int32, address: String, now: UInt64) {
        if sawStop {
            close(fd)
            core.connectionClosed(address: address)
            return
        }
        nextConnectionID &+= 1
        let connection = Connection(fd: fd, id: nextConnectionID, remoteAddress: address, limits: core.limits, now: now)
        let slot = Int(fd)
        if slot >= connections.count { connections.append(contentsOf: repeatElement(nil, count: slot + 64 - connections.count)) }
        connections[slot] = connection
        openHere += 1
        guard chttp_epoll_add(epfd, fd, EventLoop.connectionEvents, UInt64(fd)) == 0 else {
            closeConnection(connection)
            return
        }
        drive(connection, now: now)  // try the read first: the request is often already there
    }

    private func closeConnection(_ connection: Connection) {
        guard connections[Int(connection.fd)] === connection else { return }
        connections[Int(connection.fd)] = nil
        connection.machine.markClosed()
        openHere -= 1
        close(connection.fd)  // also leaves epoll
        core.connectionClosed(address: connection.remoteAddress)
    }

    private func connectionEvent(fd: Int32, events: UInt32, now: UInt64) {
        guard Int(fd) < connections.count, let connection = connections[Int(fd)] else { return }
        if events & chttp_EPOLLERR != 0 {
            closeConnection(connection)
            return
        }
        if events & (chttp_EPOLLIN | chttp_EPOLLRDHUP | chttp_EPOLLHUP) != 0 { connection.readable = true }
        drive(connection, now: now)
    }

    /// Moves a connection as far as it can go without blocking.
    private func drive(_ connection: Connection, now: UInt64) {
        while connections[Int(connection.fd)] === connection {
            if connection.hasPendingOutput {
                switch flush(connection) {
                case .failed: closeConnection(connection); return
                case .pending: if connection.machine.phase == .writing { return }
                case .done: break
                }
            }
            switch connection.machine.phase {
            case .handling, .closed:
                return
            case .writing:
                if connection.machine.responseWritten(now: now) { continue }
                shutdown(connection.fd, Int32(SHUT_WR))  // FIN after the response; then drain
                continue
            case .lingering:
                linger(connection)
                return
            case .idle, .head, .body:
                break
            }
            switch connection.machine.advance(connection.input, now: now) {
            case .needInput:
                if connection.peerClosed {
                    if connection.machine.inputEnded() { closeConnection(connection) }
                    return
                }
                guard connection.readable else { return }
                if !receive(connection) { return }
            case .sendContinue:
                connection.output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
            case .dispatch(let head, let body):
                dispatch(head, body: body, on: connection)
                return
            case .respond(let problem):
                core.stats.errorResponses.wrappingAdd(1, ordering: .relaxed)
                enqueue(problem.response, on: connection, isHead: false, http10KeepAlive: false)
            case .close:
                closeConnection(connection)
                return
            }
        }
    }

    /// Reads once into the input buffer. False if the connection was closed.
    private func receive(_ connection: Connection) -> Bool {
        let space = connection.input.writableSpace(minimum: 4096)
        let wanted = min(space.count, 64 * 1024)
        let count = recv(connection.fd, space.baseAddress, wanted, 0)
        if count > 0 {
            connection.input.didWrite(count)
            if count < wanted { connection.readable = false }  // drained; the next arrival is a new edge
            return true
        }
        if count == 0 {
            connection.peerClosed = true
            connection.readable = false
            return true
        }
        switch errno {
        case EAGAIN, EWOULDBLOCK: connection.readable = false; return true
        case EINTR: return true
        default: closeConnection(connection); return false
        }
    }

    /// Discards input after the final response until the peer closes or the linger time ends.
    private func linger(_ connection: Connection) {
        if connection.peerClosed { closeConnection(connection); return }
        while connection.readable {
            let count = recv(connection.fd, scratch.baseAddress, scratch.count, 0)
            if count > 0 { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { connection.readable = false; return }
            if count < 0, errno == EINTR { continue }
            closeConnection(connection)
            return
        }
    }

    private func dispatch(_ head: RequestHead, body: [UInt8], on connection: Connection) {
        connection.requestIsHead = head.isHead
        connection.requestIsHTTP10 = !head.isHTTP11
        core.stats.requests.wrappingAdd(1, ordering: .relaxed)
        let request = HTTPRequest(
            method: head.method, target: head.target, path: head.path, query: head.query, headers: head.headers,
            body: body, remoteAddress: connection.remoteAddress)
        core.workers.submit(.init(loop: self, fd: connection.fd, connectionID: connection.id, request: request))
    }

    /// A handler's response came back. Dropped if the connection is gone or timed out.
    private func deliver(_ response: HTTPResponse, fd: Int32, id: UInt64, now: UInt64) {
        guard Int(fd) < connections.count, let connection = connections[Int(fd)], connection.id == id,
              connection.machine.phase == .handling
        else { return }
        let close = ResponseEncoder.wantsClose(response) || core.stopping.load(ordering: .relaxed)
        connection.machine.responseReady(now: now, close: close)
        enqueue(
            response, on: connection, isHead: connection.requestIsHead,
            http10KeepAlive: connection.requestIsHTTP10 && !connection.machine.closeAfterResponse)
        drive(connection, now: now)
    }

    /// Encodes the head and tries to send head and body in one sendmsg; whatever the socket
    /// does not take is copied to the connection's output for EPOLLOUT.
    private func enqueue(_ response: HTTPResponse, on connection: Connection, isHead: Bool, http10KeepAlive: Bool) {
        headScratch.removeAll(keepingCapacity: true)
        let sendsBody = !isHead && ResponseEncoder.hasBody(status: response.status)
        ResponseEncoder.appendHead(
            of: response, bodyLength: response.body.count, close: connection.machine.closeAfterResponse,
            http10KeepAlive: http10KeepAlive, date: dateCache.line, to: &headScratch)
        let bodyCount = sendsBody ? response.body.count : 0
        var sent: Int = 0
        if !connection.hasPendingOutput {
            sent = headScratch.withUnsafeBytes { head in
                response.body.withUnsafeBytes { body in
                    chttp_send2(connection.fd, head.baseAddress, head.count, body.baseAddress, bodyCount)
                }
            }
            sent = max(sent, 0)  // a hard error shows up again in flush, which closes
        }
        if sent == headScratch.count + bodyCount { return }
        if !connection.hasPendingOutput {
            connection.output.removeAll(keepingCapacity: true)
            connection.outputOffset = 0
        }
        if sent < headScratch.count {
            connection.output.append(contentsOf: headScratch[sent...])
            if bodyCount > 0 { connection.output.append(contentsOf: response.body) }
        } else {
            connection.output.append(contentsOf: response.body[(sent - headScratch.count)...])
        }
    }

    private enum FlushResult { case done, pending, failed }

    private func flush(_ connection: Connection) -> FlushResult {
        while connection.hasPendingOutput {
            let count = connection.output.withUnsafeBytes { bytes in
                chttp_send(connection.fd, bytes.baseAddress! + connection.outputOffset, bytes.count - connection.outputOffset)
            }
            if count > 0 { connection.outputOffset += count; continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return .pending }
            if count < 0, errno == EINTR { continue }
            return .failed
        }
        connection.output.removeAll(keepingCapacity: connection.output.capacity <= 64 * 1024)
        connection.outputOffset = 0
        return .done
    }

    // MARK: - Deadlines

    private func sweep(now: UInt64) {
        forEachConnection { connection in
            guard now >= connection.machine.deadline else { return }
            let phase = connection.machine.phase
            switch connection.machine.expire(now: now) {
            case .close?:
                if phase == .idle { core.stats.timedOut.wrappingAdd(1, ordering: .relaxed) }
                closeConnection(connection)
            case .respond(let problem)?:
                core.stats.errorResponses.wrappingAdd(1, ordering: .relaxed)
                if problem == .handlerTimeout {
                    core.stats.handlerTimeouts.wrappingAdd(1, ordering: .relaxed)
                } else {
                    core.stats.timedOut.wrappingAdd(1, ordering: .relaxed)
                }
                enqueue(problem.response, on: connection, isHead: false, http10KeepAlive: false)
                drive(connection, now: now)
            default:
                break
            }
        }
    }
}
