import Glibc

/// Why the server could not start. A struct around a private enum so cases can be added
/// without breaking callers; `code` is stable.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable {
        case bind(host: String, port: Int, errno: Int32)
        case system(call: String, errno: Int32)
        case alreadyStarted
        case threads
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    static func bind(host: String, port: Int, errno: Int32) -> HTTPServerError { .init(.bind(host: host, port: port, errno: errno)) }
    static func system(_ call: String, _ errno: Int32) -> HTTPServerError { .init(.system(call: call, errno: errno)) }
    static let alreadyStarted = HTTPServerError(.alreadyStarted)
    static let threads = HTTPServerError(.threads)

    /// "bind_failed", "system_call_failed", "already_started" or "thread_start_failed".
    public var code: String {
        switch kind {
        case .bind: "bind_failed"
        case .system: "system_call_failed"
        case .alreadyStarted: "already_started"
        case .threads: "thread_start_failed"
        }
    }

    public var description: String {
        switch kind {
        case .bind(let host, let port, let number):
            "cannot listen on \(host):\(port): \(String(cString: strerror(number))) (is the port in use, or the address not local?)"
        case .system(let call, let number):
            "\(call) failed: \(String(cString: strerror(number)))"
        case .alreadyStarted:
            "the server was already started; make a new HTTPServer to serve again"
        case .threads:
            "could not start the server's threads (thread limit reached?)"
        }
    }
}
