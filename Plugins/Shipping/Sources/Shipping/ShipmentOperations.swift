import Kernel

/// Shipments of paid orders, partial or whole, and their tracking. The first shipment of a
/// paid order moves it to shipped (`orders.ship`, same transaction); the last delivery moves
/// it to delivered (`orders.deliver`).
enum ShipmentOperations {
    static let all = [create, track, list]

    static let orderField = Field("order", required: true, help: "order number, e.g. NORTH-1001")

    static let create = OperationSpec(
        name: "shipping.shipment.create", summary: "Ship some or all of an order's remaining units with a carrier",
        fields: [
            orderField,
            Field("carrier", .code, required: true, help: "carrier code"),
            Field("tracking", required: true, help: "the carrier's tracking number"),
            Field("lines", .list, help: "SKU:QUANTITY items to ship, e.g. TEA:1 (default: everything not yet shipped)"),
        ],
        permission: "shipping.ship", mutates: true
    ) { scope in
        let input = scope.input
        let order = try OrderLookup.order(try input.string("order"), scope)
        guard order.status == "paid" || order.status == "shipped" else {
            throw KernelError(.conflict, "order \(order.number) is \(order.status): only paid or shipped orders can be shipped", field: "order")
        }
        let carrierCode = try input.string("carrier")
        let db = try scope.db
        guard let carrier = try db.query("SELECT id, name FROM shipping_carriers WHERE shop_id = :shop AND code = :code",
                                         ["code": carrierCode]).first else {
            throw KernelError(.notFound, "no carrier '\(carrierCode)' in this shop (see shipping.carrier.list)", field: "carrier")
        }
        let carrierID = try carrier.int64("id")
        let tracking = try input.string("tracking").trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(tracking.count), tracking.unicodeScalars.allSatisfy({
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }) else {
            throw KernelError.invalid("tracking", "tracking number '\(tracking)' must be 1-64 letters, digits, '-' or '_'")
        }
        if let previous = try db.query("""
            SELECT id FROM shipping_shipments WHERE shop_id = :shop AND carrier_id = :carrier AND tracking_number = :tracking
            """, ["carrier": carrierID, "tracking": tracking]).first {
            throw KernelError(.conflict, "carrier '\(carrierCode)' tracking number \(tracking) is already shipment \(try previous.int64("id"))",
                              field: "tracking")
        }
        let items = try OrderLookup.items(order, scope)
        var shipping: [(sku: String, quantity: Int64)] = []
        let requested = try ShippingInput.lines(input.list("lines"), field: "lines")
        if requested.isEmpty {
            shipping = items.filter { $0.remaining > 0 }.map { ($0.sku, $0.remaining) }
            guard !shipping.isEmpty else {
                throw KernelError(.conflict, "order \(order.number) has nothing left to ship", field: "order")
            }
        } else {
            for line in requested {
                guard let item = items.first(where: { $0.sku == line.sku }) else {
                    throw KernelError.invalid("lines", "order \(order.number) has no SKU '\(line.sku)'")
                }
                guard line.quantity <= item.remaining else {
                    throw KernelError.invalid("lines", "SKU \(line.sku): \(line.quantity) requested but only \(item.remaining) left to ship "
                        + "on order \(order.number) (\(item.ordered) ordered, \(item.shipped) shipped)")
                }
            }
            shipping = requested
        }
        try db.execute("""
            INSERT INTO shipping_shipments (shop_id, order_number, carrier_id, tracking_number, status, created_at, created_by, updated_at)
            VALUES (:shop, :order, :carrier, :tracking, 'shipped', :now, :actor, :now)
            """, ["order": order.number, "carrier": carrierID, "tracking": tracking, "now": scope.now,
                  "actor": scope.context.actor.description])
        let id = db.lastInsertRowID
        for line in shipping {
            try db.execute("""
                INSERT INTO shipping_shipment_lines (shipment_id, shop_id, sku, quantity) VALUES (:shipment, :shop, :sku, :quantity)
                """, ["shipment": id, "sku": line.sku, "quantity": line.quantity])
        }
        let movesOrder = order.status == "paid"
        if movesOrder {
            _ = try scope.perform("orders.ship", ["order": .string(order.number),
                                                  "reason": .string("shipment \(id): \(carrierCode) \(tracking)")])
        }
        let lines: [Value] = shipping.map { .string("\($0.sku):\($0.quantity)") }
        scope.audit(entity: "shipment:\(id)", change: [
            "order": .string(order.number), "carrier": .string(carrierCode), "tracking": .string(tracking),
            "lines": .array(lines), "order_status": .string(movesOrder ? "shipped" : order.status),
        ])
        var result = try Shipments.value(try Shipments.row(id, scope), scope)
        if case .object(var object) = result {
            object["order_status"] = .string(try OrderLookup.order(order.number, scope).status)
            result = .object(object)
        }
        return result
    }

    static let track = OperationSpec(
        name: "shipping.shipment.track", summary: "Record a tracking event of a shipment",
        fields: [
            Field("shipment", .int, required: true, help: "shipment id"),
            Field("event", required: true, help: "what happened, e.g. \"Arrived at sorting centre\""),
            Field("location", help: "where it happened"),
            Field("at", .dateTime, help: "when (ISO 8601; default now)"),
            Field("status", help: "move the shipment to in_transit, out_for_delivery, delivered or exception"),
        ],
        permission: "shipping.ship", mutates: true
    ) { scope in
        let input = scope.input
        let row = try Shipments.row(try input.int("shipment"), scope)
        let id = try row.int64("id")
        let event = try ShippingInput.text(try input.string("event"), field: "event", limit: 200)
        let location = try input.optionalString("location").map { try ShippingInput.text($0, field: "location", limit: 100) }
        let at = try input.optionalString("at").map { try ShippingInput.millis($0, field: "at") } ?? scope.now
        let before = try row.string("status")
        let status = input.optionalString("status")
        let settable = Shipments.statuses.dropFirst()
        if let status, !settable.contains(status) {
            throw KernelError.invalid("status", "'\(status)' is not a shipment status: use "
                + "\(settable.dropLast().joined(separator: ", ")) or \(settable.last!)")
        }
        let db = try scope.db
        try db.execute("""
            INSERT INTO shipping_tracking_events (shop_id, shipment_id, event, location, status, at, recorded_at, recorded_by)
            VALUES (:shop, :shipment, :event, :location, :status, :at, :now, :actor)
            """, ["shipment": id, "event": event, "location": location, "status": status, "at": at, "now": scope.now,
                  "actor": scope.context.actor.description])
        var change: Value.Object = ["event": .string(event), "location": Value(location),
                                    "at": .string(Validation.isoString(millis: at))]
        if let status, status != before {
            try db.execute("UPDATE shipping_shipments SET status = :status, updated_at = :now WHERE shop_id = :shop AND id = :id",
                           ["status": status, "now": scope.now, "id": id])
            change["status"] = ["from": .string(before), "to": .string(status)]
        }
        let number = try row.string("order_number")
        if status == "delivered", try deliverOrderIfComplete(number, scope) {
            change["order_status"] = "delivered"
        }
        scope.audit(entity: "shipment:\(id)", change: .object(change))
        return try Shipments.value(try Shipments.row(id, scope), scope)
    }

    /// Once every unit is shipped and every shipment delivered, the shipped order becomes delivered.
    static func deliverOrderIfComplete(_ number: String, _ scope: OperationScope) throws -> Bool {
        let order = try OrderLookup.order(number, scope)
        guard order.status == "shipped",
              try OrderLookup.items(order, scope).allSatisfy({ $0.remaining == 0 }),
              try Shipments.rows(order: number, scope).allSatisfy({ try $0.string("status") == "delivered" }) else { return false }
        _ = try scope.perform("orders.deliver", ["order": .string(number), "reason": "every shipment delivered"])
        return true
    }

    static let list = OperationSpec(
        name: "shipping.shipment.list", summary: "List an order's shipments with their tracking, and what is left to ship",
        fields: [orderField], permission: "shipping.read", mutates: false
    ) { scope in
        let order = try OrderLookup.order(try scope.input.string("order"), scope)
        return [
            "order": .string(order.number), "order_status": .string(order.status),
            "shipments": .array(try Shipments.rows(order: order.number, scope).map { try Shipments.value($0, scope) }),
            "items": .array(try OrderLookup.items(order, scope).map(\.value)),
        ]
    }
}
