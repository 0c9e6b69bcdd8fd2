import Kernel

/// Reads orders back from the tables, as values for the hosts and snapshots for the hooks.
enum OrderRecord {
    static func encode(_ map: [String: String]) -> String {
        if map.isEmpty { return "{}" }
        var object = Value.Object()
        for key in map.keys.sorted() { object[key] = .string(map[key]!) }
        return JSON.encode(.object(object))
    }

    static func decode(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSON.decode(text) else { return [:] }
        var map: [String: String] = [:]
        for (key, value) in object { map[key] = value.stringValue ?? value.display }
        return map
    }

    /// The order row for `number`, or `not_found`.
    static func row(_ number: String, _ scope: OperationScope) throws -> Row {
        guard let row = try scope.db.query("SELECT * FROM orders_orders WHERE shop_id = :shop AND number = :number",
                                           ["number": number]).first else {
            throw KernelError(.notFound, "no order \(number) in this shop", field: "order")
        }
        return row
    }

    static func lines(orderID: Int64, currency: Currency, _ scope: OperationScope) throws -> [(line: CartLine, row: Row)] {
        let range = LineKeys.range(order: orderID)
        return try scope.db.query("SELECT * FROM orders_lines WHERE shop_id = :shop AND id >= :lower AND id < :upper ORDER BY id",
                                  ["lower": range.lower, "upper": range.upper]).map { row in
            (CartLine(sku: try row.string("sku"), quantity: try row.int64("quantity"), title: try row.string("title"),
                      productID: try row.optionalInt("product_id").map(Int64.init),
                      unitPrice: Money(minorUnits: try row.int64("unit_price"), currency: currency),
                      weightGrams: try row.int64("weight_grams")), row)
        }
    }

    static func adjustments(orderID: Int64, currency: Currency, _ scope: OperationScope) throws -> [Adjustment] {
        let range = LineKeys.range(order: orderID)
        return try scope.db.query("SELECT * FROM orders_adjustments WHERE shop_id = :shop AND id >= :lower AND id < :upper ORDER BY id",
                                  ["lower": range.lower, "upper": range.upper]).map {
            Adjustment(kind: Adjustment.Kind(rawValue: try $0.string("kind")) ?? .fee, code: try $0.string("code"),
                       label: try $0.string("label"), amount: Money(minorUnits: try $0.int64("amount"), currency: currency))
        }
    }

    static func currency(_ row: Row) throws -> Currency {
        guard let currency = Currency(code: try row.string("currency")) else { throw KernelError(.storage, "order has an unknown currency") }
        return currency
    }

    static func status(_ row: Row) throws -> OrderStatus {
        guard let status = OrderStatus(rawValue: try row.string("status")) else { throw KernelError(.storage, "order has an unknown status") }
        return status
    }

    static func snapshot(_ row: Row, _ scope: OperationScope) throws -> OrderSnapshot {
        let id = try row.int64("id"), currency = try currency(row)
        return OrderSnapshot(id: id, number: try row.string("number"), customerID: try row.optionalInt("customer_id").map(Int64.init),
                             status: try status(row), lines: try lines(orderID: id, currency: currency, scope).map(\.line),
                             adjustments: try adjustments(orderID: id, currency: currency, scope),
                             total: Money(minorUnits: try row.int64("total"), currency: currency),
                             attributes: decode(try row.string("attributes")))
    }

    /// The full order as hosts show it.
    static func value(_ row: Row, _ scope: OperationScope) throws -> Value {
        let id = try row.int64("id"), currency = try currency(row)
        func money(_ column: String) throws -> Value { Money(minorUnits: try row.int64(column), currency: currency).value }
        let lines: [Value] = try lines(orderID: id, currency: currency, scope).map { line, row in
            ["sku": .string(line.sku), "title": .string(line.title), "quantity": .int(line.quantity),
             "unit_price": line.unitPrice!.value, "line_total": try amount(row, "line_total", currency),
             "discount": try amount(row, "discount", currency), "returned": .int(try row.int64("returned_quantity"))]
        }
        return [
            "number": .string(try row.string("number")), "status": .string(try row.string("status")),
            "customer": Value(try row.optionalInt("customer_id")), "currency": .string(currency.code),
            "lines": .array(lines),
            "adjustments": .array(try adjustments(orderID: id, currency: currency, scope).map {
                ["kind": .string($0.kind.rawValue), "code": .string($0.code), "label": .string($0.label), "amount": $0.amount.value]
            }),
            "subtotal": try money("subtotal"), "discounts": try money("discount_total"), "shipping": try money("shipping_total"),
            "fees": try money("fee_total"), "tax": try money("tax_total"), "total": try money("total"),
            "paid": try money("paid_amount"), "refunded": try money("refunded_amount"),
            "attributes": .string(try row.string("attributes")),
            "destination": .string(try row.string("destination")),
            "placed_at": .string(Validation.isoString(millis: try row.int64("placed_at"))),
            "placed_by": .string(try row.string("placed_by")),
        ]
    }

    /// The same shape as `value(_:_:)`, built from what checkout just wrote (no re-read).
    /// A test checks it equals what `orders.show` reads back.
    static func value(_ placed: Checkout.Placed) -> Value {
        // Built key by key into objects sized up front (one allocation each): this answer is
        // made on every checkout.
        let snapshot = placed.snapshot, totals = placed.totals
        let currency = snapshot.total.currency
        // Equal amounts share one value (values are immutable): most orders repeat zero for
        // discounts, shipping, fees, tax, paid and refunded, and a line's total equals its
        // unit price when the quantity is 1.
        var amounts: [(money: Money, value: Value)] = []
        amounts.reserveCapacity(8)
        func amount(_ money: Money) -> Value {
            for known in amounts where known.money == money { return known.value }
            let value = money.value
            amounts.append((money, value))
            return value
        }
        let zero = amount(Money.zero(currency))
        var lines: [Value] = []
        lines.reserveCapacity(snapshot.lines.count)
        for (index, line) in snapshot.lines.enumerated() {
            var object = Value.Object(minimumCapacity: 7)
            object.append("sku", .string(line.sku))
            object.append("title", .string(line.title))
            object.append("quantity", .int(line.quantity))
            object.append("unit_price", amount(line.unitPrice!))
            object.append("line_total", amount((try? line.total()) ?? Money.zero(currency)))
            object.append("discount", amount(totals.lineDiscounts[index]))
            object.append("returned", 0)
            lines.append(.object(object))
        }
        var adjustments: [Value] = []
        adjustments.reserveCapacity(snapshot.adjustments.count)
        for adjustment in snapshot.adjustments {
            var object = Value.Object(minimumCapacity: 4)
            object.append("kind", .string(adjustment.kind.rawValue))
            object.append("code", .string(adjustment.code))
            object.append("label", .string(adjustment.label))
            object.append("amount", amount(adjustment.amount))
            adjustments.append(.object(object))
        }
        var order = Value.Object(minimumCapacity: 19)
        order.append("number", .string(snapshot.number))
        order.append("status", .string(snapshot.status.rawValue))
        order.append("customer", Value(snapshot.customerID.map { Int($0) }))
        order.append("currency", .string(currency.code))
        order.append("lines", .array(lines))
        order.append("adjustments", .array(adjustments))
        order.append("subtotal", amount(totals.subtotal))
        order.append("discounts", amount(totals.discounts))
        order.append("shipping", amount(totals.shipping))
        order.append("fees", amount(totals.fees))
        order.append("tax", amount(totals.tax))
        order.append("total", amount(totals.total))
        order.append("paid", amount(placed.paid))
        order.append("refunded", zero)
        order.append("attributes", .string(encode(snapshot.attributes)))
        order.append("destination", .string(encode(placed.destination)))
        order.append("placed_at", .string(Validation.isoString(millis: placed.placedAt)))
        order.append("placed_by", .string(placed.placedBy))
        if let payment = placed.payment {
            // Paid at checkout: what the provider answered and the payment it made.
            var paid = Value.Object(minimumCapacity: 3)
            paid.append("outcome", .string(payment.outcome))
            paid.append("reason", Value(payment.reason))
            paid.append("record", payment.payment)
            order.append("payment", .object(paid))
        }
        return .object(order)
    }

    private static func amount(_ row: Row, _ column: String, _ currency: Currency) throws -> Value {
        Money(minorUnits: try row.int64(column), currency: currency).value
    }

    /// The one-line summary used in lists.
    static func summary(_ row: Row) throws -> Value {
        let currency = try currency(row)
        return ["number": .string(try row.string("number")), "status": .string(try row.string("status")),
                "customer": Value(try row.optionalInt("customer_id")),
                "total": .string(Money(minorUnits: try row.int64("total"), currency: currency).description),
                "placed_at": .string(Validation.isoString(millis: try row.int64("placed_at")))]
    }
}
