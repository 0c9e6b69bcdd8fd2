import Foundation

/// Shared validation rules, so that every host and plugin agrees on them.
public enum Validation {
    /// A pragmatic address check: one '@', a non-empty local part, a dotted domain, no spaces.
    public static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, text.count <= 254 else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
        return !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" || $0 == "<" || $0 == ">" })
    }

    /// 1 to 32 of `a-z 0-9 - _`, starting with a letter: plugin ids, method codes, shop codes...
    public static func isCode(_ text: String) -> Bool { isCode(utf8: text.utf8) }

    /// `isCode` on UTF-8 bytes, byte by byte (no other character can be part of a code).
    static func isCode<Bytes: Collection>(utf8 bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard (1...32).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
        }
    }

    /// An SQL identifier a plugin may use for a table or column name.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    public static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }

    /// Milliseconds since 1970 as an ISO 8601 UTC string, e.g. `2026-11-25T22:58:30Z`.
    /// Computed with integer calendar arithmetic: a formatter per call costs more than the
    /// rest of an order's checkout.
    public static func isoString(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year >= 0 && year < 10_000 {
            // The usual case, written into a stack buffer: `YYYY-MM-DDTHH:MM:SSZ`.
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { out in
                func put(_ value: Int64, at index: Int, digits: Int) {
                    var value = value
                    for offset in stride(from: digits - 1, through: 0, by: -1) {
                        out[index + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                    }
                }
                put(year, at: 0, digits: 4); out[4] = UInt8(ascii: "-")
                put(month, at: 5, digits: 2); out[7] = UInt8(ascii: "-")
                put(day, at: 8, digits: 2); out[10] = UInt8(ascii: "T")
                put(secondOfDay / 3600, at: 11, digits: 2); out[13] = UInt8(ascii: ":")
                put(secondOfDay / 60 % 60, at: 14, digits: 2); out[16] = UInt8(ascii: ":")
                put(secondOfDay % 60, at: 17, digits: 2); out[19] = UInt8(ascii: "Z")
                return String(decoding: UnsafeBufferPointer(out), as: UTF8.self)
            }
        }
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = year >= 0 && year < 10_000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
