import Kernel

/// Checkout holds stock for an order (reserved), payment turns the hold into a sale
/// (on hand and reserved both go down), cancellation or expiry gives it back.
enum Reservations {
    /// Called inside the checkout transaction (the `order.placing` filter): reserves every
    /// line or throws `insufficient_stock`, which rolls the order back.
    static func reserve(_ order: OrderSnapshot, _ scope: OperationScope) throws {
        let minutes = try scope.setting(plugin: "inventory", "reservation_minutes").intValue ?? 30
        let expires = scope.now + minutes * 60_000
        let db = try scope.db
        for line in order.lines {
            // The location that can serve the whole line with the most to spare.
            guard let best = try Locations.best(for: line.sku, scope), best.available >= line.quantity else {
                throw try Locations.insufficient(sku: line.sku, ordered: line.quantity, scope)
            }
            let location = best.location
            // Conditional: even if something else reserved meanwhile, this cannot oversell.
            let changed = try db.execute("""
                UPDATE inventory_stock SET reserved = reserved + :q
                WHERE shop_id = :shop AND sku = :sku AND location_id = :location AND on_hand - reserved - safety_stock >= :q
                """, ["q": line.quantity, "sku": line.sku, "location": location])
            guard changed == 1 else {
                throw KernelError(.insufficientStock, "SKU \(line.sku) sold out while ordering", field: "lines")
            }
            try db.execute("""
                INSERT INTO inventory_movements (shop_id, sku, location_id, on_hand_delta, reserved_delta, damaged_delta, kind, reason, order_number, actor, at)
                VALUES (:shop, :sku, :location, 0, :q, 0, 'reserved', 'checkout', :order, :actor, :now)
                """, ["sku": line.sku, "location": location, "q": line.quantity, "order": order.number,
                      "actor": scope.context.actor.description, "now": scope.now])
            try db.execute("""
                INSERT INTO inventory_reservations (shop_id, order_number, sku, location_id, quantity, status, expires_at, created_at)
                VALUES (:shop, :order, :sku, :location, :q, 'active', :expires, :now)
                """, ["order": order.number, "sku": line.sku, "location": location, "q": line.quantity, "expires": expires, "now": scope.now])
            let level = try Stock.level(sku: line.sku, location: location, scope)
            let after = try level.int64("available"), safety = try level.int64("safety_stock")
            if after + line.quantity > safety, after <= safety {
                try scope.publish(Hooks.lowStock, StockLevel(sku: line.sku, location: try level.string("location"),
                                                             available: after, safetyStock: safety))
            }
        }
    }

    /// The order was paid: its reserved units leave the shelf.
    static func commit(orderNumber: String, _ scope: OperationScope) throws {
        for row in try active(orderNumber, scope) {
            let quantity = try row.int64("quantity")
            try Stock.move(sku: try row.string("sku"), location: try row.int64("location_id"), onHand: -quantity, reserved: -quantity,
                           kind: "sale", reason: "order paid", order: orderNumber, scope)
            try setStatus(try row.int64("id"), "committed", scope)
        }
    }

    /// The order was cancelled or its hold expired: give the units back. A sale that was
    /// already committed (paid, then cancelled) goes back on the shelf when `restock` is set.
    static func release(orderNumber: String, restock: Bool, _ scope: OperationScope) throws {
        for row in try active(orderNumber, scope) {
            try Stock.move(sku: try row.string("sku"), location: try row.int64("location_id"), reserved: -(try row.int64("quantity")),
                           kind: "released", reason: "order cancelled or expired", order: orderNumber, scope)
            try setStatus(try row.int64("id"), "released", scope)
        }
        guard restock else { return }
        for row in try scope.db.query("""
            SELECT * FROM inventory_reservations WHERE shop_id = :shop AND order_number = :order AND status = 'committed'
            """, ["order": orderNumber]) {
            try Stock.move(sku: try row.string("sku"), location: try row.int64("location_id"), onHand: try row.int64("quantity"),
                           kind: "restocked", reason: "paid order cancelled", order: orderNumber, scope)
            try setStatus(try row.int64("id"), "restocked", scope)
        }
    }

    static func active(_ orderNumber: String, _ scope: OperationScope) throws -> [Row] {
        try scope.db.query("SELECT * FROM inventory_reservations WHERE shop_id = :shop AND order_number = :order AND status = 'active'",
                           ["order": orderNumber])
    }

    static func setStatus(_ id: Int64, _ status: String, _ scope: OperationScope) throws {
        try scope.db.execute("UPDATE inventory_reservations SET status = :status WHERE shop_id = :shop AND id = :id", ["status": status, "id": id])
    }
}
