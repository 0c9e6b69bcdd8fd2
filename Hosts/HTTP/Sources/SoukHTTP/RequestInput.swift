import HTTPServer
import Kernel

/// Turns a request into an operation's raw input: query parameters for reads (typed by the
/// fields, lists repeated or comma-separated), a JSON object body for mutations. The kernel
/// then validates names, types and required fields as it does for every host.
enum RequestInput {
    static func decode(_ request: HTTPRequest, for operation: OperationSpec) throws -> Value.Object {
        if operation.mutates {
            guard request.query.isEmpty else {
                throw KernelError(.badRequest, "\(operation.name) takes its input as a JSON body, not query parameters (got '\(request.query[0].name)')")
            }
            return try body(request, operation: operation)
        }
        guard request.body.isEmpty else {
            throw KernelError(.badRequest, "\(operation.name) is a read: pass its input as query parameters, not a body")
        }
        return try query(request.query, operation: operation)
    }

    static func body(_ request: HTTPRequest, operation: OperationSpec) throws -> Value.Object {
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        if let type = request.header("Content-Type"),
           !type.lowercased().hasPrefix("application/json") && !type.lowercased().hasPrefix("application/merge-patch+json") {
            throw RequestInputError.unsupportedMediaType(type)
        }
        guard let text = String(validating: request.body, as: UTF8.self) else {
            throw KernelError(.badRequest, "the request body is not valid UTF-8")
        }
        let value: Value
        do { value = try JSON.decode(text) } catch let error as KernelError {
            throw KernelError(.badRequest, "the request body is not valid JSON: \(error.message)")
        }
        guard case .object(let object) = value else {
            throw KernelError(.badRequest, "the request body must be a JSON object with \(operation.name)'s fields")
        }
        return object
    }

    static func query(_ parameters: [(name: String, value: String)], operation: OperationSpec) throws -> Value.Object {
        var input = Value.Object()
        for (name, text) in parameters {
            guard let field = operation.fields.first(where: { $0.name == name }) else {
                let known = operation.fields.map(\.name).joined(separator: ", ")
                throw KernelError.invalid(name, "unknown query parameter '\(name)' for \(operation.name)"
                                          + (known.isEmpty ? " (it takes none)" : " (parameters: \(known))"))
            }
            if field.secret {
                throw KernelError.invalid(name, "'\(name)' is a secret and is never accepted in a URL")
            }
            let value = try typed(text, field: field)
            if field.type == .list, case .array(let more) = value, case .array(let earlier)? = input[name] {
                input[name] = .array(earlier + more)
            } else if input[name] != nil {
                throw KernelError.invalid(name, "query parameter '\(name)' given twice")
            } else {
                input[name] = value
            }
        }
        return input
    }

    /// Text to a typed value, with messages that speak of parameters rather than flags.
    private static func typed(_ text: String, field: Field) throws -> Value {
        switch field.type {
        case .int:
            guard let number = Int64(text) else {
                throw KernelError.invalid(field.name, "parameter '\(field.name)' expects a whole number between \(Int64.min) and \(Int64.max), got '\(text.prefix(40))'")
            }
            return .int(number)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw KernelError.invalid(field.name, "parameter '\(field.name)' expects true or false, got '\(text.prefix(40))'")
            }
        default:
            return try field.type.parse(text, field: field.name)
        }
    }
}

/// Request problems that are about HTTP rather than the operation.
enum RequestInputError: Error {
    case unsupportedMediaType(String)
}
