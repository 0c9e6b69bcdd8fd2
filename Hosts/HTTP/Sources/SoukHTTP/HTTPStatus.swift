import Kernel

/// The one place where error codes become HTTP statuses (the CLI's twin is `ExitCode`).
public enum HTTPStatus {
    public static func of(_ code: ErrorCode) -> Int {
        switch code {
        case .usage, .badRequest: return 400
        case .invalidInput: return 422
        case .unauthenticated: return 401
        case .permissionDenied: return 403
        case .notFound: return 404
        case .pluginDisabled: return 404
        case .conflict, .vetoed, .insufficientStock: return 409
        case .accountLocked: return 423
        case .storage: return 503
        case .schemaTooNew, .pluginRefused, .registrySealed, .auditBroken, .internal: return 500
        // A plugin's own code describes a request the plugin refused.
        default: return 422
        }
    }

    /// Reason phrases for the statuses this host sends, used as problem titles.
    public static func title(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 423: return "Locked"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }
}

extension ErrorCode {
    /// The request itself is malformed (not JSON, a body on a read, ...); HTTP 400.
    public static let badRequest = ErrorCode("bad_request")
}
