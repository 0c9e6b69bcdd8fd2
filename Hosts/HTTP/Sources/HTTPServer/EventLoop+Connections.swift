import CHTTPShim
import Glibc

/// Reading and driving connections: what the loop does with readiness events and
/// handler responses.
extension EventLoop {
    func adopt(fd: Int32, address: String, now: UInt64) {
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
        guard chttp_epoll_add(epfd, fd, EventLoop.connectionEvents, EventLoop.token(fd: fd, id: connection.id)) == 0 else {
            closeConnection(connection)
            return
        }
        drive(connection, now: now)  // try the read first: the request is often already there
    }

    func closeConnection(_ connection: Connection) {
        guard connections[Int(connection.fd)] === connection else { return }
        connections[Int(connection.fd)] = nil
        connection.machine.markClosed()
        openHere -= 1
        close(connection.fd)  // also leaves epoll
        core.connectionClosed(address: connection.remoteAddress)
    }

    /// The epoll token of a connection: its descriptor in the low 32 bits and (part of) its
    /// id above, so that an event still queued for a closed connection is not delivered to a
    /// new one that got the same descriptor number in the same batch. The id is kept to 30
    /// bits so that no token reaches the wake and listen tokens at the top of the range.
    static func token(fd: Int32, id: UInt64) -> UInt64 {
        (id & 0x3FFF_FFFF) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    func connectionEvent(token: UInt64, events: UInt32, now: UInt64) {
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        guard fd >= 0, Int(fd) < connections.count, let connection = connections[Int(fd)],
              EventLoop.token(fd: fd, id: connection.id) == token else { return }
        if events & chttp_EPOLLERR != 0 {
            closeConnection(connection)
            return
        }
        if events & (chttp_EPOLLIN | chttp_EPOLLRDHUP | chttp_EPOLLHUP) != 0 { connection.readable = true }
        drive(connection, now: now)
    }

    /// Moves a connection as far as it can go without blocking.
    func drive(_ connection: Connection, now: UInt64) {
        var immediateAnswers = 0
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
                // An immediate answer is sent from this loop (no recursion: pipelined requests
                // are taken one per turn of this loop).
                guard let response = dispatch(head, body: body, on: connection) else { return }
                respond(response, on: connection, now: now)
                // Fairness: a client pipelining fast may not keep this loop to itself. After
                // a few answers it waits for the next turn, after the other connections'
                // events (edge-triggered epoll will not report its buffered input again).
                immediateAnswers += 1
                if immediateAnswers >= EventLoop.immediateAnswersPerTurn {
                    _ = flush(connection)
                    resumable.append(connection)
                    return
                }
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
    func receive(_ connection: Connection) -> Bool {
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
    func linger(_ connection: Connection) {
        if connection.peerClosed { closeConnection(connection); return }
        // Bounded per wake-up so that a fast sender cannot hold this loop; more input is a
        // new edge, and the linger deadline closes the connection in any case.
        var reads = 0
        while connection.readable && reads < 16 {
            reads += 1
            let count = recv(connection.fd, scratch.baseAddress, scratch.count, 0)
            if count > 0 { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { connection.readable = false; return }
            if count < 0, errno == EINTR { continue }
            closeConnection(connection)
            return
        }
    }

    /// Hands a complete request to the workers, or returns the handler's immediate answer
    /// (`respondWithoutWaiting`), which the caller delivers on this thread.
    func dispatch(_ head: RequestHead, body: [UInt8], on connection: Connection) -> HTTPResponse? {
        connection.requestIsHead = head.isHead
        connection.requestIsHTTP10 = !head.isHTTP11
        core.stats.requests.wrappingAdd(1, ordering: .relaxed)
        let request = HTTPRequest(
            method: head.method, target: head.target, path: head.path, query: head.query, headers: head.headers,
            body: body, remoteAddress: connection.remoteAddress)
        if let response = core.handler.respondWithoutWaiting(request) { return response }
        jobs.append(.init(loop: self, fd: connection.fd, connectionID: connection.id, request: request,
                          batchable: core.handler.isBatchable(request)))
        return nil
    }

    /// A handler's response came back. Dropped if the connection is gone or timed out.
    func deliver(_ response: HTTPResponse, fd: Int32, id: UInt64, now: UInt64) {
        guard Int(fd) < connections.count, let connection = connections[Int(fd)], connection.id == id,
              connection.machine.phase == .handling
        else { return }
        respond(response, on: connection, now: now)
        drive(connection, now: now)
    }

    /// Queues the response of the connection's current request for writing.
    private func respond(_ response: HTTPResponse, on connection: Connection, now: UInt64) {
        let close = ResponseEncoder.wantsClose(response) || core.stopping.load(ordering: .relaxed)
        connection.machine.responseReady(now: now, close: close)
        enqueue(
            response, on: connection, isHead: connection.requestIsHead,
            http10KeepAlive: connection.requestIsHTTP10 && !connection.machine.closeAfterResponse)
    }
}
