import Kernel

/// Stock of an order paid while it is placed (`order.placing` with status `paid`): the units
/// leave the shelf at once, with no hold to settle later. Per line: the location with the
/// most to spare, then a conditional UPDATE that takes the units only if they are
/// available, so a race cannot oversell (a shop with one location skips the read while the
/// line leaves the SKU above its safety stock); the sale's movements go in one INSERT.
enum CheckoutSale {
    /// The most movement rows written by one INSERT; larger orders take several.
    static let batch = 16

    /// `INSERT INTO inventory_movements ... VALUES (...), (...)` for 1...batch rows, made once
    /// so that the connection finds each prepared statement by its text.
    static let movementInserts: [String] = (1...batch).map { count in
        "INSERT INTO inventory_movements (shop_id, sku, location_id, on_hand_delta, reserved_delta, damaged_delta, kind, reason, order_number, actor, at) VALUES "
            + (0..<count).map { "(:shop, :sku\($0), :location\($0), :delta\($0), 0, 0, 'sale', 'order paid at checkout', :order, :actor, :now)" }
                .joined(separator: ", ")
    }

    static func sell(_ order: OrderSnapshot, _ scope: OperationScope) throws {
        let db = try scope.db
        var sold: [(sku: String, location: Int64, quantity: Int64)] = []
        sold.reserveCapacity(order.lines.count)
        let only = try Locations.only(scope)
        for line in order.lines {
            // One location and plenty on the shelf (the common case): one conditional UPDATE,
            // which takes the units only if the line leaves the SKU above its safety stock, so
            // no low-stock event is due. Anything else takes the general path below.
            if let only, try db.execute("""
                UPDATE inventory_stock SET on_hand = on_hand - :q
                WHERE shop_id = :shop AND sku = :sku AND location_id = :location
                  AND on_hand - reserved - safety_stock - :q > safety_stock
                """, values: ["q": .integer(line.quantity), "sku": .text(line.sku), "location": .integer(only)]) == 1 {
                sold.append((line.sku, only, line.quantity))
                continue
            }
            // The location that can serve the whole line with the most to spare. This runs in
            // the write transaction, so what it reads stays true until the UPDATE below; the
            // UPDATE is conditional all the same, so nothing can ever oversell. (An UPDATE …
            // RETURNING would do both in one statement but makes SQLite open a temporary
            // table each time, which costs more than the two.)
            guard let best = try Locations.best(for: line.sku, scope), best.available >= line.quantity else {
                throw try Locations.insufficient(sku: line.sku, ordered: line.quantity, scope)
            }
            let location = best.location
            guard try db.execute("""
                UPDATE inventory_stock SET on_hand = on_hand - :q
                WHERE shop_id = :shop AND sku = :sku AND location_id = :location AND on_hand - reserved - safety_stock >= :q
                """, values: ["q": .integer(line.quantity), "sku": .text(line.sku), "location": .integer(location)]) == 1 else {
                throw KernelError(.insufficientStock, "SKU \(line.sku) sold out while ordering", field: "lines")
            }
            let after = best.available - line.quantity, safety = best.safetyStock
            // Fire once, when available crosses down to the safety stock.
            if after + line.quantity > safety, after <= safety {
                try scope.publish(Hooks.lowStock, StockLevel(sku: line.sku, location: try Locations.code(location, scope),
                                                             available: after, safetyStock: safety))
            }
            sold.append((line.sku, location, line.quantity))
        }
        let actor = scope.context.actor.description
        var start = 0
        while start < sold.count {
            let end = min(start + batch, sold.count)
            // In the order the statement names them: the first row's, the shared ones, the rest.
            var values: [(String, SQLValue)] = []
            values.reserveCapacity(3 + 3 * (end - start))
            for index in start..<end {
                let offset = index - start
                values.append(("sku\(offset)", .text(sold[index].sku)))
                values.append(("location\(offset)", .integer(sold[index].location)))
                values.append(("delta\(offset)", .integer(-sold[index].quantity)))
                if offset == 0 { values += [("order", .text(order.number)), ("actor", .text(actor)), ("now", .integer(scope.now))] }
            }
            try db.execute(movementInserts[end - start - 1], values: values)
            start = end
        }
    }

    /// A cancelled order that was paid while placed: what `sell` took goes back on hand, at
    /// the location it left. Its sale movements are found through the order's lines (read
    /// from the Orders plugin's table by the order's row-id range) and the ledger's
    /// SKU-and-time index, at the moment the order was placed.
    static func restock(orderNumber: String, orderID: Int64, _ scope: OperationScope) throws {
        let db = try scope.db
        guard let order = try db.query("""
            SELECT placed_at, paid_on_placement FROM orders_orders WHERE shop_id = :shop AND number = :number
            """, ["number": orderNumber]).first, try order.optionalString("paid_on_placement") != nil else { return }
        let placedAt = try order.int64("placed_at")
        // Lines are keyed `order × 1024 + line` (the Orders plugin's LineKeys).
        let skus = try db.query("SELECT DISTINCT sku FROM orders_lines WHERE shop_id = :shop AND id >= :lower AND id < :upper",
                                ["lower": orderID * 1024, "upper": (orderID + 1) * 1024]).map { try $0.string("sku") }
        for sku in skus {
            for sale in try db.query("""
                SELECT location_id, on_hand_delta FROM inventory_movements
                WHERE shop_id = :shop AND sku = :sku AND at = :at AND order_number = :order AND kind = 'sale'
                """, ["sku": sku, "at": placedAt, "order": orderNumber]) {
                try Stock.move(sku: sku, location: try sale.int64("location_id"), onHand: -(try sale.int64("on_hand_delta")),
                               kind: "restocked", reason: "order paid at checkout, then cancelled", order: orderNumber, scope)
            }
        }
    }
}
