/// A named, documented, typed unit of work. The bridge to the hosts: the CLI turns each
/// operation into `souk GROUP VERB --field value`, HTTP into an endpoint, the TUI into a
/// form, with no per-operation host code.
///
/// ```swift
/// registrar.operation(OperationSpec(
///     name: "giftwrap.list", summary: "List wrapped orders",
///     fields: [Field("limit", .int, help: "at most this many rows")],
///     permission: "giftwrap.read", mutates: false) { scope in
///     let rows = try scope.db.query("SELECT id FROM giftwrap_wraps WHERE shop_id = :shop")
///     return .array(try rows.map { .int(try $0.int64("id")) })
/// })
/// ```
public struct OperationSpec: Sendable {
    /// Whether the operation acts on one shop (`--shop`) or on the installation.
    public enum Scope: String, Sendable { case shop, platform }

    /// Who calls the operation. Staff operations make up the back office (CLI, admin API,
    /// TUI); shopper operations make up the storefront, are named `storefront.*`, act on
    /// one shop, and are called by customers, guests and anonymous visitors, who hold
    /// the `ShopperPermission`s instead of a staff role. Integration operations are called
    /// by other systems (a payment gateway's callback) that hold no session: the operation
    /// authenticates its caller from the input itself (e.g. an HMAC signature with a shop
    /// secret) and refuses with `permission_denied` when that fails. Staff may call them too.
    public enum Audience: String, Sendable { case staff, shopper, integration }

    public let name: String
    public let summary: String
    public let fields: [Field]
    /// The permission the actor must hold; nil means any signed-in actor may run it.
    public let permission: Permission?
    /// Mutations run in a write transaction and are audited; reads are not.
    public let mutates: Bool
    public let scope: Scope
    public let audience: Audience
    public internal(set) var pluginID: String = "kernel"
    let handler: @Sendable (OperationScope) throws -> Value

    public init(name: String, summary: String, fields: [Field] = [], permission: Permission?, mutates: Bool,
                scope: Scope = .shop, audience: Audience = .staff,
                handler: @escaping @Sendable (OperationScope) throws -> Value) {
        self.name = name
        self.summary = summary
        self.fields = fields
        self.permission = permission
        self.mutates = mutates
        self.scope = scope
        self.audience = audience
        self.handler = handler
    }

    /// The words a host shows: `shop.create` is group `shop`, verb `create`.
    public var group: String { String(name.split(separator: ".").first ?? "") }
    public var verb: String { name.split(separator: ".").dropFirst().joined(separator: " ") }

    /// Validates raw input against the fields: unknown names, missing required fields and
    /// wrong types are refused with a message naming the field.
    public func validate(_ raw: Value.Object) throws -> OperationInput {
        var clean = Value.Object()
        for (key, _) in raw where !fields.contains(where: { $0.name == key }) {
            let known = fields.map(\.name).joined(separator: ", ")
            throw KernelError.invalid(key, "unknown field '\(key)' for \(name)" + (known.isEmpty ? " (it takes no fields)" : " (fields: \(known))"))
        }
        for field in fields {
            guard let value = raw[field.name], value != .null else {
                if field.required { throw KernelError.invalid(field.name, "missing required field '\(field.name)' for \(name)") }
                continue
            }
            do {
                clean[field.name] = try field.type.validate(value, field: field.name)
            } catch let error as KernelError where field.secret {
                // Never echo a secret back, not even in an error.
                throw KernelError(error.code, "field '\(field.name)' expects \(field.type.rawValue); its value is not repeated here", field: field.name)
            }
        }
        return OperationInput(values: clean)
    }
}
