import Kernel

/// Refunds, returns and exchanges: each a request with its own states (requested →
/// approved or rejected), decided by staff holding the right permission.
enum AfterSalesOperations {
    static let all = [requestRefund, requestReturn, requestExchange,
                      decide(.refund, approve: true), decide(.refund, approve: false),
                      decide(.return, approve: true), decide(.return, approve: false),
                      decide(.exchange, approve: true), decide(.exchange, approve: false), list]

    static let reasonField = Field("reason", required: true, help: "why the customer asks")

    static let requestRefund = OperationSpec(
        name: "orders.refund.request", summary: "Ask to refund part or all of what was paid",
        fields: [OrderOperations.orderField, Field("amount", .int, required: true, help: "amount in minor units"), reasonField],
        permission: "orders.aftersales.request", mutates: true
    ) { scope in
        let row = try OrderRecord.row(try scope.input.string("order"), scope)
        let amount = try scope.input.int("amount")
        guard amount > 0 else { throw KernelError.invalid("amount", "the refund amount must be positive, got \(amount)") }
        let refundable = try refundableAmount(row, scope)
        guard amount <= refundable.minorUnits else {
            throw KernelError.invalid("amount", "a refund of \(Money(minorUnits: amount, currency: refundable.currency)) exceeds what can still be refunded on order \(try row.string("number")) (\(refundable))")
        }
        return try insert(.refund, row: row, amount: amount, returned: [], replacement: [], scope)
    }

    static let requestReturn = OperationSpec(
        name: "orders.return.request", summary: "Ask to send items back for a refund",
        fields: [OrderOperations.orderField, Field("lines", .list, required: true, help: "SKU:QUANTITY items coming back"), reasonField],
        permission: "orders.aftersales.request", mutates: true
    ) { scope in
        let row = try OrderRecord.row(try scope.input.string("order"), scope)
        let returned = try returnable(row, try LineList.parse(scope.input.list("lines"), field: "lines"), scope)
        let amount = returned.reduce(Int64(0)) { $0 + $1.refund }
        let refundable = try refundableAmount(row, scope).minorUnits
        return try insert(.return, row: row, amount: min(amount, refundable), returned: returned.map(\.line), replacement: [], scope)
    }

    static let requestExchange = OperationSpec(
        name: "orders.exchange.request", summary: "Ask to swap items for others",
        fields: [OrderOperations.orderField, Field("lines", .list, required: true, help: "SKU:QUANTITY items coming back"),
                 Field("replacement", .list, required: true, help: "SKU:QUANTITY items sent instead"), reasonField],
        permission: "orders.aftersales.request", mutates: true
    ) { scope in
        let row = try OrderRecord.row(try scope.input.string("order"), scope)
        let returned = try returnable(row, try LineList.parse(scope.input.list("lines"), field: "lines"), scope)
        // Price the replacement as checkout would: unknown or unlisted SKUs are refused here.
        let cart = Cart(currency: try OrderRecord.currency(row), lines: try LineList.parse(scope.input.list("replacement"), field: "replacement"))
        let replacement = try Checkout.price(cart, scope).lines
        return try insert(.exchange, row: row, amount: 0, returned: returned.map(\.line), replacement: replacement, scope)
    }

    /// What is still refundable: paid, less refunded, less refunds and returns awaiting a decision.
    static func refundableAmount(_ row: Row, _ scope: OperationScope) throws -> Money {
        let pending = try scope.db.query("""
            SELECT COALESCE(SUM(amount), 0) AS n FROM orders_after_sales
            WHERE shop_id = :shop AND order_id = :order AND status = 'requested'
            """, ["order": try row.int64("id")])[0].int64("n")
        let amount = try row.int64("paid_amount") - row.int64("refunded_amount") - pending
        return Money(minorUnits: max(0, amount), currency: try OrderRecord.currency(row))
    }

    /// Checks the lines can come back (shipped order, quantities not already returned or
    /// awaiting a decision) and computes each line's refund share, discounts included.
    static func returnable(_ row: Row, _ requested: [CartLine], _ scope: OperationScope) throws -> [(line: CartLine, refund: Int64)] {
        let number = try row.string("number")
        let status = try OrderRecord.status(row)
        guard [.shipped, .delivered, .completed].contains(status) else {
            throw KernelError(.conflict, "order \(number) is \(status.rawValue); only shipped, delivered or completed orders take returns", field: "order")
        }
        let currency = try OrderRecord.currency(row)
        let lines = try OrderRecord.lines(orderID: try row.int64("id"), currency: currency, scope)
        var pending: [String: Int64] = [:]
        for request in try scope.db.query("""
            SELECT returned FROM orders_after_sales WHERE shop_id = :shop AND order_id = :order AND status = 'requested'
            """, ["order": try row.int64("id")]) {
            for line in try decodeLines(try request.string("returned"), currency: currency) { pending[line.sku, default: 0] += line.quantity }
        }
        return try requested.map { wanted in
            guard let (line, lineRow) = lines.first(where: { $0.line.sku == wanted.sku }) else {
                throw KernelError.invalid("lines", "order \(number) has no SKU '\(wanted.sku)'")
            }
            let available = line.quantity - (try lineRow.int64("returned_quantity")) - pending[wanted.sku, default: 0]
            guard wanted.quantity <= available else {
                throw KernelError.invalid("lines", "only \(available) of SKU \(wanted.sku) on order \(number) can still be returned, not \(wanted.quantity)")
            }
            let net = Money(minorUnits: try lineRow.int64("line_total") + lineRow.int64("discount"), currency: currency)
            let share = try net.allocated(over: [wanted.quantity, line.quantity - wanted.quantity])[0]
            var returned = line
            returned.quantity = wanted.quantity
            return (returned, share.minorUnits)
        }
    }

    static func insert(_ kind: AfterSalesEvent.Kind, row: Row, amount: Int64, returned: [CartLine], replacement: [CartLine],
                       _ scope: OperationScope) throws -> Value {
        let db = try scope.db
        try db.execute("""
            INSERT INTO orders_after_sales (shop_id, order_id, kind, status, amount, returned, replacement, reason, requested_by, requested_at)
            VALUES (:shop, :order, :kind, 'requested', :amount, :returned, :replacement, :reason, :actor, :now)
            """, ["order": try row.int64("id"), "kind": kind.rawValue, "amount": amount, "returned": try encodeLines(returned),
                  "replacement": try encodeLines(replacement), "reason": try scope.input.string("reason"),
                  "actor": scope.context.actor.description, "now": scope.now])
        let id = db.lastInsertRowID
        let currency = try OrderRecord.currency(row)
        try scope.publish(Hooks.afterSalesChanged, AfterSalesEvent(
            requestID: id, kind: kind, status: "requested", orderID: try row.int64("id"), orderNumber: try row.string("number"),
            amount: Money(minorUnits: amount, currency: currency), returnedLines: returned, replacementLines: replacement))
        scope.audit(entity: "aftersales:\(id)", change: ["order": .string(try row.string("number")), "kind": .string(kind.rawValue),
                                                        "amount": .int(amount), "status": "requested"])
        return try value(id, scope)
    }

    static func decide(_ kind: AfterSalesEvent.Kind, approve: Bool) -> OperationSpec {
        OperationSpec(
            name: "orders.\(kind.rawValue).\(approve ? "approve" : "reject")",
            summary: "\(approve ? "Approve" : "Reject") \(kind == .exchange ? "an" : "a") \(kind.rawValue) request",
            fields: [Field("request", .int, required: true, help: "request id"), Field("note", help: "a note for the record")],
            permission: kind == .refund ? "orders.refund.approve" : "orders.return.approve", mutates: true
        ) { scope in
            let id = try scope.input.int("request")
            guard let request = try scope.db.query("SELECT * FROM orders_after_sales WHERE shop_id = :shop AND id = :id AND kind = :kind",
                                                   ["id": id, "kind": kind.rawValue]).first else {
                throw KernelError(.notFound, "no \(kind.rawValue) request \(id) in this shop", field: "request")
            }
            guard try request.string("status") == "requested" else {
                throw KernelError(.conflict, "\(kind.rawValue) request \(id) is already \(try request.string("status"))", field: "request")
            }
            let db = try scope.db
            let orderRow = try db.query("SELECT * FROM orders_orders WHERE shop_id = :shop AND id = :id", ["id": try request.int64("order_id")])[0]
            let currency = try OrderRecord.currency(orderRow)
            let amount = try request.int64("amount")
            let returned = try decodeLines(try request.string("returned"), currency: currency)
            try db.execute("UPDATE orders_after_sales SET status = :status, decided_by = :actor, decided_at = :now, note = :note WHERE shop_id = :shop AND id = :id",
                           ["status": approve ? "approved" : "rejected", "actor": scope.context.actor.description, "now": scope.now,
                            "note": scope.input.optionalString("note"), "id": id])
            if approve {
                // Re-checked at approval: the paid amount is the ceiling, whatever was requested.
                let refundedAfter = try orderRow.int64("refunded_amount") + amount
                guard refundedAfter <= (try orderRow.int64("paid_amount")) else {
                    throw KernelError.invalid("request", "approving would refund \(Money(minorUnits: refundedAfter, currency: currency)), more than was paid")
                }
                try db.execute("UPDATE orders_orders SET refunded_amount = :refunded, updated_at = :now WHERE shop_id = :shop AND id = :id",
                               ["refunded": refundedAfter, "now": scope.now, "id": try orderRow.int64("id")])
                for line in returned {
                    try db.execute("""
                        UPDATE orders_lines SET returned_quantity = returned_quantity + :quantity
                        WHERE shop_id = :shop AND id >= :lower AND id < :upper AND sku = :sku AND returned_quantity + :quantity <= quantity
                        """, ["quantity": line.quantity, "lower": LineKeys.range(order: try orderRow.int64("id")).lower,
                              "upper": LineKeys.range(order: try orderRow.int64("id")).upper, "sku": line.sku])
                }
            }
            let event = AfterSalesEvent(
                requestID: id, kind: kind, status: approve ? "approved" : "rejected", orderID: try orderRow.int64("id"),
                orderNumber: try orderRow.string("number"), amount: Money(minorUnits: amount, currency: currency),
                returnedLines: returned, replacementLines: try decodeLines(try request.string("replacement"), currency: currency))
            if approve { try scope.publish(Hooks.afterSalesApproved, event) }
            try scope.publish(Hooks.afterSalesChanged, event)
            scope.audit(entity: "aftersales:\(id)", change: ["order": .string(try orderRow.string("number")), "kind": .string(kind.rawValue),
                                                            "status": .string(approve ? "approved" : "rejected"), "amount": .int(amount)])
            return try value(id, scope)
        }
    }

    static let list = OperationSpec(
        name: "orders.aftersales.list", summary: "List refund, return and exchange requests, newest first, a page at a time",
        fields: [Field("order", help: "only this order"), Field("status", help: "requested, approved or rejected"),
                 Field("kind", help: "refund, return or exchange"),
                 Field("cursor", .int, help: "continue after this request id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: "orders.read", mutates: false
    ) { scope in
        var sql = "SELECT id FROM orders_after_sales WHERE shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let number = scope.input.optionalString("order") {
            sql += " AND order_id = :order"; parameters["order"] = try OrderRecord.row(number, scope).int64("id")
        }
        if let status = scope.input.optionalString("status") {
            guard ["requested", "approved", "rejected"].contains(status) else {
                throw KernelError.invalid("status", "'\(status)' is not a request status (requested, approved, rejected)")
            }
            sql += " AND status = :status"; parameters["status"] = status
        }
        if let kind = scope.input.optionalString("kind") {
            guard AfterSalesEvent.Kind(rawValue: kind) != nil else {
                throw KernelError.invalid("kind", "'\(kind)' is not a request kind (refund, return, exchange)")
            }
            sql += " AND kind = :kind"; parameters["kind"] = kind
        }
        if let cursor = scope.input.optionalInt("cursor") { sql += " AND id < :cursor"; parameters["cursor"] = cursor }
        let limit = try scope.input.limit()
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map { try value(try $0.int64("id"), scope) }), "next_cursor": next]
    }

    static func value(_ id: Int64, _ scope: OperationScope) throws -> Value {
        let row = try scope.db.query("""
            SELECT a.*, o.number, o.currency FROM orders_after_sales a JOIN orders_orders o ON o.id = a.order_id
            WHERE a.shop_id = :shop AND a.id = :id
            """, ["id": id])[0]
        let currency = try OrderRecord.currency(row)
        func lines(_ column: String) throws -> String {
            try decodeLines(try row.string(column), currency: currency).map { "\($0.sku) x\($0.quantity)" }.joined(separator: ",")
        }
        return ["id": .int(id), "order": .string(try row.string("number")), "kind": .string(try row.string("kind")),
                "status": .string(try row.string("status")),
                "amount": .string(Money(minorUnits: try row.int64("amount"), currency: currency).description),
                "returned": .string(try lines("returned")), "replacement": .string(try lines("replacement")),
                "reason": .string(try row.string("reason")), "requested_by": .string(try row.string("requested_by")),
                "decided_by": Value(try row.optionalString("decided_by"))]
    }

    static func encodeLines(_ lines: [CartLine]) throws -> String {
        JSON.encode(.array(lines.map {
            ["sku": .string($0.sku), "quantity": .int($0.quantity), "title": .string($0.title),
             "unit_price": .int($0.unitPrice?.minorUnits ?? 0)]
        }))
    }

    static func decodeLines(_ text: String, currency: Currency) throws -> [CartLine] {
        try (JSON.decode(text).arrayValue ?? []).map {
            CartLine(sku: $0["sku"]?.stringValue ?? "", quantity: $0["quantity"]?.intValue ?? 0, title: $0["title"]?.stringValue ?? "",
                     unitPrice: Money(minorUnits: $0["unit_price"]?.intValue ?? 0, currency: currency))
        }
    }
}
