import Kernel

/// Delivery time slots: booked when an order asking for one (`slot` attribute) is placed,
/// with a conditional UPDATE so that a slot is never booked beyond its capacity.
enum Slots {
    static let select = """
        SELECT s.*, m.code AS method_code, m.name AS method_name FROM shipping_slots s
        JOIN shipping_methods m ON m.id = s.method_id AND m.shop_id = s.shop_id
        WHERE s.shop_id = :shop
        """

    static func value(_ row: Row) throws -> Value {
        let capacity = try row.int64("capacity"), booked = try row.int64("booked")
        return ["id": .int(try row.int64("id")), "method": .string(try row.string("method_code")),
                "starts_at": .string(Validation.isoString(millis: try row.int64("starts_at"))),
                "ends_at": .string(Validation.isoString(millis: try row.int64("ends_at"))),
                "capacity": .int(capacity), "booked": .int(booked), "remaining": .int(capacity - booked)]
    }

    /// The `order.placing` handler: books the order's slot or throws, rolling the order back.
    static func book(_ order: OrderSnapshot, _ scope: OperationScope) throws {
        guard let text = order.attributes["slot"] else { return }
        guard let id = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            throw KernelError.invalid("slot", "'\(text)' is not a delivery slot id (see shipping.slot.list)")
        }
        let db = try scope.db
        guard let slot = try db.query(select + " AND s.id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no delivery slot \(id) in this shop", field: "slot")
        }
        let method = try slot.string("method_code")
        guard order.attributes["shipping_method"] == method else {
            let asked = order.attributes["shipping_method"].map { "asks for '\($0)'" } ?? "has no shipping_method"
            throw KernelError.invalid("slot", "delivery slot \(id) is for shipping method '\(method)' but the order \(asked)")
        }
        let startsAt = try slot.int64("starts_at")
        guard startsAt > scope.now else {
            throw KernelError.invalid("slot", "delivery slot \(id) started at \(Validation.isoString(millis: startsAt)); choose a later slot")
        }
        guard try db.execute("""
            UPDATE shipping_slots SET booked = booked + 1 WHERE shop_id = :shop AND id = :id AND booked < capacity
            """, ["id": id]) == 1 else {
            throw KernelError(.conflict, "delivery slot \(id) is full", field: "slot")
        }
        try db.execute("""
            INSERT INTO shipping_slot_bookings (shop_id, order_number, slot_id, booked_at) VALUES (:shop, :order, :slot, :now)
            """, ["order": order.number, "slot": id, "now": scope.now])
    }

    /// Gives a cancelled order's place back (the `order.status_changed` subscriber).
    static func release(orderNumber: String, _ scope: OperationScope) throws {
        let db = try scope.db
        guard let booking = try db.query("SELECT slot_id FROM shipping_slot_bookings WHERE shop_id = :shop AND order_number = :order",
                                         ["order": orderNumber]).first else { return }
        try db.execute("DELETE FROM shipping_slot_bookings WHERE shop_id = :shop AND order_number = :order", ["order": orderNumber])
        try db.execute("UPDATE shipping_slots SET booked = booked - 1 WHERE shop_id = :shop AND id = :id AND booked > 0",
                       ["id": try booking.int64("slot_id")])
    }

    /// The slot booked for an order, if any.
    static func booked(orderNumber: String, _ scope: OperationScope) throws -> Row? {
        try scope.db.query(select + " AND s.id = (SELECT slot_id FROM shipping_slot_bookings WHERE shop_id = :shop AND order_number = :order)",
                           ["order": orderNumber]).first
    }
}
