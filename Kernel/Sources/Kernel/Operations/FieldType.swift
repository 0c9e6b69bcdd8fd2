import Foundation

/// The type of an operation input field. Hosts use it to parse text (CLI flags, query
/// strings) and to describe the field (help, OpenAPI); the kernel uses it to validate.
public enum FieldType: String, Sendable, CaseIterable {
    case string
    case int
    case bool
    case email
    /// An ISO 4217 code such as EUR.
    case currency
    /// An IANA time zone such as Europe/Paris.
    case timeZone = "timezone"
    /// A short identifier: lower-case letters, digits, '-' and '_'.
    case code
    /// A comma-separated list in text, an array in JSON.
    case list
    /// An ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z).
    case dateTime = "datetime"

    /// Turns host text into a typed value, or explains what was wrong.
    public func parse(_ text: String, field: String) throws -> Value {
        switch self {
        case .int:
            guard let number = Int64(text) else { throw KernelError.invalid(field, "--\(field) expects a whole number, got '\(text)'") }
            return .int(number)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1", "on": return .bool(true)
            case "false", "no", "0", "off": return .bool(false)
            default: throw KernelError.invalid(field, "--\(field) expects true or false, got '\(text)'")
            }
        case .list:
            return .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 != .string("") })
        default:
            return .string(text)
        }
    }

    /// Checks a value already typed (from JSON or `parse`) and returns it normalised.
    func validate(_ value: Value, field: String) throws -> Value {
        func fail(_ expected: String) -> KernelError {
            KernelError.invalid(field, "field '\(field)' expects \(expected), got \(JSON.encode(value))")
        }
        switch self {
        case .int:
            guard case .int = value else { throw fail("a whole number") }
            return value
        case .bool:
            guard case .bool = value else { throw fail("true or false") }
            return value
        case .list:
            guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else { throw fail("a list of strings") }
            return value
        case .string:
            guard case .string = value else { throw fail("a string") }
            return value
        case .email:
            guard case .string(let text) = value else { throw fail("an email address") }
            let email = text.trimmingCharacters(in: .whitespaces).lowercased()
            guard Validation.isEmail(email) else { throw KernelError.invalid(field, "'\(text)' is not a valid email address") }
            return .string(email)
        case .currency:
            guard case .string(let text) = value else { throw fail("an ISO 4217 currency code") }
            guard let currency = Currency(code: text.uppercased()) else {
                throw KernelError.invalid(field, "'\(text)' is not an ISO 4217 currency code (e.g. EUR, USD, JPY)")
            }
            return .string(currency.code)
        case .timeZone:
            guard case .string(let text) = value else { throw fail("an IANA time zone") }
            guard text.contains("/") || text == "UTC", TimeZone(identifier: text) != nil else {
                throw KernelError.invalid(field, "'\(text)' is not an IANA time zone (e.g. Europe/Paris, UTC)")
            }
            return value
        case .code:
            guard case .string(let text) = value else { throw fail("a code") }
            guard Validation.isCode(text) else {
                throw KernelError.invalid(field, "'\(text)' is not a valid code: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter")
            }
            return value
        case .dateTime:
            guard case .string(let text) = value, Validation.parseDate(text) != nil else {
                throw fail("an ISO 8601 date-time such as 2026-01-31T12:00:00Z")
            }
            return value
        }
    }
}
