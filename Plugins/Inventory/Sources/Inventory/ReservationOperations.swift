import Kernel

enum ReservationOperations {
    static let all = [list, expire]

    static let list = OperationSpec(
        name: "inventory.reservations.list", summary: "List stock held for orders, oldest first, a page at a time",
        fields: [Field("status", help: "active, committed, released or restocked (default active)"), Field("order", help: "only this order"),
                 Field("cursor", .int, help: "continue after this reservation id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: "inventory.read", mutates: false
    ) { scope in
        var sql = """
            SELECT r.*, l.code AS location FROM inventory_reservations r JOIN inventory_locations l ON l.id = r.location_id
            WHERE r.shop_id = :shop AND r.status = :status
            """
        let status = scope.input.optionalString("status") ?? "active"
        guard ["active", "committed", "released", "restocked"].contains(status) else {
            throw KernelError.invalid("status", "'\(status)' is not a reservation status (active, committed, released, restocked)")
        }
        var parameters: [String: any SQLBindable] = ["status": status]
        if let order = scope.input.optionalString("order") { sql += " AND r.order_number = :order"; parameters["order"] = order }
        if let cursor = scope.input.optionalInt("cursor") { sql += " AND r.id > :cursor"; parameters["cursor"] = cursor }
        let limit = try scope.input.limit()
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY r.id LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map {
            ["order": .string(try $0.string("order_number")), "sku": .string(try $0.string("sku")), "location": .string(try $0.string("location")),
             "quantity": .int(try $0.int64("quantity")), "status": .string(try $0.string("status")),
             "expires_at": .string(Validation.isoString(millis: try $0.int64("expires_at")))]
        }), "next_cursor": next]
    }

    static let expire = OperationSpec(
        name: "inventory.reservations.expire", summary: "Cancel unpaid orders whose stock hold has expired, freeing the stock",
        permission: "inventory.manage", mutates: true
    ) { scope in
        let due = try scope.db.query("""
            SELECT DISTINCT order_number FROM inventory_reservations WHERE shop_id = :shop AND status = 'active' AND expires_at <= :now
            ORDER BY order_number
            """, ["now": scope.now]).map { try $0.string("order_number") }
        // Nothing due (the usual case for the scheduled run every minute): no audit entry.
        guard !due.isEmpty else {
            scope.nothingChanged()
            return ["expired": 0, "cancelled_orders": [], "kept": []]
        }
        var cancelled: [Value] = []
        var kept: [Value] = []
        for number in due {
            let status = try scope.db.query("SELECT status FROM orders_orders WHERE shop_id = :shop AND number = :number", ["number": number]).first
            if try status?.string("status") == OrderStatus.pendingPayment.rawValue {
                // Cancelling goes through Orders (guards, history, events); the stock comes back here at once.
                // One order that cannot be cancelled (a guard's veto) keeps its hold and does not
                // stop the others: the nested cancel rolled back to its savepoint.
                do {
                    _ = try scope.perform("orders.cancel", ["order": .string(number), "reason": "stock hold expired"])
                } catch let error as KernelError {
                    kept.append(["order": .string(number), "reason": .string(error.message)])
                    continue
                }
                cancelled.append(.string(number))
            }
            try Reservations.release(orderNumber: number, restock: false, scope)
        }
        scope.audit(entity: "reservations", change: ["expired_orders": .array(cancelled), "kept": .array(kept)])
        return ["expired": .int(Int64(due.count - kept.count)), "cancelled_orders": .array(cancelled), "kept": .array(kept)]
    }
}
