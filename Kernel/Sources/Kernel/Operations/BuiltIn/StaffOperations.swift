enum StaffOperations {
    static let all: [OperationSpec] = [add, list, grant, revoke, passwd]

    static let add = OperationSpec(
        name: "staff.add", summary: "Create a staff account (and optionally give it a role in a shop)",
        fields: [
            Field("email", .email, required: true, help: "sign-in email"),
            Field("name", help: "full name"),
            Field("password", required: true, help: "initial password", secret: true),
            Field("role", .code, help: "a role to grant at once in --shop"),
        ],
        permission: nil, mutates: true, scope: .platform
    ) { scope in
        let input = scope.input
        let email = try input.string("email")
        var grant: (ShopRef, String)?
        if let role = input.optionalString("role") {
            guard let shop = scope.context.shop else { throw KernelError.invalid("shop", "--role needs --shop CODE") }
            try GrantRules.ensureHolds(["staff.manage"], scope, shop: shop, doing: "add staff")
            try GrantRules.ensureHolds(try GrantRules.role(role, scope, shop: shop), scope, shop: shop, doing: "grant role '\(role)'")
            grant = (shop, role)
        } else if !scope.context.isOperator {
            throw KernelError.denied("only an operator can add staff without a shop; pass --shop CODE --role ROLE to add them to a shop you manage")
        }
        let password = try input.string("password")
        try Kernel.checkPasswordStrength(password, field: "password")
        let tx = scope.transaction
        guard try tx.query("SELECT 1 FROM souk_staff WHERE email = ?", [email]).isEmpty else {
            throw KernelError(.conflict, "a staff account with email '\(email)' already exists", field: "email")
        }
        try tx.execute("INSERT INTO souk_staff (email, name, password_hash, password_changed_at, created_at) VALUES (?, ?, ?, ?, ?)",
                       [email, input.optionalString("name") ?? "", try PasswordHasher.hash(password), scope.now, scope.now])
        let staffID = tx.lastInsertRowID
        if let (shop, role) = grant {
            try tx.execute("INSERT INTO souk_memberships (staff_id, shop_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)",
                           [staffID, shop.id, role, scope.context.actor.description, scope.now])
        }
        scope.audit(entity: "staff:\(email)", change: ["email": .string(email), "name": Value(input.optionalString("name")),
                                                      "shop": Value(grant?.0.code), "role": Value(grant?.1)])
        return ["email": .string(email), "name": .string(input.optionalString("name") ?? ""),
                "shop": Value(grant?.0.code), "role": Value(grant?.1)]
    }

    static let list = OperationSpec(
        name: "staff.list", summary: "List the shop's staff and their roles, in the order they joined Souk, a page at a time",
        fields: [Field("cursor", .int, help: "continue after this staff id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: "staff.read", mutates: false
    ) { scope in
        let limit = try scope.input.limit()
        let rows = try scope.transaction.query("""
            SELECT s.id, s.email, s.name, group_concat(m.role, ',') AS roles FROM souk_memberships m
            JOIN souk_staff s ON s.id = m.staff_id WHERE m.shop_id = ? AND s.id > ? GROUP BY s.id ORDER BY s.id LIMIT ?
            """, [try scope.context.requireShop().id, scope.input.optionalInt("cursor") ?? 0, limit + 1])
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map {
            ["email": .string(try $0.string("email")), "name": .string(try $0.string("name")),
             "roles": .string((try $0.string("roles")).split(separator: ",").sorted().joined(separator: ","))]
        }), "next_cursor": next]
    }

    static let grant = OperationSpec(
        name: "staff.grant", summary: "Give a staff member a role in the shop",
        fields: [Field("email", .email, required: true, help: "the staff member"),
                 Field("role", .code, required: true, help: "built-in or custom role")],
        permission: "staff.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let (staffID, email) = try staff(scope)
        let role = try scope.input.string("role")
        try GrantRules.ensureHolds(try GrantRules.role(role, scope, shop: shop), scope, shop: shop, doing: "grant role '\(role)'")
        let changed = try scope.transaction.execute("""
            INSERT OR IGNORE INTO souk_memberships (staff_id, shop_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)
            """, [staffID, shop.id, role, scope.context.actor.description, scope.now])
        guard changed == 1 else { throw KernelError(.conflict, "\(email) already holds role '\(role)' in shop '\(shop.code)'") }
        scope.audit(entity: "staff:\(email)", change: ["granted": .string(role)])
        return ["email": .string(email), "shop": .string(shop.code), "role": .string(role), "granted": true]
    }

    static let revoke = OperationSpec(
        name: "staff.revoke", summary: "Take a role away from a staff member in the shop",
        fields: [Field("email", .email, required: true, help: "the staff member"),
                 Field("role", .code, required: true, help: "the role to take away")],
        permission: "staff.manage", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let (staffID, email) = try staff(scope)
        let role = try scope.input.string("role")
        try GrantRules.ensureHolds(try GrantRules.role(role, scope, shop: shop), scope, shop: shop, doing: "revoke role '\(role)'")
        let tx = scope.transaction
        let removed = try tx.execute("DELETE FROM souk_memberships WHERE staff_id = ? AND shop_id = ? AND role = ?", [staffID, shop.id, role])
        guard removed == 1 else { throw KernelError(.notFound, "\(email) does not hold role '\(role)' in shop '\(shop.code)'") }
        if role == BuiltInRole.owner.rawValue,
           try tx.query("SELECT 1 FROM souk_memberships WHERE shop_id = ? AND role = 'owner'", [shop.id]).isEmpty,
           !scope.context.isOperator {
            throw KernelError(.conflict, "\(email) is the last owner of shop '\(shop.code)'; grant owner to someone else first")
        }
        scope.audit(entity: "staff:\(email)", change: ["revoked": .string(role)])
        return ["email": .string(email), "shop": .string(shop.code), "role": .string(role), "revoked": true]
    }

    static let passwd = OperationSpec(
        name: "staff.passwd", summary: "Change your own password",
        fields: [Field("current", required: true, help: "your current password", secret: true),
                 Field("new", required: true, help: "the new password", secret: true)],
        permission: nil, mutates: true, scope: .platform
    ) { scope in
        guard let staffID = scope.context.actor.staffID else { throw KernelError(.unauthenticated, "sign in as a staff member first") }
        let tx = scope.transaction
        let row = try tx.query("SELECT email, password_hash FROM souk_staff WHERE id = ?", [staffID])[0]
        guard PasswordHasher.verify(try scope.input.string("current"), against: try row.string("password_hash")) else {
            throw KernelError(.unauthenticated, "the current password is wrong")
        }
        let new = try scope.input.string("new")
        try Kernel.checkPasswordStrength(new, field: "new")
        try tx.execute("UPDATE souk_staff SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                       [try PasswordHasher.hash(new), scope.now, staffID])
        // Old sessions die with the old password.
        try tx.execute("DELETE FROM souk_sessions WHERE staff_id = ?", [staffID])
        let email = try row.string("email")
        scope.audit(entity: "staff:\(email)", change: ["password": "changed"])
        return ["email": .string(email), "password_changed": true]
    }

    static func staff(_ scope: OperationScope) throws -> (Int64, String) {
        let email = try scope.input.string("email")
        guard let row = try scope.transaction.query("SELECT id FROM souk_staff WHERE email = ?", [email]).first else {
            throw KernelError(.notFound, "no staff account with email '\(email)'; add it with: souk staff add --email \(email)", field: "email")
        }
        return (try row.int64("id"), email)
    }
}
