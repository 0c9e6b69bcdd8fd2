import Glibc

/// Limits and sizes of an `HTTPServer`. Every default is a defence that was needed in
/// practice (see the HTTP server brief): deadlines against slowloris, caps against
/// descriptor exhaustion, size limits against memory exhaustion.
public struct HTTPServerConfiguration: Sendable {
    /// Numeric address to bind ("127.0.0.1", "0.0.0.0", "::").
    public var host: String
    /// TCP port; 0 picks an ephemeral port (`HTTPServer.start()` returns it).
    public var port: Int
    /// Event-loop threads (one epoll instance each).
    public var ioThreads: Int
    /// Threads that run the handler; blocking work happens here.
    public var workerThreads: Int
    /// Largest request head (request line + headers); larger → 431.
    public var maxHeaderBytes: Int
    /// Largest request body, decided from Content-Length before reading; larger → 413.
    public var maxBodyBytes: Int
    /// Absolute limit for receiving one request (head and body), from its first byte.
    /// Trickled bytes cannot extend it; expiry → 408 and close. The same span bounds the
    /// writing of one response to a client that does not read.
    public var requestDeadline: Duration
    /// How long a connection may sit without a request in progress: both a keep-alive
    /// connection between requests and a brand-new connection that has sent nothing.
    /// Expiry closes silently.
    public var idleTimeout: Duration
    /// How long the handler may take; expiry → 503 `handler_timeout` and close (the
    /// handler's late response is dropped). nil = no limit.
    public var handlerTimeout: Duration?
    /// Open connections at most; at the cap accepting pauses (the listener leaves epoll and
    /// new clients wait in the kernel backlog) until a connection closes. Keep it below
    /// RLIMIT_NOFILE.
    public var maxConnections: Int
    /// Open connections per peer address at most; one more is answered 503 and closed.
    public var maxConnectionsPerAddress: Int
    /// How long `shutdown()` waits for in-flight requests before closing everything.
    public var shutdownGrace: Duration
    /// After a response that ends the connection, the write side is shut down and unread
    /// input is drained for at most this long, so the client sees the response rather than
    /// a reset.
    public var lingerTimeout: Duration
    /// listen(2) backlog.
    public var backlog: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        ioThreads: Int = HTTPServerConfiguration.coreCount,
        workerThreads: Int = 2 * HTTPServerConfiguration.coreCount,
        maxHeaderBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 1024 * 1024,
        requestDeadline: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(5),
        handlerTimeout: Duration? = nil,
        maxConnections: Int = HTTPServerConfiguration.defaultMaxConnections,
        maxConnectionsPerAddress: Int = 1024,
        shutdownGrace: Duration = .seconds(10),
        lingerTimeout: Duration = .seconds(2),
        backlog: Int = 1024
    ) {
        self.host = host
        self.port = port
        self.ioThreads = max(1, ioThreads)
        self.workerThreads = max(1, workerThreads)
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.requestDeadline = requestDeadline
        self.idleTimeout = idleTimeout
        self.handlerTimeout = handlerTimeout
        self.maxConnections = max(1, maxConnections)
        self.maxConnectionsPerAddress = max(1, maxConnectionsPerAddress)
        self.shutdownGrace = shutdownGrace
        self.lingerTimeout = lingerTimeout
        self.backlog = backlog
    }

    /// Online processors.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// RLIMIT_NOFILE minus room for the database, logs and the server's own descriptors,
    /// capped at 10 000.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1000 }
        let soft = Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is UInt.max: clamps
        return max(16, min(10_000, soft - 64))
    }
}

/// RLIMIT_NOFILE imports as an enum case on Glibc; this keeps the call site readable.
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

extension Duration {
    /// Whole nanoseconds, saturating; the server's clock arithmetic is in UInt64 nanoseconds.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let whole = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if whole.overflow { return UInt64.max / 2 }
        return whole.partialValue + UInt64(attoseconds / 1_000_000_000)
    }
}
