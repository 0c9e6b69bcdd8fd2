enum RoleOperations {
    static let all: [OperationSpec] = [list, create, update, delete]

    static let list = OperationSpec(
        name: "role.list", summary: "List the shop's roles and their permissions", permission: "role.read", mutates: false
    ) { scope in
        let shop = try scope.context.requireShop()
        var roles: [Value] = BuiltInRole.allCases.map { role in
            ["name": .string(role.rawValue), "kind": "built-in",
             "permissions": .string(scope.kernel.permissions(of: role).sorted().map(\.rawValue).joined(separator: ","))]
        }
        for row in try scope.transaction.query("SELECT name, permissions FROM souk_roles WHERE shop_id = ? ORDER BY name", [shop.id]) {
            roles.append(["name": .string(try row.string("name")), "kind": "custom", "permissions": .string(try row.string("permissions"))])
        }
        return .array(roles)
    }

    static let roleFields = [
        Field("name", .code, required: true, help: "role name"),
        Field("permissions", .list, required: true, help: "comma-separated permissions, e.g. shop.read,audit.read"),
    ]

    static let create = OperationSpec(
        name: "role.create", summary: "Create a custom role", fields: roleFields, permission: "role.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let name = try scope.input.string("name")
        guard BuiltInRole(rawValue: name) == nil else {
            throw KernelError(.conflict, "'\(name)' is a built-in role; choose another name", field: "name")
        }
        let permissions = try checked(scope, shop: shop, action: "create role '\(name)'")
        guard try scope.transaction.query("SELECT 1 FROM souk_roles WHERE shop_id = ? AND name = ?", [shop.id, name]).isEmpty else {
            throw KernelError(.conflict, "shop '\(shop.code)' already has a role '\(name)'", field: "name")
        }
        try scope.transaction.execute("INSERT INTO souk_roles (shop_id, name, permissions, created_at) VALUES (?, ?, ?, ?)",
                                      [shop.id, name, permissions, scope.now])
        scope.audit(entity: "role:\(name)", change: ["permissions": .string(permissions)])
        return ["name": .string(name), "kind": "custom", "permissions": .string(permissions)]
    }

    static let update = OperationSpec(
        name: "role.update", summary: "Replace a custom role's permissions (takes effect at once)",
        fields: roleFields, permission: "role.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let name = try scope.input.string("name")
        guard BuiltInRole(rawValue: name) == nil else {
            throw KernelError(.conflict, "built-in role '\(name)' cannot be changed; create a custom role instead", field: "name")
        }
        guard let old = try scope.kernel.rolePermissions(name, shopID: shop.id, in: scope.transaction) else {
            throw KernelError(.notFound, "shop '\(shop.code)' has no role '\(name)'", field: "name")
        }
        // Removing a permission is as much a delegation as adding one.
        try GrantRules.ensureHolds(old, scope, shop: shop, doing: "change role '\(name)'")
        let permissions = try checked(scope, shop: shop, action: "change role '\(name)'")
        try scope.transaction.execute("UPDATE souk_roles SET permissions = ? WHERE shop_id = ? AND name = ?", [permissions, shop.id, name])
        scope.audit(entity: "role:\(name)", change: ["from": .string(old.sorted().map(\.rawValue).joined(separator: ",")),
                                                     "to": .string(permissions)])
        return ["name": .string(name), "kind": "custom", "permissions": .string(permissions)]
    }

    static let delete = OperationSpec(
        name: "role.delete", summary: "Delete a custom role nobody holds",
        fields: [Field("name", .code, required: true, help: "role name")], permission: "role.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let name = try scope.input.string("name")
        let tx = scope.transaction
        guard BuiltInRole(rawValue: name) == nil else { throw KernelError(.conflict, "built-in role '\(name)' cannot be deleted", field: "name") }
        let holders = try tx.query("SELECT COUNT(*) AS n FROM souk_memberships WHERE shop_id = ? AND role = ?", [shop.id, name])[0].int("n")
        guard holders == 0 else { throw KernelError(.conflict, "role '\(name)' is held by \(holders) staff member(s); revoke it first", field: "name") }
        guard try tx.execute("DELETE FROM souk_roles WHERE shop_id = ? AND name = ?", [shop.id, name]) == 1 else {
            throw KernelError(.notFound, "shop '\(shop.code)' has no role '\(name)'", field: "name")
        }
        scope.audit(entity: "role:\(name)", change: ["deleted": true])
        return ["name": .string(name), "deleted": true]
    }

    /// The requested permissions, checked to exist and to be held by the actor, as stored text.
    static func checked(_ scope: OperationScope, shop: ShopRef, action: String) throws -> String {
        let requested = Set(scope.input.list("permissions").map { Permission($0) })
        guard !requested.isEmpty else { throw KernelError.invalid("permissions", "a role needs at least one permission") }
        let known = Set(scope.kernel.allPermissions.map(\.spec.permission))
        let unknown = requested.subtracting(known)
        guard unknown.isEmpty else {
            throw KernelError.invalid("permissions", "unknown permission(s): \(unknown.sorted().map { $0.rawValue }.joined(separator: ", ")); `souk permission list` shows them")
        }
        try GrantRules.ensureHolds(requested, scope, shop: shop, doing: action)
        return requested.sorted().map(\.rawValue).joined(separator: ",")
    }
}
