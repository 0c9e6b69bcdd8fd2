import Kernel

/// Reading payments: one order's payment with its attempts log, a list, and the
/// reconciliation of the payments against the Orders plugin's books.
enum ReportOperations {
    static let all = [show, list, reconcile]

    static let show = OperationSpec(
        name: "payment.show", summary: "Show an order's payment and every attempt made for it",
        fields: [ChargeOperations.orderField], permission: "payment.read", mutates: false
    ) { scope in
        let number = try scope.input.string("order")
        let order = try OrderLookup.order(number, scope)
        let payment = try PaymentRecord.require(order: number, scope)
        guard case .object(var object) = payment.value else { return payment.value }
        object["order_status"] = .string(order.status)
        object["order_total"] = order.total.value
        object["attempts"] = .array(try Attempts.list(payment: payment, scope))
        object["refund_pending"] = payment.money(try Settlements.pendingAmount(order: number, scope)).value
        object["settlements"] = .array(try Settlements.list(order: number, currency: payment.currency, scope))
        return .object(object)
    }

    static let list = OperationSpec(
        name: "payment.list", summary: "List payments, newest first, a page at a time",
        fields: [
            Field("status", help: "only payments in this status: \(PaymentRecord.Status.allCases.map(\.rawValue).joined(separator: ", "))"),
            Field("method", .code, help: "only payments with this method"),
            Field("cursor", .int, help: "continue after this payment id (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-500 (default 50)"),
        ],
        permission: "payment.read", mutates: false
    ) { scope in
        var sql = "SELECT * FROM payment_payments WHERE shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let status = scope.input.optionalString("status") {
            guard PaymentRecord.Status(rawValue: status) != nil else {
                throw KernelError.invalid("status", "'\(status)' is not a payment status (\(PaymentRecord.Status.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            sql += " AND status = :status"
            parameters["status"] = status
        }
        if let method = scope.input.optionalString("method") {
            sql += " AND method = :method"
            parameters["method"] = method
        }
        if let cursor = scope.input.optionalInt("cursor") {
            sql += " AND id < :cursor"
            parameters["cursor"] = cursor
        }
        let limit = try scope.input.limit()
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map { try PaymentRecord(row: $0).value }), "next_cursor": next]
    }

    /// One order in the reconciliation: what Orders booked against what payments hold.
    /// The method fee is not in Orders' books: it counts as kept first and refunded last.
    struct Line {
        let order: OrderInfo
        let payment: PaymentRecord?

        var authorized: Int64 { payment?.authorized ?? 0 }
        var captured: Int64 { payment?.captured ?? 0 }
        var refunded: Int64 { payment?.refunded ?? 0 }
        var paymentNet: Int64 { captured - refunded }
        var feeKept: Int64 { min(payment?.fee ?? 0, max(0, paymentNet)) }
        var orderNet: Int64 { order.paid - order.refunded }
        /// Positive: payments hold more than Orders booked; negative: less.
        var difference: Int64 { paymentNet - feeKept - orderNet }

        func value(_ currency: Currency) -> Value {
            func money(_ minor: Int64) -> Value { Money(minorUnits: minor, currency: currency).value }
            let note: String
            switch difference {
            case 0: note = ""
            case let d where d > 0: note = "payments hold \(Money(minorUnits: d, currency: currency)) more than the order's books"
            default: note = "payments hold \(Money(minorUnits: -difference, currency: currency)) less than the order's books"
            }
            return [
                "order": .string(order.number), "order_status": .string(order.status), "order_total": order.total.value,
                "order_paid": money(order.paid), "order_refunded": money(order.refunded),
                "payment_status": payment.map { .string($0.status.rawValue) } ?? .null, "method": Value(payment?.method),
                "authorized": money(authorized), "captured": money(captured), "refunded": money(refunded),
                "fee": money(feeKept), "difference": money(difference), "reconciled": .bool(difference == 0),
                "note": note.isEmpty ? .null : .string(note),
            ]
        }
    }

    static let reconcile = OperationSpec(
        name: "payment.reconcile",
        summary: "Compare each order's captured minus refunded payments with what Orders booked as paid minus refunded",
        fields: [
            Field("status", help: "only orders in this status (pending_payment, paid, shipped, delivered, completed, cancelled)"),
            Field("mismatched_only", .bool, help: "list only the orders that do not reconcile (totals still cover every order)"),
        ],
        permission: "payment.read", mutates: false
    ) { scope in
        let status = scope.input.optionalString("status")
        if let status, OrderStatus(rawValue: status) == nil {
            throw KernelError.invalid("status", "'\(status)' is not an order status (\(OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let currency = try MethodOperations.shopCurrency(scope)
        var payments: [String: PaymentRecord] = [:]
        for row in try scope.db.query("SELECT * FROM payment_payments WHERE shop_id = :shop") {
            let payment = try PaymentRecord(row: row)
            payments[payment.orderNumber] = payment
        }
        let lines = try OrderLookup.all(status: status, scope).map { Line(order: $0, payment: payments[$0.number]) }
        func sum(_ part: (Line) -> Int64) -> Value {
            Money(minorUnits: lines.reduce(Int64(0)) { $0 + part($1) }, currency: currency).value
        }
        let mismatched = lines.filter { $0.difference != 0 }
        let shown = scope.input.bool("mismatched_only") ? mismatched : lines
        return [
            "shop": .string(try scope.context.requireShop().code), "currency": .string(currency.code),
            "orders": .array(shown.map { $0.value(currency) }),
            "totals": [
                "orders": .int(Int64(lines.count)), "order_total": sum { $0.order.total.minorUnits },
                "order_paid": sum(\.order.paid), "order_refunded": sum(\.order.refunded),
                "authorized": sum(\.authorized), "captured": sum(\.captured), "refunded": sum(\.refunded),
                "fees": sum(\.feeKept), "difference": sum(\.difference), "mismatched": .int(Int64(mismatched.count)),
            ],
            "reconciled": .bool(mismatched.isEmpty),
        ]
    }
}
