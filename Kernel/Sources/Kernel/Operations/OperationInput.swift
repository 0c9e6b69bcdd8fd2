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
