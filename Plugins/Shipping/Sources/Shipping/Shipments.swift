import Kernel

/// Shipments as stored: a parcel of some of an order's units, sent with a carrier under a
/// tracking number, and the tracking events recorded for it.
enum Shipments {
    /// created as `shipped`; tracking events may move it on.
    static let statuses = ["shipped", "in_transit", "out_for_delivery", "delivered", "exception"]

    static let select = """
        SELECT s.*, c.code AS carrier_code, c.name AS carrier_name, c.tracking_url_template FROM shipping_shipments s
        JOIN shipping_carriers c ON c.id = s.carrier_id AND c.shop_id = s.shop_id
        WHERE s.shop_id = :shop
        """

    static func row(_ id: Int64, _ scope: OperationScope) throws -> Row {
        guard let row = try scope.db.query(select + " AND s.id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no shipment \(id) in this shop", field: "shipment")
        }
        return row
    }

    static func rows(order: String, _ scope: OperationScope) throws -> [Row] {
        try scope.db.query(select + " AND s.order_number = :order ORDER BY s.id", ["order": order])
    }

    static func lines(_ id: Int64, _ scope: OperationScope) throws -> [(sku: String, quantity: Int64)] {
        try scope.db.query("SELECT sku, quantity FROM shipping_shipment_lines WHERE shop_id = :shop AND shipment_id = :id ORDER BY rowid",
                           ["id": id]).map { (try $0.string("sku"), try $0.int64("quantity")) }
    }

    static func events(_ id: Int64, _ scope: OperationScope) throws -> [Value] {
        try scope.db.query("""
            SELECT * FROM shipping_tracking_events WHERE shop_id = :shop AND shipment_id = :id ORDER BY at, id
            """, ["id": id]).map {
            ["at": .string(Validation.isoString(millis: try $0.int64("at"))), "event": .string(try $0.string("event")),
             "location": Value(try $0.optionalString("location")), "status": Value(try $0.optionalString("status")),
             "recorded_by": .string(try $0.string("recorded_by"))]
        }
    }

    static func value(_ row: Row, _ scope: OperationScope) throws -> Value {
        let id = try row.int64("id"), tracking = try row.string("tracking_number")
        return [
            "id": .int(id), "order": .string(try row.string("order_number")),
            "carrier": .string(try row.string("carrier_code")), "carrier_name": .string(try row.string("carrier_name")),
            "tracking": .string(tracking),
            "tracking_url": .string(CarrierOperations.trackingURL(try row.string("tracking_url_template"), tracking)),
            "status": .string(try row.string("status")),
            "created_at": .string(Validation.isoString(millis: try row.int64("created_at"))),
            "created_by": .string(try row.string("created_by")),
            "lines": .array(try lines(id, scope).map { ["sku": .string($0.sku), "quantity": .int($0.quantity)] }),
            "events": .array(try events(id, scope)),
        ]
    }
}
