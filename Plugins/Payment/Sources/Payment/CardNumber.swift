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
        // On the UTF-8 bytes: this runs on every card payment, and digits are ASCII.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(19)
        for byte in text.utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw KernelError.invalid(field, "the card number must contain only digits (spaces and dashes are allowed between them)")
            }
            bytes.append(byte)
        }
        guard !bytes.isEmpty else {
            throw KernelError.invalid(field, "the card number must contain only digits (spaces and dashes are allowed between them)")
        }
        let digits = String(decoding: bytes, as: UTF8.self)
        guard (12...19).contains(bytes.count) else {
            throw KernelError.invalid(field, "the card number must have 12 to 19 digits, got \(bytes.count)")
        }
        guard Self.passesLuhn(bytes) else {
            throw KernelError.invalid(field, "the card number ending \(digits.suffix(4)) is not valid (its check digit is wrong); check it was typed correctly")
        }
        self.digits = digits
    }

    /// The Luhn (mod 10) check every payment card number carries, on ASCII digits.
    static func passesLuhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (index, byte) in digits.reversed().enumerated() {
            var digit = Int(byte - UInt8(ascii: "0"))
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// Whether `needle`'s UTF-8 bytes occur in `text`'s (both short: a plain scan).
    static func bytes(of text: String, contain needle: String) -> Bool {
        let haystack = Array(text.utf8), pattern = Array(needle.utf8)
        guard !pattern.isEmpty, haystack.count >= pattern.count else { return false }
        for start in 0...(haystack.count - pattern.count) where haystack[start] == pattern[0] {
            if haystack[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }

    /// `text` with this card's number masked, for provider messages that might echo it.
    func redact(_ text: String?) -> String? {
        guard let text else { return nil }
        // Most messages (and every reference) do not hold the number: look before replacing,
        // on the bytes.
        guard Self.bytes(of: text, contain: digits) else { return text }
        return text.replacingOccurrences(of: digits, with: "card ending \(last4)")
    }
}
