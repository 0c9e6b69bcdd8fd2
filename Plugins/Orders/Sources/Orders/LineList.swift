import Kernel

/// Parses the `SKU:QTY` items of a list field into cart lines, merging repeated SKUs.
enum LineList {
    static func parse(_ items: [String], field: String) throws -> [CartLine] {
        var lines: [CartLine] = []
        for item in items {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw KernelError.invalid(field, "'\(item)' is not SKU:QUANTITY (e.g. TEA-1:2)")
            }
            guard let quantity = Int64(parts[1]) else {
                throw KernelError.invalid(field, "quantity '\(parts[1])' of SKU \(parts[0]) is not a whole number")
            }
            try add(String(parts[0]), quantity, to: &lines, field: field)
        }
        guard !lines.isEmpty else { throw KernelError.invalid(field, "at least one line is needed") }
        return lines
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
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw KernelError.invalid(field, "'\(item)' is not key=value")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }
}
