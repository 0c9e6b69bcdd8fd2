import Kernel

enum PointsOperations {
    static let all = [add, deduct, history]

    static let changeFields = [
        Field("customer", .int, required: true, help: "customer id"),
        Field("points", .int, required: true, help: "how many points (a whole number above 0)"),
        Field("reason", required: true, help: "why, e.g. 'order A-1001' or 'birthday gift' (up to 200 characters)"),
    ]

    /// Validates the input, then appends `sign × points` to the ledger and audits it.
    static func change(_ scope: OperationScope, sign: Int64) throws -> Value {
        let customerID = try scope.input.int("customer")
        let points = try scope.input.int("points")
        guard points > 0 else { throw KernelError.invalid("points", "points must be a whole number above 0, got \(points)") }
        let reason = try CustomerRules.text(scope, "reason", required: true)
        try Customer.require(customerID, scope)
        let entry = try PointsLedger.append(customerID, delta: sign * points, reason: reason, scope)
        scope.audit(entity: "customer:\(customerID)", change: [
            "points": .int(sign * points), "reason": .string(reason), "balance_after": .int(try entry.int64("balance_after")),
            "entry": .int(try entry.int64("id")),
        ])
        return try PointsLedger.value(entry)
    }

    static let add = OperationSpec(
        name: "customers.points.add", summary: "Give a customer points",
        fields: changeFields, permission: "customers.points.write", mutates: true
    ) { scope in
        try change(scope, sign: 1)
    }

    static let deduct = OperationSpec(
        name: "customers.points.deduct", summary: "Take points from a customer (never below zero)",
        fields: changeFields, permission: "customers.points.write", mutates: true
    ) { scope in
        try change(scope, sign: -1)
    }

    static let history = OperationSpec(
        name: "customers.points.history", summary: "Show a customer's points balance and ledger entries, newest first",
        fields: [
            Field("customer", .int, required: true, help: "customer id"),
            Field("cursor", .int, help: "continue after this entry id (next_cursor of the previous page)"),
            Field("limit", .int, help: CustomerRules.limitHelp),
        ],
        permission: "customers.read", mutates: false
    ) { scope in
        let customerID = try scope.input.int("customer")
        try Customer.require(customerID, scope)
        var sql = "SELECT \(PointsLedger.columns) FROM customers_points WHERE shop_id = :shop AND customer_id = :customer"
        var parameters: [String: any SQLBindable] = ["customer": customerID]
        if let cursor = scope.input.optionalInt("cursor") {
            sql += " AND id < :cursor"
            parameters["cursor"] = cursor
        }
        let limit = try CustomerRules.limit(scope)
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = Array(paged.rows), next = paged.nextCursor
        return ["customer": .int(customerID), "balance": .int(try PointsLedger.balance(customerID, scope)),
                "entries": .array(try page.map(PointsLedger.value)), "next_cursor": next]
    }
}
