/// A complete request as the handler sees it: head parsed and validated, body fully read
/// (Content-Length only; the server refuses chunked bodies before the handler runs).
public struct HTTPRequest: Sendable {
    /// The method token, e.g. "GET". Case-sensitive as in HTTP.
    public var method: String
    /// The raw request-target, e.g. "/v1/products?limit=5".
    public var target: String
    /// The percent-decoded path without the query, e.g. "/v1/products".
    public var path: String
    /// Query parameters in order, percent-decoded with "+" as space.
    public var query: [(name: String, value: String)]
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// The peer's numeric address, e.g. "127.0.0.1".
    public var remoteAddress: String

    public init(
        method: String, target: String, path: String, query: [(name: String, value: String)] = [],
        headers: [HTTPHeader] = [], body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? { headers.firstValue(named: name) }

    /// The first query parameter named `name` (exact match).
    public func queryValue(_ name: String) -> String? {
        for item in query where item.name == name { return item.value }
        return nil
    }
}
