/// The configuration values one connection's state machine needs, in nanoseconds.
struct ConnectionLimits: Sendable {
    var maxHeaderBytes: Int
    var maxBodyBytes: Int
    var requestDeadline: UInt64
    var idleTimeout: UInt64
    var handlerTimeout: UInt64?
    var lingerTimeout: UInt64

    init(
        maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 1 << 20, requestDeadline: UInt64 = 10_000_000_000,
        idleTimeout: UInt64 = 5_000_000_000, handlerTimeout: UInt64? = nil, lingerTimeout: UInt64 = 2_000_000_000
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.requestDeadline = requestDeadline
        self.idleTimeout = idleTimeout
        self.handlerTimeout = handlerTimeout
        self.lingerTimeout = lingerTimeout
    }

    init(_ configuration: HTTPServerConfiguration) {
        self.init(
            maxHeaderBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes,
            requestDeadline: configuration.requestDeadline.nanoseconds, idleTimeout: configuration.idleTimeout.nanoseconds,
            handlerTimeout: configuration.handlerTimeout?.nanoseconds, lingerTimeout: configuration.lingerTimeout.nanoseconds)
    }

    /// How often a loop checks deadlines: a quarter of the shortest timeout, 5 ms to 250 ms.
    var sweepInterval: UInt64 {
        let shortest = [requestDeadline, idleTimeout, handlerTimeout ?? .max, lingerTimeout].min()!
        return min(max(shortest / 4, 5_000_000), 250_000_000)
    }
}
