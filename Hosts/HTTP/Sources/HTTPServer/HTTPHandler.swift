/// The one extension point of the server: turn a request into a response.
///
/// - Important: Called on a worker thread made for blocking work (SQLite, file I/O), never
///   on an I/O thread, so blocking here stalls only this worker. Calls for different
///   connections run concurrently; calls for one connection are strictly sequential.
///
/// ```swift
/// struct Hello: HTTPHandler {
///     func handle(_ request: HTTPRequest) -> HTTPResponse {
///         HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "text/plain")],
///                      body: Array("hello".utf8))
///     }
/// }
/// ```
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse

    /// An answer the handler can give at once, without waiting for anything (a lock held
    /// for a few instructions at most, no disk, no network), or nil. Called on the I/O
    /// thread before the request is handed to a worker: an answer from memory then costs
    /// no hand-off to another thread and back. nil sends the request to `handle` as usual.
    func respondWithoutWaiting(_ request: HTTPRequest) -> HTTPResponse?

    /// Whether `request` may be handled together with other such requests in one
    /// `handleBatch` call (e.g. writes a database can commit together). Asked on the I/O
    /// thread: decide from the request line alone.
    func isBatchable(_ request: HTTPRequest) -> Bool

    /// Handles several batchable requests of different connections at once, answering each
    /// (same order, same count). A worker hands over the batchable requests queued together.
    func handleBatch(_ requests: [HTTPRequest]) -> [HTTPResponse]
}

extension HTTPHandler {
    public func respondWithoutWaiting(_ request: HTTPRequest) -> HTTPResponse? { nil }
    public func isBatchable(_ request: HTTPRequest) -> Bool { false }
    public func handleBatch(_ requests: [HTTPRequest]) -> [HTTPResponse] { requests.map(handle) }
}

/// A handler made from a closure, for tests and small tools.
public struct ClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.body = body }

    public func handle(_ request: HTTPRequest) -> HTTPResponse { body(request) }
}
