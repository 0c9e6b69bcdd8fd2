import Kernel

enum GiftWrapOperations {
    static let request = OperationSpec(
        name: "giftwrap.request", summary: "Record a gift-wrap request for an order",
        fields: [
            Field("order", required: true, help: "the order reference"),
            Field("note", help: "message for the gift card (up to 200 characters)"),
        ],
        permission: "giftwrap.write", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let order = try scope.input.string("order").trimmingCharacters(in: .whitespaces)
        guard !order.isEmpty else { throw KernelError.invalid("order", "the order reference is empty") }
        let note = scope.input.optionalString("note") ?? ""
        guard note.count <= 200 else { throw KernelError.invalid("note", "the note has \(note.count) characters; at most 200") }
        guard let fee = try scope.setting(plugin: "giftwrap", "fee").intValue, fee >= 0 else {
            throw KernelError.invalid("fee", "the gift-wrap fee setting is not a non-negative whole number")
        }
        let id = try record(order: order, note: note, fee: fee, scope)
        scope.audit(entity: "giftwrap:\(id)", change: ["order": .string(order), "fee_minor": .int(fee)])
        return ["id": .int(id), "order": .string(order), "fee_minor": .int(fee), "currency": .string(shop.currency), "status": "requested"]
    }

    /// Writes a wrap request and publishes `giftwrap.requested`; used by the operation and by
    /// checkout (the `order.placing` filter).
    @discardableResult
    static func record(order: String, note: String, fee: Int64, _ scope: OperationScope) throws -> Int64 {
        let shop = try scope.context.requireShop()
        let db = try scope.db
        guard try db.query("SELECT 1 FROM giftwrap_wraps WHERE shop_id = :shop AND order_ref = :order", ["order": order]).isEmpty else {
            throw KernelError(.conflict, "order \(order) already has a gift-wrap request", field: "order")
        }
        try db.execute("""
            INSERT INTO giftwrap_wraps (shop_id, order_ref, note, fee_minor, currency, status, created_at)
            VALUES (:shop, :order, :note, :fee, :currency, 'requested', :now)
            """, ["order": order, "note": note, "fee": fee, "currency": shop.currency, "now": scope.now])
        let id = db.lastInsertRowID
        try scope.publish(GiftWrapEvents.requested, WrapRequested(wrapID: id, orderRef: order))
        return id
    }

    static let list = OperationSpec(
        name: "giftwrap.list", summary: "List gift-wrap requests, newest first, a page at a time",
        fields: [
            Field("status", help: "only requests in this status (requested, queued)"),
            Field("cursor", .int, help: "continue after this request id (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-500 (default 50)"),
        ],
        permission: "giftwrap.read", mutates: false
    ) { scope in
        var sql = "SELECT * FROM giftwrap_wraps WHERE shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let status = scope.input.optionalString("status") {
            sql += " AND status = :status"
            parameters["status"] = status
        }
        // A list that grows is paged: continue after a stable key (the id), fetch one row
        // more than the page to know whether there is a next one.
        if let cursor = scope.input.optionalInt("cursor") {
            sql += " AND id < :cursor"
            parameters["cursor"] = cursor
        }
        let limit = try scope.input.limit()
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let page = try Page(rows, limit: limit)   // keeps `limit` rows, cursor from the last
        return ["items": .array(try page.rows.map { row in
            ["id": .int(try row.int64("id")), "order": .string(try row.string("order_ref")), "note": .string(try row.string("note")),
             "fee_minor": .int(try row.int64("fee_minor")), "currency": .string(try row.string("currency")),
             "status": .string(try row.string("status"))]
        }), "next_cursor": page.nextCursor]
    }
}
