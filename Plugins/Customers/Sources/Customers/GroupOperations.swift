import Kernel

enum GroupOperations {
    static let all = [create, list, add, remove]

    static func value(_ row: Row) throws -> Value {
        ["name": .string(try row.string("code")), "description": .string(try row.string("description")),
         "members": .int(try row.int64("members")), "created_at": CustomerRules.time(try row.int64("created_at"))]
    }

    static let selectSQL = """
        SELECT g.id, g.code, g.description, g.created_at,
            (SELECT COUNT(*) FROM customers_group_members m WHERE m.shop_id = :shop AND m.group_id = g.id) AS members
        FROM customers_groups g
        """

    /// The id of group `code` in this shop, or `not_found` naming the `group` field.
    static func id(_ code: String, _ scope: OperationScope) throws -> Int64 {
        guard let row = try scope.db.query("SELECT id FROM customers_groups WHERE shop_id = :shop AND code = :code", ["code": code]).first else {
            throw KernelError(.notFound, "no customer group '\(code)' in this shop; create it with customers.group.create", field: "group")
        }
        return try row.int64("id")
    }

    static let create = OperationSpec(
        name: "customers.group.create", summary: "Create a customer group (e.g. wholesale, vip)",
        fields: [
            Field("name", .code, required: true, help: "group code, e.g. vip"),
            Field("description", help: "what the group is for (up to 200 characters)"),
        ],
        permission: "customers.write", mutates: true
    ) { scope in
        let code = try scope.input.string("name")
        let description = try CustomerRules.text(scope, "description")
        let db = try scope.db
        guard try db.query("SELECT 1 FROM customers_groups WHERE shop_id = :shop AND code = :code", ["code": code]).isEmpty else {
            throw KernelError(.conflict, "customer group '\(code)' already exists in this shop", field: "name")
        }
        try db.execute("INSERT INTO customers_groups (shop_id, code, description, created_at) VALUES (:shop, :code, :description, :now)",
                       ["code": code, "description": description, "now": scope.now])
        scope.audit(entity: "customer_group:\(code)", change: ["created": true, "description": .string(description)])
        return try value(try db.query(selectSQL + " WHERE g.shop_id = :shop AND g.code = :code", ["code": code])[0])
    }

    static let list = OperationSpec(
        name: "customers.group.list", summary: "List customer groups with their member counts, oldest first, a page at a time",
        fields: [Field("cursor", .int, help: CustomerRules.cursorHelp), Field("limit", .int, help: CustomerRules.limitHelp)],
        permission: "customers.read", mutates: false
    ) { scope in
        let limit = try CustomerRules.limit(scope)
        let rows = try scope.db.query(selectSQL + " WHERE g.shop_id = :shop AND g.id > :cursor ORDER BY g.id LIMIT :limit",
                                      ["cursor": scope.input.optionalInt("cursor") ?? 0, "limit": limit + 1])
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map(value)), "next_cursor": next]
    }

    static let memberFields = [
        Field("group", .code, required: true, help: "group code"),
        Field("customer", .int, required: true, help: "customer id"),
    ]

    static let add = OperationSpec(
        name: "customers.group.add", summary: "Add a customer to a group",
        fields: memberFields, permission: "customers.write", mutates: true
    ) { scope in
        let code = try scope.input.string("group")
        let customerID = try scope.input.int("customer")
        let groupID = try id(code, scope)
        try Customer.require(customerID, scope)
        let db = try scope.db
        guard try db.query("SELECT 1 FROM customers_group_members WHERE shop_id = :shop AND group_id = :group AND customer_id = :customer",
                           ["group": groupID, "customer": customerID]).isEmpty else {
            throw KernelError(.conflict, "customer \(customerID) is already in group '\(code)'", field: "customer")
        }
        try db.execute("INSERT INTO customers_group_members (shop_id, group_id, customer_id, added_at) VALUES (:shop, :group, :customer, :now)",
                       ["group": groupID, "customer": customerID, "now": scope.now])
        scope.audit(entity: "customer:\(customerID)", change: ["group_added": .string(code)])
        return try Customer.load(customerID, scope).value
    }

    static let remove = OperationSpec(
        name: "customers.group.remove", summary: "Take a customer out of a group",
        fields: memberFields, permission: "customers.write", mutates: true
    ) { scope in
        let code = try scope.input.string("group")
        let customerID = try scope.input.int("customer")
        let groupID = try id(code, scope)
        try Customer.require(customerID, scope)
        let removed = try scope.db.execute(
            "DELETE FROM customers_group_members WHERE shop_id = :shop AND group_id = :group AND customer_id = :customer",
            ["group": groupID, "customer": customerID])
        guard removed == 1 else {
            throw KernelError(.notFound, "customer \(customerID) is not in group '\(code)'", field: "customer")
        }
        scope.audit(entity: "customer:\(customerID)", change: ["group_removed": .string(code)])
        return try Customer.load(customerID, scope).value
    }
}
