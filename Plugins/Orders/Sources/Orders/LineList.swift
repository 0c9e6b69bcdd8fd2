import Kernel

/// Parses the `SKU:QTY` items of a list field into cart lines, merging repeated SKUs.
enum LineList {
    static func parse(_ items: [String], field: String) throws -> [CartLine] {
        var lines: [CartLine] = []
        lines.reserveCapacity(items.count)
        for item in items {
            // Exactly one colon, with a SKU before it (scanned as UTF-8: splitting into an
            // array of substrings cost more than the rest of the parsing).
            let utf8 = item.utf8
            guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon != utf8.startIndex,
                  !utf8[utf8.index(after: colon)...].contains(UInt8(ascii: ":")) else {
                throw KernelError.invalid(field, "'\(item)' is not SKU:QUANTITY (e.g. TEA-1:2)")
            }
            let sku = String(item[..<colon])
            let quantityText = item[item.index(after: colon)...]
            guard let quantity = wholeNumber(quantityText) else {
                throw KernelError.invalid(field, "quantity '\(quantityText)' of SKU \(sku) is not a whole number")
            }
            try add(sku, quantity, to: &lines, field: field)
        }
        guard !lines.isEmpty else { throw KernelError.invalid(field, "at least one line is needed") }
        return lines
    }

    /// What `Int64(text)` accepts (an optional sign, then decimal digits, in range), without
    /// its generic parsing path.
    static func wholeNumber(_ text: Substring) -> Int64? {
        var bytes = text.utf8[...]
        guard let first = bytes.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        if negative || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    static func add(_ sku: String, _ quantity: Int64, to lines: inout [CartLine], field: String) throws {
        guard quantity >= 1 else {
            throw KernelError.invalid(field, "quantity of SKU \(sku) must be at least 1, got \(quantity)")
        }
        if let index = lines.firstIndex(where: { $0.sku == sku }) {
            let (sum, overflow) = lines[index].quantity.addingReportingOverflow(quantity)
            guard !overflow, sum <= 1_000_000 else { throw KernelError.invalid(field, "quantity of SKU \(sku) is too large") }
            lines[index].quantity = sum
        } else {
            guard quantity <= 1_000_000 else { throw KernelError.invalid(field, "quantity of SKU \(sku) is too large (at most 1000000)") }
            lines.append(CartLine(sku: sku, quantity: quantity))
        }
    }

    /// `key=value` items into a dictionary.
    static func attributes(_ items: [String], field: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            // Found on the UTF-8 bytes ("=" is ASCII), without breaking the text into characters.
            let utf8 = item.utf8
            guard let equals = utf8.firstIndex(of: UInt8(ascii: "=")), equals != utf8.startIndex else {
                throw KernelError.invalid(field, "'\(item)' is not key=value")
            }
            result[String(item[..<equals])] = String(item[utf8.index(after: equals)...])
        }
        return result
    }
}
