import Kernel

/// Stocktaking: count → variance → approve → adjustments.
enum StocktakeOperations {
    static let all = [start, count, show, approve]

    static let sessionField = Field("stocktake", .int, required: true, help: "stocktake id")

    static let start = OperationSpec(
        name: "inventory.stocktake.start", summary: "Open a stocktaking session at a location",
        fields: [StockOperations.locationField], permission: "inventory.stocktake", mutates: true
    ) { scope in
        let location = try Locations.resolve(scope.input.optionalString("location"), scope)
        let db = try scope.db
        guard try db.query("SELECT 1 FROM inventory_stocktakes WHERE shop_id = :shop AND location_id = :location AND status = 'open'",
                           ["location": location]).isEmpty else {
            throw KernelError(.conflict, "a stocktake is already open at this location; approve it first", field: "location")
        }
        try db.execute("INSERT INTO inventory_stocktakes (shop_id, location_id, status, started_by, started_at) VALUES (:shop, :location, 'open', :actor, :now)",
                       ["location": location, "actor": scope.context.actor.description, "now": scope.now])
        let id = db.lastInsertRowID
        scope.audit(entity: "stocktake:\(id)", change: ["location": .string(try Locations.code(location, scope)), "status": "open"])
        return try summary(id, scope)
    }

    static let count = OperationSpec(
        name: "inventory.stocktake.count", summary: "Record a counted quantity in an open stocktake",
        fields: [sessionField, StockOperations.skuField, Field("counted", .int, required: true, help: "units counted (0 or more)")],
        permission: "inventory.stocktake", mutates: true
    ) { scope in
        let (id, location) = try open(scope)
        let sku = try scope.input.string("sku"), counted = try scope.input.int("counted")
        guard counted >= 0 else { throw KernelError.invalid("counted", "a count cannot be negative, got \(counted)") }
        let booked = try scope.db.query("SELECT on_hand FROM inventory_stock WHERE shop_id = :shop AND sku = :sku AND location_id = :location",
                                        ["sku": sku, "location": location]).first?.int64("on_hand") ?? 0
        try scope.db.execute("""
            INSERT INTO inventory_stocktake_counts (stocktake_id, shop_id, sku, counted, booked) VALUES (:id, :shop, :sku, :counted, :booked)
            ON CONFLICT (stocktake_id, sku) DO UPDATE SET counted = :counted, booked = :booked
            """, ["id": id, "sku": sku, "counted": counted, "booked": booked])
        scope.audit(entity: "stocktake:\(id)", change: ["sku": .string(sku), "counted": .int(counted), "booked": .int(booked)])
        return ["stocktake": .int(id), "sku": .string(sku), "counted": .int(counted), "booked": .int(booked), "variance": .int(counted - booked)]
    }

    static let show = OperationSpec(
        name: "inventory.stocktake.show", summary: "Show a stocktake's counts and variances",
        fields: [sessionField], permission: "inventory.read", mutates: false
    ) { scope in
        try summary(try scope.input.int("stocktake"), scope)
    }

    static let approve = OperationSpec(
        name: "inventory.stocktake.approve", summary: "Approve a stocktake: book every variance as an adjustment",
        fields: [sessionField], permission: "inventory.stocktake.approve", mutates: true
    ) { scope in
        let (id, location) = try open(scope)
        var booked: [Value] = []
        for row in try scope.db.query("SELECT * FROM inventory_stocktake_counts WHERE shop_id = :shop AND stocktake_id = :id ORDER BY sku", ["id": id]) {
            let sku = try row.string("sku")
            // Variance against stock now, so sales since the count are not undone.
            let variance = try row.int64("counted") - row.int64("booked")
            guard variance != 0 else { continue }
            try Stock.move(sku: sku, location: location, onHand: variance, kind: "stocktake", reason: "stocktake \(id)", scope)
            booked.append(["sku": .string(sku), "variance": .int(variance)])
        }
        try scope.db.execute("UPDATE inventory_stocktakes SET status = 'approved', approved_by = :actor, approved_at = :now WHERE shop_id = :shop AND id = :id",
                             ["actor": scope.context.actor.description, "now": scope.now, "id": id])
        scope.audit(entity: "stocktake:\(id)", change: ["status": "approved", "adjustments": .array(booked)])
        return try summary(id, scope)
    }

    /// The open stocktake of the input and its location; approved ones are refused.
    static func open(_ scope: OperationScope) throws -> (Int64, Int64) {
        let id = try scope.input.int("stocktake")
        guard let row = try scope.db.query("SELECT * FROM inventory_stocktakes WHERE shop_id = :shop AND id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no stocktake \(id) in this shop", field: "stocktake")
        }
        guard try row.string("status") == "open" else {
            throw KernelError(.conflict, "stocktake \(id) is already \(try row.string("status"))", field: "stocktake")
        }
        return (id, try row.int64("location_id"))
    }

    static func summary(_ id: Int64, _ scope: OperationScope) throws -> Value {
        guard let row = try scope.db.query("SELECT * FROM inventory_stocktakes WHERE shop_id = :shop AND id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no stocktake \(id) in this shop", field: "stocktake")
        }
        let counts = try scope.db.query("SELECT * FROM inventory_stocktake_counts WHERE shop_id = :shop AND stocktake_id = :id ORDER BY sku", ["id": id])
        return ["stocktake": .int(id), "location": .string(try Locations.code(try row.int64("location_id"), scope)),
                "status": .string(try row.string("status")),
                "counts": .array(try counts.map {
                    ["sku": .string(try $0.string("sku")), "counted": .int(try $0.int64("counted")), "booked": .int(try $0.int64("booked")),
                     "variance": .int(try $0.int64("counted") - $0.int64("booked"))]
                })]
    }
}
