import Kernel

/// Delivery time slots with a capacity, per delivery method.
enum SlotOperations {
    static let all = [add, list]

    static let add = OperationSpec(
        name: "shipping.slot.add", summary: "Offer a delivery time slot for a method, with a capacity",
        fields: [
            Field("method", .code, required: true, help: "delivery method code"),
            Field("starts_at", .dateTime, required: true, help: "start (ISO 8601, e.g. 2027-03-01T09:00:00Z)"),
            Field("ends_at", .dateTime, required: true, help: "end, after the start (ISO 8601)"),
            Field("capacity", .int, required: true, help: "how many orders the slot takes (at least 1)"),
        ],
        permission: "shipping.manage", mutates: true
    ) { scope in
        let input = scope.input
        let code = try input.string("method")
        guard let method = try DeliveryMethod.find(code: code, scope) else {
            throw KernelError(.notFound, "no shipping method '\(code)' in this shop", field: "method")
        }
        let startsAt = try ShippingInput.millis(try input.string("starts_at"), field: "starts_at")
        let endsAt = try ShippingInput.millis(try input.string("ends_at"), field: "ends_at")
        guard endsAt > startsAt else {
            throw KernelError.invalid("ends_at", "the slot must end after it starts (starts \(Validation.isoString(millis: startsAt)), ends \(Validation.isoString(millis: endsAt)))")
        }
        let capacity = try input.int("capacity")
        guard capacity >= 1 else { throw KernelError.invalid("capacity", "capacity must be at least 1, got \(capacity)") }
        let db = try scope.db
        try db.execute("""
            INSERT INTO shipping_slots (shop_id, method_id, starts_at, ends_at, capacity, booked, created_at)
            VALUES (:shop, :method, :starts, :ends, :capacity, 0, :now)
            """, ["method": method.id, "starts": startsAt, "ends": endsAt, "capacity": capacity, "now": scope.now])
        let id = db.lastInsertRowID
        scope.audit(entity: "shipping_slot:\(id)", change: [
            "method": .string(code), "starts_at": .string(Validation.isoString(millis: startsAt)),
            "ends_at": .string(Validation.isoString(millis: endsAt)), "capacity": .int(capacity),
        ])
        return try Slots.value(try db.query(Slots.select + " AND s.id = :id", ["id": id])[0])
    }

    static let list = OperationSpec(
        name: "shipping.slot.list", summary: "List delivery slots with their remaining capacity, soonest first",
        fields: [
            Field("method", .code, help: "only slots of this delivery method"),
            Field("past", .bool, help: "include slots that have already ended"),
        ],
        permission: "shipping.read", mutates: false
    ) { scope in
        var sql = Slots.select
        var parameters: [String: any SQLBindable] = [:]
        if let method = scope.input.optionalString("method") { sql += " AND m.code = :method"; parameters["method"] = method }
        if !scope.input.bool("past") { sql += " AND s.ends_at > :now"; parameters["now"] = scope.now }
        return .array(try scope.db.query(sql + " ORDER BY s.starts_at, s.id", parameters).map(Slots.value))
    }
}
