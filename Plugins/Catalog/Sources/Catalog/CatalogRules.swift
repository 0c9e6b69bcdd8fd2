import Foundation
import Kernel

/// The validation rules shared by the operations and the CSV import. Each check throws
/// `invalid_input` naming the field, with a message that reads well on its own (the import
/// prefixes it with the CSV line).
enum CatalogRules {
    static let maxTitle = 200
    static let maxDescription = 20_000
    static let maxKeyword = 64
    static let maxListItems = 50

    static func handle(_ text: String) throws -> String {
        let handle = text.trimmingCharacters(in: .whitespaces)
        guard !handle.isEmpty else { throw KernelError.invalid("handle", "the handle is empty") }
        guard Validation.isCode(handle) else {
            throw KernelError.invalid("handle", "handle '\(handle)' is not valid: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter")
        }
        return handle
    }

    static func title(_ text: String) throws -> String {
        let title = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw KernelError.invalid("title", "the title is empty; every product needs one") }
        guard title.count <= maxTitle else {
            throw KernelError.invalid("title", "the title has \(title.count) characters; at most \(maxTitle)")
        }
        return title
    }

    static func description(_ text: String) throws -> String {
        let description = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard description.count <= maxDescription else {
            throw KernelError.invalid("description", "the description has \(description.count) characters; at most \(maxDescription)")
        }
        return description
    }

    /// Trimmed, blanks dropped, duplicates dropped (first kept), order kept.
    static func keywords(_ list: [String]) throws -> [String] {
        var result: [String] = []
        for raw in list {
            let keyword = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if keyword.isEmpty || result.contains(keyword) { continue }
            guard !keyword.contains("|") && !keyword.contains(",") else {
                throw KernelError.invalid("keywords", "keyword '\(keyword)' contains '|' or ',', which separate keywords")
            }
            guard keyword.count <= maxKeyword else {
                throw KernelError.invalid("keywords", "keyword '\(keyword)' has \(keyword.count) characters; at most \(maxKeyword)")
            }
            result.append(keyword)
        }
        guard result.count <= maxListItems else {
            throw KernelError.invalid("keywords", "\(result.count) keywords given; at most \(maxListItems)")
        }
        return result
    }

    static func images(_ list: [String]) throws -> [String] {
        var result: [String] = []
        for raw in list {
            let image = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if image.isEmpty { continue }
            guard let url = URL(string: image), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty, !image.contains("|"), !image.contains(" ") else {
                throw KernelError.invalid("images", "image '\(image)' is not an http(s) URL such as https://example.com/tea.jpg")
            }
            result.append(image)
        }
        guard result.count <= maxListItems else {
            throw KernelError.invalid("images", "\(result.count) images given; at most \(maxListItems)")
        }
        return result
    }

    /// "key=value" strings as an ordered object; a key may appear once.
    static func attributes(_ list: [String]) throws -> Value.Object {
        var result = Value.Object()
        for raw in list {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: "=") else {
                throw KernelError.invalid("attributes", "attribute '\(item)' is not in key=value form (e.g. colour=green)")
            }
            let key = item[..<equals].trimmingCharacters(in: .whitespaces)
            let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw KernelError.invalid("attributes", "attribute '\(item)' has no key before '='") }
            guard result[key] == nil else { throw KernelError.invalid("attributes", "attribute '\(key)' is given twice") }
            result[key] = .string(value)
        }
        return result
    }

    static func tag(_ text: String) throws -> String {
        let tag = text.trimmingCharacters(in: .whitespaces)
        guard Validation.isCode(tag) else {
            throw KernelError.invalid("tag", "tag '\(tag)' is not valid: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter")
        }
        return tag
    }

    static func skuCode(_ text: String) throws -> String {
        let code = text.trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty else { throw KernelError.invalid("code", "the SKU code is empty") }
        guard code.count <= 64, code.unicodeScalars.allSatisfy({
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }) else {
            throw KernelError.invalid("code", "SKU code '\(code)' is not valid: use 1-64 letters, digits, '-', '_' or '.'")
        }
        return code
    }

    static func price(_ minorUnits: Int64) throws -> Int64 {
        guard minorUnits >= 0 else {
            throw KernelError.invalid("price", "price must be 0 or more minor units, got \(minorUnits)")
        }
        return minorUnits
    }

    static func weight(_ grams: Int64) throws -> Int64 {
        guard grams >= 0 else { throw KernelError.invalid("weight_grams", "weight_grams must be 0 or more grams, got \(grams)") }
        return grams
    }

    static func volume(_ cm3: Int64) throws -> Int64 {
        guard cm3 >= 0 else {
            throw KernelError.invalid("volume_cm3", "volume_cm3 must be 0 or more cubic centimetres, got \(cm3)")
        }
        return cm3
    }

    /// Nil for blank (no barcode).
    static func barcode(_ text: String?) throws -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard (8...14).contains(text.count), text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
            throw KernelError.invalid("barcode", "barcode '\(text)' is not valid: use 8 to 14 digits (EAN-8, UPC, EAN-13, GTIN-14)")
        }
        return text
    }

    /// Milliseconds since 1970 of an ISO 8601 date-time the kernel already checked.
    static func millis(_ text: String, field: String) throws -> Int64 {
        guard let date = Validation.parseDate(text) else {
            throw KernelError.invalid(field, "\(field) '\(text)' is not an ISO 8601 date-time such as 2026-01-31T12:00:00Z")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Escapes `text` for `LIKE ... ESCAPE '!'` and wraps it in wildcards.
    static func containsPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "!" || character == "%" || character == "_" { escaped.append("!") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }
}
