/// What a handler returns. The server adds Content-Length, Date and Connection; a
/// Content-Length or Connection set here is replaced (a handler's `Connection: close` is
/// honoured: the server closes after writing).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? { headers.firstValue(named: name) }
}
