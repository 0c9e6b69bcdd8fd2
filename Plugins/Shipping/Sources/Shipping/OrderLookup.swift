import Kernel

/// Read-only access to the Orders plugin's tables (the plugin is never imported; orders
/// move only through its operations).
struct OrderInfo: Sendable {
    let id: Int64
    let number: String
    let status: String
    let attributes: [String: String]
    let destination: [String: String]
    let placedAt: Int64
}

/// One SKU of an order: what was ordered and what shipments already took.
struct OrderItem: Sendable {
    let sku: String
    let title: String
    let ordered: Int64
    var shipped: Int64
    var remaining: Int64 { max(0, ordered - shipped) }

    var value: Value {
        ["sku": .string(sku), "title": .string(title), "ordered": .int(ordered), "shipped": .int(shipped), "remaining": .int(remaining)]
    }
}

enum OrderLookup {
    /// The order `number`, or `not_found` on the `order` field.
    static func order(_ number: String, _ scope: OperationScope) throws -> OrderInfo {
        guard let row = try scope.db.query("""
            SELECT id, number, status, attributes, destination, placed_at FROM orders_orders WHERE shop_id = :shop AND number = :number
            """, ["number": number]).first else {
            throw KernelError(.notFound, "no order \(number) in this shop", field: "order")
        }
        return OrderInfo(id: try row.int64("id"), number: try row.string("number"), status: try row.string("status"),
                         attributes: map(try row.string("attributes")), destination: map(try row.string("destination")),
                         placedAt: try row.int64("placed_at"))
    }

    /// The order's SKUs in line order, each with the quantity already in shipments.
    static func items(_ order: OrderInfo, _ scope: OperationScope) throws -> [OrderItem] {
        let db = try scope.db
        var items: [OrderItem] = []
        // The Orders plugin keeps an order's lines at row ids order × 1024 + line number: one
        // range of the table's key (its LineKeys; documented for readers of orders_lines).
        for row in try db.query("""
            SELECT sku, title, quantity FROM orders_lines WHERE shop_id = :shop AND id >= :order * 1024 AND id < (:order + 1) * 1024 ORDER BY id
            """, ["order": order.id]) {
            let sku = try row.string("sku"), quantity = try row.int64("quantity")
            if let index = items.firstIndex(where: { $0.sku == sku }) {
                items[index] = OrderItem(sku: sku, title: items[index].title, ordered: items[index].ordered + quantity, shipped: 0)
            } else {
                items.append(OrderItem(sku: sku, title: try row.string("title"), ordered: quantity, shipped: 0))
            }
        }
        for row in try db.query("""
            SELECT l.sku, SUM(l.quantity) AS shipped FROM shipping_shipment_lines l
            JOIN shipping_shipments s ON s.id = l.shipment_id AND s.shop_id = l.shop_id
            WHERE l.shop_id = :shop AND s.order_number = :order GROUP BY l.sku
            """, ["order": order.number]) {
            let sku = try row.string("sku")
            if let index = items.firstIndex(where: { $0.sku == sku }) { items[index].shipped = try row.int64("shipped") }
        }
        return items
    }

    /// A JSON object of strings (the orders' `attributes` and `destination` columns).
    static func map(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSON.decode(text) else { return [:] }
        var map: [String: String] = [:]
        for (key, value) in object { map[key] = value.stringValue ?? value.display }
        return map
    }
}
