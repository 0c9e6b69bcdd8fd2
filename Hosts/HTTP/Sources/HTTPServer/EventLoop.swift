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
    let epfd: Int32
    private let wakeFD: Int32
    private let inbox = Mutex<[Message]>([])
    private let wakePending = Atomic<Bool>(false)

    // Loop thread only.
    var peers: [EventLoop] = []
    var connections: [Connection?] = []
    var openHere = 0
    var nextConnectionID: UInt64 = 0
    var nextPeer = 0
    var listening = false
    var listenerClosed = false
    var acceptResumeAt: UInt64?
    var nextSweep: UInt64 = 0
    var sawStop = false
    var dateCache = DateHeaderCache()
    var headScratch: [UInt8] = []
    var drained: [Message] = []
    /// Requests parsed during one event batch, handed to the workers together at its end.
    var jobs: [WorkerPool.Job] = []
    /// Connections that stopped after `immediateAnswersPerTurn` answers given at once, to
    /// drive again after the next wait (which then does not block).
    var resumable: [Connection] = []
    static let immediateAnswersPerTurn = 32
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)

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
            if !jobs.isEmpty {
                core.workers.submit(jobs)
                jobs.removeAll(keepingCapacity: true)
            }
            let timeout = resumable.isEmpty ? waitTimeout(now: now) : 0
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
                    connectionEvent(token: event.token, events: event.events, now: now)
                }
            }
            if !resumable.isEmpty {
                let turn = resumable
                resumable.removeAll(keepingCapacity: true)
                for connection in turn where connections[Int(connection.fd)] === connection { drive(connection, now: now) }
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
        peers = []  // breaks the loop ↔ loop cycle so the loops (and their fds) can be freed
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

    func processInbox(now: UInt64) {
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
}
