/// One accepted socket and its buffers, owned by exactly one event loop thread (never
/// shared, so no locking). Protocol decisions live in `machine`.
final class Connection {
    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the descriptor number, so
    /// a late handler response is never written to the wrong client.
    let id: UInt64
    let remoteAddress: String
    var machine: ConnectionMachine
    let input = InputBuffer()
    /// Bytes accepted for sending that the socket did not take yet.
    var output: [UInt8] = []
    var outputOffset = 0
    /// Edge-triggered epoll: true from a readiness event until a read comes back short or
    /// with EAGAIN (Linux signals every later arrival with a new edge).
    var readable = true
    var peerClosed = false
    /// Facts about the request in the handler, needed to frame its response.
    var requestIsHead = false
    var requestIsHTTP10 = false

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: ConnectionLimits, now: UInt64) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.machine = ConnectionMachine(limits: limits, now: now)
    }

    var hasPendingOutput: Bool { outputOffset < output.count }
}
