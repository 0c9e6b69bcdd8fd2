import Foundation
import Kernel

/// Input rules shared by the customer, address, message and points operations.
enum CustomerRules {
    static let defaultLevel = "regular"

    /// A trimmed, lower-cased email address, or `invalid_input` naming `field`.
    static func email(_ text: String, field: String = "email") throws -> String {
        let email = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard Validation.isEmail(email) else { throw KernelError.invalid(field, "'\(text)' is not a valid email address") }
        return email
    }

    /// A phone number as entered (trimmed) and its key for uniqueness: the digits, with a
    /// leading '+' kept, so `+33 6 12 34 56 78` and `+33612345678` are the same number.
    static func phone(_ text: String, field: String = "phone") throws -> (display: String, key: String) {
        let phone = text.trimmingCharacters(in: .whitespaces)
        let allowed = phone.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || " +-()".unicodeScalars.contains($0) }
        let digits = phone.unicodeScalars.filter { ("0"..."9").contains($0) }.count
        guard allowed, digits >= 5, phone.count <= 32 else {
            throw KernelError.invalid(field,
                "'\(text)' is not a valid phone number: use digits, spaces and + - ( ) only, with at least 5 digits (at most 32 characters)")
        }
        return (phone, phoneKey(phone))
    }

    static func phoneKey(_ phone: String) -> String {
        let digits = String(phone.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
        return phone.hasPrefix("+") ? "+" + digits : digits
    }

    /// A two-letter ISO 3166 country code, upper-cased.
    static func country(_ text: String, field: String = "country") throws -> String {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.unicodeScalars.count == 2, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw KernelError.invalid(field, "'\(text)' is not a two-letter ISO 3166 country code (e.g. FR, DE, US)")
        }
        return code
    }

    /// Trimmed free text of at most `max` characters; empty when absent. `required` refuses
    /// an absent or blank value.
    static func text(_ scope: OperationScope, _ field: String, max: Int = 200, required: Bool = false) throws -> String {
        let text = (scope.input.optionalString(field) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if required, text.isEmpty { throw KernelError.invalid(field, "\(field) is empty") }
        guard text.count <= max else { throw KernelError.invalid(field, "\(field) has \(text.count) characters; at most \(max)") }
        return text
    }

    /// A `LIKE … ESCAPE '!'` pattern matching `text` anywhere.
    static func containsPattern(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "!", with: "!!").replacingOccurrences(of: "%", with: "!%")
            .replacingOccurrences(of: "_", with: "!_")
        return "%" + escaped + "%"
    }

    /// Page size for listings: 1-500, default 50.
    static func limit(_ scope: OperationScope) throws -> Int64 {
        try scope.input.limit()
    }

    static func time(_ millis: Int64) -> Value { .string(Validation.isoString(millis: millis)) }

    static let cursorHelp = "continue after this id (next_cursor of the previous page)"
    static let limitHelp = "page size, 1-500 (default 50)"
}
