import Synchronization

/// A snapshot of the server's counters, e.g. for a /metrics endpoint. Counters only grow
/// except `openConnections`.
public struct HTTPServerStats: Sendable, Equatable {
    public var openConnections: Int
    public var acceptedConnections: Int
    /// Requests handed to the handler.
    public var requests: Int
    /// Problem responses the server generated itself (400, 408, 413, 431, 501, 503, 505...).
    public var errorResponses: Int
    /// Connections refused because their address already had `maxConnectionsPerAddress`.
    public var rejectedPerAddress: Int
    /// Times accepting paused because `maxConnections` was reached.
    public var acceptPausedAtCapacity: Int
    /// Times accepting paused because the process or system ran out of descriptors.
    public var acceptPausedOutOfDescriptors: Int
    /// Connections closed by the idle timeout or a request deadline.
    public var timedOut: Int
    /// Handlers that exceeded `handlerTimeout`.
    public var handlerTimeouts: Int
}

/// The live counters behind `HTTPServerStats`, updated from any thread.
final class StatsCounters: Sendable {
    let open = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let errorResponses = Atomic<Int>(0)
    let rejectedPerAddress = Atomic<Int>(0)
    let pausedAtCapacity = Atomic<Int>(0)
    let pausedOutOfDescriptors = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
    let handlerTimeouts = Atomic<Int>(0)

    var snapshot: HTTPServerStats {
        HTTPServerStats(
            openConnections: open.load(ordering: .relaxed),
            acceptedConnections: accepted.load(ordering: .relaxed),
            requests: requests.load(ordering: .relaxed),
            errorResponses: errorResponses.load(ordering: .relaxed),
            rejectedPerAddress: rejectedPerAddress.load(ordering: .relaxed),
            acceptPausedAtCapacity: pausedAtCapacity.load(ordering: .relaxed),
            acceptPausedOutOfDescriptors: pausedOutOfDescriptors.load(ordering: .relaxed),
            timedOut: timedOut.load(ordering: .relaxed),
            handlerTimeouts: handlerTimeouts.load(ordering: .relaxed))
    }

}
