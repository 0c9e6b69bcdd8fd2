import Kernel

/// The append-only points ledger. The balance is the `balance_after` of a customer's last
/// entry; each entry is computed from the one before inside the operation's write
/// transaction (writes are serialised across processes), and the table refuses a negative
/// balance, an UPDATE or a DELETE.
enum PointsLedger {
    static let columns = "id, customer_id, delta, reason, balance_after, created_at, actor"

    static func balance(_ customerID: Int64, _ scope: OperationScope) throws -> Int64 {
        try scope.db.query("""
            SELECT balance_after FROM customers_points WHERE shop_id = :shop AND customer_id = :customer ORDER BY id DESC LIMIT 1
            """, ["customer": customerID]).first?.int64("balance_after") ?? 0
    }

    /// Appends `delta` (positive: add, negative: deduct) and returns the new entry. Refuses,
    /// writing nothing, a deduction larger than the balance.
    static func append(_ customerID: Int64, delta: Int64, reason: String, _ scope: OperationScope) throws -> Row {
        let balance = try balance(customerID, scope)
        let (after, overflow) = balance.addingReportingOverflow(delta)
        if overflow {
            throw KernelError.invalid("points", "customer \(customerID) has \(balance) points; adding \(delta) would overflow")
        }
        guard after >= 0 else {
            throw KernelError(.conflict, "cannot deduct \(-delta) points from customer \(customerID): the balance is \(balance)", field: "points")
        }
        let db = try scope.db
        try db.execute("""
            INSERT INTO customers_points (shop_id, customer_id, delta, reason, balance_after, created_at, actor)
            VALUES (:shop, :customer, :delta, :reason, :after, :now, :actor)
            """, ["customer": customerID, "delta": delta, "reason": reason, "after": after, "now": scope.now,
                  "actor": scope.context.actor.description])
        return try db.query("SELECT \(columns) FROM customers_points WHERE shop_id = :shop AND id = :id", ["id": db.lastInsertRowID])[0]
    }

    static func value(_ row: Row) throws -> Value {
        ["id": .int(try row.int64("id")), "customer": .int(try row.int64("customer_id")), "delta": .int(try row.int64("delta")),
         "reason": .string(try row.string("reason")), "balance_after": .int(try row.int64("balance_after")),
         "created_at": CustomerRules.time(try row.int64("created_at")), "actor": .string(try row.string("actor"))]
    }
}
