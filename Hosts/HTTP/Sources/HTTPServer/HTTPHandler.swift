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
}

extension HTTPHandler {
    public func respondWithoutWaiting(_ request: HTTPRequest) -> HTTPResponse? { nil }
}

/// A handler made from a closure, for tests and small tools.
public struct ClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.body = body }

    public func handle(_ request: HTTPRequest) -> HTTPResponse { body(request) }
}
