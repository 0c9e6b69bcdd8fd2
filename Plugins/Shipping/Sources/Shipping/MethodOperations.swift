import Kernel

/// Delivery methods: pickup, express, same-day, standard, each (but pickup) priced by a fee template.
enum MethodOperations {
    static let all = [configure, list]

    static let configure = OperationSpec(
        name: "shipping.method.configure",
        summary: "Create or update a delivery method (fields left out keep their value)",
        fields: [
            Field("code", .code, required: true, help: "short code shoppers send as shipping_method, e.g. express", positional: true),
            Field("name", help: "display name (needed when creating)"),
            Field("kind", help: "pickup, express, same_day or standard (needed when creating)"),
            Field("enabled", .bool, help: "offered at checkout (default true when creating)"),
            Field("template", .code, help: "fee template code (every kind but pickup needs one; pickup is free)"),
        ],
        permission: "shipping.manage", mutates: true
    ) { scope in
        let input = scope.input
        let code = try input.string("code")
        let existing = try DeliveryMethod.find(code: code, scope)
        let name = try input.optionalString("name").map { try ShippingInput.text($0, field: "name", limit: 100) } ?? existing?.name
        guard let name else { throw KernelError.invalid("name", "method '\(code)' is new: give it a name") }
        let kind: DeliveryMethod.Kind
        if let text = input.optionalString("kind") {
            guard let parsed = DeliveryMethod.Kind(rawValue: text) else {
                throw KernelError.invalid("kind", "'\(text)' is not a delivery method kind: use pickup, express, same_day or standard")
            }
            kind = parsed
        } else if let existing {
            kind = existing.kind
        } else {
            throw KernelError.invalid("kind", "method '\(code)' is new: give its kind (pickup, express, same_day or standard)")
        }
        let enabled = input.has("enabled") ? input.bool("enabled") : (existing?.enabled ?? true)
        var template: FeeTemplate?
        if let templateCode = input.optionalString("template") {
            guard kind != .pickup else {
                throw KernelError.invalid("template", "pickup is free: method '\(code)' takes no fee template")
            }
            template = try FeeTemplate.load(code: templateCode, scope)
        } else if kind != .pickup, let id = existing?.templateID {
            template = try FeeTemplate.load(id: id, scope)
        }
        if kind != .pickup && template == nil {
            throw KernelError.invalid("template", "method '\(code)' (\(kind.rawValue)) needs a fee template: pass template=CODE")
        }
        let db = try scope.db
        if let existing {
            try db.execute("""
                UPDATE shipping_methods SET name = :name, kind = :kind, enabled = :enabled, template_id = :template, updated_at = :now
                WHERE shop_id = :shop AND id = :id
                """, ["name": name, "kind": kind.rawValue, "enabled": enabled, "template": template?.id, "now": scope.now, "id": existing.id])
        } else {
            try db.execute("""
                INSERT INTO shipping_methods (shop_id, code, name, kind, enabled, template_id, created_at, updated_at)
                VALUES (:shop, :code, :name, :kind, :enabled, :template, :now, :now)
                """, ["code": code, "name": name, "kind": kind.rawValue, "enabled": enabled, "template": template?.id, "now": scope.now])
        }
        guard let saved = try DeliveryMethod.find(code: code, scope) else { throw KernelError(.storage, "method '\(code)' was not saved") }
        scope.audit(entity: "shipping_method:\(code)", change: ["before": existing?.value ?? .null, "after": saved.value])
        return saved.value
    }

    static let list = OperationSpec(
        name: "shipping.method.list", summary: "List delivery methods",
        fields: [Field("enabled", .bool, help: "only enabled (true) or disabled (false) methods")],
        permission: "shipping.read", mutates: false
    ) { scope in
        let filter = scope.input.has("enabled") ? scope.input.bool("enabled") : nil
        return .array(try DeliveryMethod.all(scope).filter { filter == nil || $0.enabled == filter }.map(\.value))
    }
}
