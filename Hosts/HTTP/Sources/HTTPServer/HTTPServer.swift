import CHTTPShim
import Glibc
import Synchronization

/// An HTTP/1.1 server: `ioThreads` epoll loops for the sockets, `workerThreads` threads
/// for the handler. No thread per client; an idle keep-alive connection costs a slot in
/// a loop's table and its buffers.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080), handler: MyHandler())
/// let port = try server.start()
/// server.shutdownOnSignals()
/// server.waitUntilStopped()
/// ```
///
/// Locking: mutable state is in `Mutex`/`Atomic` (here and in `ServerCore`); per-connection
/// state belongs to one loop thread.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let state = Mutex<State>(State())

    private struct State: Sendable {
        var started = false
        var loops: [EventLoop] = []
        var signalSources: [SignalSourceBox] = []
    }

    public convenience init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.init(configuration: configuration, handler: handler, clock: MonotonicClock())
    }

    init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, clock: any ServerClock) {
        core = ServerCore(configuration: configuration, handler: handler, clock: clock)
    }

    public var configuration: HTTPServerConfiguration { core.configuration }

    /// Binds and listens, starts the threads and returns the bound port (useful with port 0).
    /// SIGPIPE is ignored process-wide from here on (sends also use MSG_NOSIGNAL).
    @discardableResult
    public func start() throws -> Int {
        try state.withLock { state throws(HTTPServerError) -> Int in
            guard !state.started else { throw .alreadyStarted }
            signal(SIGPIPE, SIG_IGN)
            let configuration = core.configuration
            var port: Int32 = 0
            let fd = chttp_listen(configuration.host, Int32(configuration.port), Int32(configuration.backlog), &port)
            // A failed bind leaves the server unstarted: start() may be tried again.
            guard fd >= 0 else { throw .bind(host: configuration.host, port: configuration.port, errno: -fd) }
            var loops: [EventLoop] = []
            do throws(HTTPServerError) {
                for index in 0..<configuration.ioThreads { loops.append(try EventLoop(index: index, core: core)) }
            } catch {
                close(fd)
                throw error
            }
            state.started = true
            core.listenFD.store(fd, ordering: .releasing)
            for loop in loops { loop.peers = loops }
            core.acceptor.withLock { $0 = loops[0] }
            state.loops = loops
            guard core.workers.start(count: configuration.workerThreads) else { throw .threads }
            core.runningLoops.store(loops.count, ordering: .releasing)
            for loop in loops {
                guard startThread(name: "http-io-\(loop.index)", { loop.run() }) else { throw .threads }
            }
            return Int(port)
        }
    }

    /// Graceful stop: new connections are refused at once, idle keep-alive connections close,
    /// requests in flight finish (their responses carry `Connection: close`) for up to
    /// `shutdownGrace`; then the threads exit. Returns immediately; idempotent.
    public func shutdown() {
        guard !core.stopping.load(ordering: .acquiring) else { return }
        core.graceDeadline.store(core.clock.now() &+ core.configuration.shutdownGrace.nanoseconds, ordering: .releasing)
        // Stops the kernel from completing new handshakes right now (connects are refused),
        // without freeing the descriptor number the acceptor loop still holds. Done before
        // `stopping` is set: once it is, the acceptor loop may close the descriptor.
        let listenFD = core.listenFD.load(ordering: .acquiring)
        if listenFD >= 0 { Glibc.shutdown(listenFD, Int32(SHUT_RD)) }
        guard !core.stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let loops = state.withLock { $0.loops }
        if loops.isEmpty { core.stopped.open() }
        for loop in loops { loop.post(.wake) }
    }

    /// Blocks until a started server has stopped (returns at once if never started).
    public func waitUntilStopped() {
        guard state.withLock({ $0.started }) else { return }
        core.stopped.wait()
    }

    public var stats: HTTPServerStats { core.stats.snapshot }

    func retainSignalSources(_ boxes: [SignalSourceBox]) {
        state.withLock { $0.signalSources += boxes }
    }
}
