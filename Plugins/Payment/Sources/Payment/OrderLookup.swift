import Kernel

/// An order as this plugin needs it, read from the Orders plugin's table (read-only: orders
/// change only through the Orders plugin's operations, e.g. `orders.pay`).
struct OrderInfo: Sendable {
    let number: String
    let status: String
    let total: Money
    let paid: Int64
    let refunded: Int64

    var isPendingPayment: Bool { status == OrderStatus.pendingPayment.rawValue }
    var isCancelled: Bool { status == OrderStatus.cancelled.rawValue }

    init(row: Row) throws {
        number = try row.string("number")
        status = try row.string("status")
        let code = try row.string("currency")
        guard let currency = Currency(code: code) else { throw KernelError(.storage, "order \(number) has an unknown currency '\(code)'") }
        total = Money(minorUnits: try row.int64("total"), currency: currency)
        paid = try row.int64("paid_amount")
        refunded = try row.int64("refunded_amount")
    }
}

enum OrderLookup {
    /// The order `number`, or `not_found` on the `order` field.
    static func order(_ number: String, _ scope: OperationScope) throws -> OrderInfo {
        guard let row = try scope.db.query("""
            SELECT number, total, currency, status, paid_amount, refunded_amount FROM orders_orders
            WHERE shop_id = :shop AND number = :number
            """, ["number": number]).first else {
            throw KernelError(.notFound, "no order \(number) in this shop", field: "order")
        }
        return try OrderInfo(row: row)
    }

    /// Every order of the shop, oldest first, optionally in one status.
    static func all(status: String?, _ scope: OperationScope) throws -> [OrderInfo] {
        var sql = "SELECT number, total, currency, status, paid_amount, refunded_amount FROM orders_orders WHERE shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let status {
            sql += " AND status = :status"
            parameters["status"] = status
        }
        return try scope.db.query(sql + " ORDER BY id", parameters).map(OrderInfo.init(row:))
    }

    /// Refuses unless the order still waits for its payment.
    static func requirePendingPayment(_ order: OrderInfo, doing what: String) throws {
        guard order.isPendingPayment else {
            throw KernelError(.conflict, "order \(order.number) is \(order.status); only an order pending payment can \(what)", field: "order")
        }
    }
}
