/// Validated input of an operation. Accessors throw `invalid_input` naming the field, so
/// handlers need no checks of their own for presence and type.
public struct OperationInput: Sendable {
    public let values: Value.Object

    public init(values: Value.Object) { self.values = values }

    public func has(_ name: String) -> Bool { values[name] != nil }

    public func string(_ name: String) throws -> String {
        guard let text = values[name]?.stringValue else { throw KernelError.invalid(name, "missing required field '\(name)'") }
        return text
    }

    public func optionalString(_ name: String) -> String? { values[name]?.stringValue }

    public func int(_ name: String) throws -> Int64 {
        guard let number = values[name]?.intValue else { throw KernelError.invalid(name, "missing required field '\(name)'") }
        return number
    }

    public func optionalInt(_ name: String) -> Int64? { values[name]?.intValue }

    public func bool(_ name: String, default fallback: Bool = false) -> Bool { values[name]?.boolValue ?? fallback }

    public func list(_ name: String) -> [String] { values[name]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

extension OperationInput {
    /// The page size of a list operation from its `limit` field: `default` when absent,
    /// refused outside 1...`max` with the message every list uses.
    public func limit(default fallback: Int64 = 50, max: Int64 = 500, field: String = "limit") throws -> Int64 {
        let limit = optionalInt(field) ?? fallback
        guard (1...max).contains(limit) else {
            throw KernelError.invalid(field, "\(field) must be between 1 and \(max), got \(limit)")
        }
        return limit
    }
}
