import Kernel

enum OrderOperations {
    static let all = [place, show, list, history]

    static let orderField = Field("order", required: true, help: "order number, e.g. NORTH-1001")

    static let place = OperationSpec(
        name: "orders.place", summary: "Place an order directly from lines (checkout without a stored cart); with pay_with, pay it in the same transaction",
        fields: [Field("lines", .list, required: true, help: "SKU:QUANTITY items, e.g. TEA-1:2,CUP-3:1"),
                 Field("customer", .int, help: "customer id"),
                 Field("attributes", .list, help: "requests as key=value, e.g. gift_wrap=yes"),
                 Field("destination", .list, help: "country=FR,region=IDF,city=PAR")] + Checkout.paymentFields,
        permission: "orders.place", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        guard let currency = Currency(code: shop.currency) else { throw KernelError(.storage, "shop currency unknown") }
        let cart = Cart(currency: currency, customerID: scope.input.optionalInt("customer"),
                        lines: try LineList.parse(scope.input.list("lines"), field: "lines"),
                        attributes: try LineList.attributes(scope.input.list("attributes"), field: "attributes"),
                        destination: try LineList.attributes(scope.input.list("destination"), field: "destination"))
        return OrderRecord.value(try Checkout.place(cart, paying: try Checkout.PaymentAsked(scope), scope))
    }

    static let show = OperationSpec(
        name: "orders.show", summary: "Show an order with its lines and totals",
        fields: [orderField], permission: "orders.read", mutates: false
    ) { scope in
        try OrderRecord.value(try OrderRecord.row(try scope.input.string("order"), scope), scope)
    }

    static let list = OperationSpec(
        name: "orders.list", summary: "Search orders, newest first",
        fields: [
            Field("status", help: "pending_payment, paid, shipped, delivered, completed or cancelled"),
            Field("customer", .int, help: "customer id"),
            Field("since", .dateTime, help: "placed at or after (ISO 8601)"),
            Field("until", .dateTime, help: "placed before (ISO 8601)"),
            Field("min_total", .int, help: "total at least (minor units)"),
            Field("max_total", .int, help: "total at most (minor units)"),
            Field("cursor", .int, help: "continue after this position (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-500 (default 50)"),
        ],
        permission: "orders.read", mutates: false
    ) { scope in
        let input = scope.input
        var sql = "SELECT * FROM orders_orders WHERE shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let status = input.optionalString("status") {
            guard OrderStatus(rawValue: status) != nil else {
                throw KernelError.invalid("status", "'\(status)' is not an order status (\(OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            sql += " AND status = :status"; parameters["status"] = status
        }
        if let customer = input.optionalInt("customer") { sql += " AND customer_id = :customer"; parameters["customer"] = customer }
        if let since = input.optionalString("since").flatMap(Validation.parseDate) {
            sql += " AND placed_at >= :since"; parameters["since"] = Int64(since.timeIntervalSince1970 * 1000)
        }
        if let until = input.optionalString("until").flatMap(Validation.parseDate) {
            sql += " AND placed_at < :until"; parameters["until"] = Int64(until.timeIntervalSince1970 * 1000)
        }
        if let min = input.optionalInt("min_total") { sql += " AND total >= :min"; parameters["min"] = min }
        if let max = input.optionalInt("max_total") { sql += " AND total <= :max"; parameters["max"] = max }
        if let cursor = input.optionalInt("cursor") { sql += " AND id < :cursor"; parameters["cursor"] = cursor }
        let limit = try input.limit()
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map(OrderRecord.summary)), "next_cursor": next]
    }

    static let history = OperationSpec(
        name: "orders.history", summary: "Show who changed an order's state, and when",
        fields: [orderField], permission: "orders.read", mutates: false
    ) { scope in
        let row = try OrderRecord.row(try scope.input.string("order"), scope)
        // The first step is the placement itself, recorded on the order row.
        let placed: Value = ["from": .null, "to": .string(OrderStatus.pendingPayment.rawValue), "by": .string(try row.string("placed_by")),
                             "at": .string(Validation.isoString(millis: try row.int64("placed_at"))), "reason": "placed"]
        // Paid while placed: the second step, recorded on the order row too.
        var steps = [placed]
        if let paidBy = try row.optionalString("paid_on_placement") {
            steps.append(["from": .string(OrderStatus.pendingPayment.rawValue), "to": .string(OrderStatus.paid.rawValue),
                          "by": .string(try row.string("placed_by")), "at": .string(Validation.isoString(millis: try row.int64("placed_at"))),
                          "reason": .string(paidBy)])
        }
        return .array(steps + (try scope.db.query("SELECT * FROM orders_transitions WHERE shop_id = :shop AND order_id = :order ORDER BY id",
                                                      ["order": try row.int64("id")]).map {
            ["from": Value(try $0.optionalString("from_status")), "to": .string(try $0.string("to_status")),
             "by": .string(try $0.string("actor")), "at": .string(Validation.isoString(millis: try $0.int64("at"))),
             "reason": Value(try $0.optionalString("reason"))]
        }))
    }
}
