import Foundation
import Kernel

/// Input checks shared by the operations and hooks of this plugin.
enum ShippingInput {
    static func currency(_ scope: OperationScope) throws -> Currency {
        let shop = try scope.context.requireShop()
        guard let currency = Currency(code: shop.currency) else {
            throw KernelError(.storage, "shop '\(shop.code)' has an unknown currency '\(shop.currency)'")
        }
        return currency
    }

    /// A 2-letter country code, upper-cased.
    static func country(_ text: String, field: String) throws -> String {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 2, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw KernelError.invalid(field, "'\(text)' is not a 2-letter country code (e.g. FR)")
        }
        return code
    }

    /// A region or city code, upper-cased; nil or empty text is "".
    static func place(_ text: String?, field: String, what: String) throws -> String {
        let code = (text ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard !code.isEmpty else { return "" }
        guard code.count <= 32, code.unicodeScalars.allSatisfy({
            ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }) else {
            throw KernelError.invalid(field, "'\(text ?? "")' is not a \(what) code: use up to 32 letters, digits, '-' or '_'")
        }
        return code
    }

    static func nonNegative(_ amount: Int64?, field: String) throws {
        if let amount, amount < 0 { throw KernelError.invalid(field, "\(field) must not be negative, got \(amount)") }
    }

    static func positive(_ amount: Int64?, field: String) throws {
        if let amount, amount < 1 { throw KernelError.invalid(field, "\(field) must be at least 1, got \(amount)") }
    }

    /// A non-empty trimmed text of at most `limit` characters.
    static func text(_ text: String, field: String, limit: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw KernelError.invalid(field, "\(field) must not be empty") }
        guard trimmed.count <= limit else { throw KernelError.invalid(field, "\(field) has \(trimmed.count) characters; at most \(limit)") }
        return trimmed
    }

    /// Milliseconds of a validated `.dateTime` field.
    static func millis(_ text: String, field: String) throws -> Int64 {
        guard let date = Validation.parseDate(text) else {
            throw KernelError.invalid(field, "'\(text)' is not an ISO 8601 date-time such as 2026-01-31T12:00:00Z")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func money(_ amount: Int64?, _ currency: Currency) -> Value {
        amount.map { Money(minorUnits: $0, currency: currency).value } ?? .null
    }

    /// `SKU:QUANTITY` items, repeated SKUs merged, in first-seen order.
    static func lines(_ items: [String], field: String) throws -> [(sku: String, quantity: Int64)] {
        var lines: [(sku: String, quantity: Int64)] = []
        for item in items {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw KernelError.invalid(field, "'\(item)' is not SKU:QUANTITY (e.g. TEA:2)")
            }
            let sku = String(parts[0])
            guard let quantity = Int64(parts[1]) else {
                throw KernelError.invalid(field, "quantity '\(parts[1])' of SKU \(sku) is not a whole number")
            }
            guard (1...1_000_000).contains(quantity) else {
                throw KernelError.invalid(field, "quantity of SKU \(sku) must be between 1 and 1000000, got \(quantity)")
            }
            if let index = lines.firstIndex(where: { $0.sku == sku }) {
                lines[index].quantity += quantity
            } else {
                lines.append((sku, quantity))
            }
        }
        return lines
    }
}
