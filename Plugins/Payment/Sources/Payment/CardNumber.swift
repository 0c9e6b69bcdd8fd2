import Foundation
import Kernel

/// A card number as typed by a shopper, checked and held only for the provider call.
///
/// - Important: the digits go to the provider and nowhere else. Only `last4` may be stored,
///   audited or shown; messages about a bad card never repeat what was typed.
struct CardNumber: Sendable {
    let digits: String
    var last4: String { String(digits.suffix(4)) }

    /// Accepts 12-19 digits, spaces and dashes allowed between them, with a valid check digit.
    init(_ text: String, field: String = "card") throws {
        let digits = text.filter { $0 != " " && $0 != "-" }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw KernelError.invalid(field, "the card number must contain only digits (spaces and dashes are allowed between them)")
        }
        guard (12...19).contains(digits.count) else {
            throw KernelError.invalid(field, "the card number must have 12 to 19 digits, got \(digits.count)")
        }
        guard Self.passesLuhn(digits) else {
            throw KernelError.invalid(field, "the card number ending \(digits.suffix(4)) is not valid (its check digit is wrong); check it was typed correctly")
        }
        self.digits = digits
    }

    /// The Luhn (mod 10) check every payment card number carries.
    static func passesLuhn(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var digit = character.wholeNumberValue else { return false }
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// `text` with this card's number masked, for provider messages that might echo it.
    func redact(_ text: String?) -> String? {
        guard let text else { return nil }
        return text.replacingOccurrences(of: digits, with: "card ending \(last4)")
    }
}
