/// The validated head of a request, before its body is read. Framing facts (length,
/// keep-alive, 100-continue) are decided here from bytes, once.
struct RequestHead {
    var method: String
    var target: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: [HTTPHeader]
    var isHTTP11: Bool
    /// Whether the client allows the connection to stay open after the response.
    var keepAlive: Bool
    var contentLength: Int
    var expectsContinue: Bool
    var isHead: Bool
}
