import CHTTPShim
import Glibc

/// The listening socket (loop 0 only): accepting, the caps, and pausing instead of spinning.
extension EventLoop {
    func listen(_ on: Bool) {
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

    func closeListener() {
        guard !listenerClosed else { return }
        let fd = core.listenFD.load(ordering: .acquiring)
        listen(false)
        listenerClosed = true
        if fd >= 0 { close(fd) }
    }

    func acceptConnections(now: UInt64) {
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

    func pauseAtCapacity() {
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
    func refuse(_ fd: Int32) {
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
}
