import Kernel

/// Every change of stock goes through `move`: a conditional UPDATE that cannot take a
/// quantity below zero (nor reserve more than is on hand), plus a movement row.
enum Stock {
    @discardableResult
    static func move(sku: String, location: Int64, onHand: Int64 = 0, reserved: Int64 = 0, damaged: Int64 = 0,
                     kind: String, reason: String, order: String? = nil, _ scope: OperationScope) throws -> Row {
        let db = try scope.db
        try db.execute("INSERT OR IGNORE INTO inventory_stock (shop_id, sku, location_id) VALUES (:shop, :sku, :location)",
                       ["sku": sku, "location": location])
        let changed = try db.execute("""
            UPDATE inventory_stock SET on_hand = on_hand + :h, reserved = reserved + :r, damaged = damaged + :d
            WHERE shop_id = :shop AND sku = :sku AND location_id = :location
              AND on_hand + :h >= 0 AND reserved + :r >= 0 AND damaged + :d >= 0 AND reserved + :r <= on_hand + :h
            """, ["h": onHand, "r": reserved, "d": damaged, "sku": sku, "location": location])
        guard changed == 1 else {
            let row = try level(sku: sku, location: location, scope)
            throw KernelError(.insufficientStock,
                "this would make stock of SKU \(sku) at \(try Locations.code(location, scope)) negative (on hand \(try row.int64("on_hand")), reserved \(try row.int64("reserved")), damaged \(try row.int64("damaged")))")
        }
        try db.execute("""
            INSERT INTO inventory_movements (shop_id, sku, location_id, on_hand_delta, reserved_delta, damaged_delta, kind, reason, order_number, actor, at)
            VALUES (:shop, :sku, :location, :h, :r, :d, :kind, :reason, :order, :actor, :now)
            """, ["sku": sku, "location": location, "h": onHand, "r": reserved, "d": damaged, "kind": kind, "reason": reason,
                  "order": order, "actor": scope.context.actor.description, "now": scope.now])
        let row = try level(sku: sku, location: location, scope)
        let available = try row.int64("available"), safety = try row.int64("safety_stock")
        // Fire once, when available crosses down to the safety stock, not on every later sale.
        let before = available - onHand + reserved
        if before > safety, available <= safety {
            try scope.publish(Hooks.lowStock, StockLevel(sku: sku, location: try Locations.code(location, scope),
                                                         available: available, safetyStock: safety))
        }
        return row
    }

    static func level(sku: String, location: Int64, _ scope: OperationScope) throws -> Row {
        guard let row = try scope.db.query("""
            SELECT s.*, l.code AS location, s.on_hand - s.reserved - s.safety_stock AS available
            FROM inventory_stock s JOIN inventory_locations l ON l.id = s.location_id
            WHERE s.shop_id = :shop AND s.sku = :sku AND s.location_id = :location
            """, ["sku": sku, "location": location]).first else {
            throw KernelError(.notFound, "SKU \(sku) has no stock record at this location", field: "sku")
        }
        return row
    }

    static func value(_ row: Row) throws -> Value {
        ["sku": .string(try row.string("sku")), "location": .string(try row.string("location")),
         "on_hand": .int(try row.int64("on_hand")), "reserved": .int(try row.int64("reserved")),
         "safety_stock": .int(try row.int64("safety_stock")), "available": .int(try row.int64("available")),
         "damaged": .int(try row.int64("damaged"))]
    }
}
