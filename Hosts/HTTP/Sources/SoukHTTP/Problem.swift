import HTTPServer
import Kernel

/// An `application/problem+json` error (RFC 9457) carrying the kernel's stable error code,
/// the field at fault when there is one, and the request id to quote to support.
struct Problem {
    let status: Int
    let code: String
    let detail: String
    var field: String?

    init(status: Int, code: String, detail: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
    }

    init(_ error: KernelError) {
        self.init(status: HTTPStatus.of(error.code), code: error.code.rawValue, detail: error.message, field: error.field)
    }

    func response(requestID: String) -> HTTPResponse {
        var body: Value.Object = [
            "type": .string("https://souk.dev/problems/\(code)"),
            "title": .string(HTTPStatus.title(status)),
            "status": .int(Int64(status)),
            "code": .string(code),
            "detail": .string(detail),
        ]
        if let field { body["field"] = .string(field) }
        body["request_id"] = .string(requestID)
        var headers = [HTTPHeader(name: "Content-Type", value: "application/problem+json")]
        if status == 401 { headers.append(HTTPHeader(name: "WWW-Authenticate", value: "Bearer realm=\"souk\"")) }
        return HTTPResponse(status: status, headers: headers, body: Array(JSON.encode(.object(body)).utf8))
    }
}
