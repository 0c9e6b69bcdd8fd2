/// One input field of an operation. Hosts build flags, query parameters, JSON schemas and
/// forms from it.
public struct Field: Sendable {
    public let name: String
    public let type: FieldType
    public let required: Bool
    public let help: String
    /// Secrets (passwords) are never taken from a command line flag nor written to the
    /// audit log; the CLI reads them from the environment or a prompt.
    public let secret: Bool
    /// The CLI accepts this field as a bare argument (`souk plugin enable giftwrap`).
    public let positional: Bool

    public init(_ name: String, _ type: FieldType = .string, required: Bool = false, help: String,
                secret: Bool = false, positional: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
        self.help = help
        self.secret = secret
        self.positional = positional
    }
}
