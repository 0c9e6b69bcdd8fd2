import Kernel

enum StockOperations {
    static let all = [locationCreate, locationList, list, adjust, safety, transfer, movements]

    static let skuField = Field("sku", required: true, help: "SKU code")
    static let locationField = Field("location", .code, help: "location code (default: the default location)")

    static let locationCreate = OperationSpec(
        name: "inventory.location.create", summary: "Add a stock location",
        fields: [Field("code", .code, required: true, help: "short code, e.g. paris"), Field("name", required: true, help: "display name"),
                 Field("default", .bool, help: "make it the default location")],
        permission: "inventory.manage", mutates: true
    ) { scope in
        let db = try scope.db
        let code = try scope.input.string("code")
        guard try db.query("SELECT 1 FROM inventory_locations WHERE shop_id = :shop AND code = :code", ["code": code]).isEmpty else {
            throw KernelError(.conflict, "location '\(code)' already exists", field: "code")
        }
        let makeDefault = scope.input.bool("default")
        if makeDefault { try db.execute("UPDATE inventory_locations SET is_default = 0 WHERE shop_id = :shop") }
        let hasDefault = try !db.query("SELECT 1 FROM inventory_locations WHERE shop_id = :shop AND is_default = 1").isEmpty
        try db.execute("INSERT INTO inventory_locations (shop_id, code, name, is_default) VALUES (:shop, :code, :name, :default)",
                       ["code": code, "name": try scope.input.string("name"), "default": makeDefault || !hasDefault])
        scope.audit(entity: "location:\(code)", change: ["name": .string(try scope.input.string("name")), "default": .bool(makeDefault || !hasDefault)])
        return ["code": .string(code), "default": .bool(makeDefault || !hasDefault)]
    }

    static let locationList = OperationSpec(
        name: "inventory.location.list", summary: "List stock locations", permission: "inventory.read", mutates: false
    ) { scope in
        .array(try scope.db.query("SELECT * FROM inventory_locations WHERE shop_id = :shop ORDER BY code").map {
            ["code": .string(try $0.string("code")), "name": .string(try $0.string("name")), "default": .bool(try $0.bool("is_default"))]
        })
    }

    static let list = OperationSpec(
        name: "inventory.stock.list", summary: "Stock levels: on hand, reserved, safety stock, available, damaged",
        fields: [Field("sku", help: "only this SKU"), locationField,
                 Field("cursor", .int, help: "continue after this position (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: "inventory.read", mutates: false
    ) { scope in
        var sql = """
            SELECT s.rowid AS position, s.*, l.code AS location, s.on_hand - s.reserved - s.safety_stock AS available
            FROM inventory_stock s JOIN inventory_locations l ON l.id = s.location_id WHERE s.shop_id = :shop
            """
        var parameters: [String: any SQLBindable] = [:]
        if let sku = scope.input.optionalString("sku") { sql += " AND s.sku = :sku"; parameters["sku"] = sku }
        if let location = scope.input.optionalString("location") { sql += " AND l.code = :location"; parameters["location"] = location }
        if let cursor = scope.input.optionalInt("cursor") { sql += " AND s.rowid > :cursor"; parameters["cursor"] = cursor }
        let limit = try scope.input.limit()
        parameters["limit"] = limit + 1
        // In the order rows were created (rowid): a stable key, so that stock levels created
        // while a client pages are neither repeated nor skipped.
        let rows = try scope.db.query(sql + " ORDER BY s.rowid LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit, key: "position")
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map(Stock.value)), "next_cursor": next]
    }

    /// Reason codes for adjustments, and which quantity each one changes.
    static let reasons: [String: String] = [
        "received": "goods received (on hand up)", "found": "found in a count (on hand up)",
        "lost": "lost or stolen (on hand down)", "correction": "correction (either way)",
        "damaged": "moved from on hand to damaged", "disposed": "damaged goods thrown away",
    ]

    static let adjust = OperationSpec(
        name: "inventory.adjust", summary: "Adjust stock with a reason code",
        fields: [skuField, locationField,
                 Field("quantity", .int, required: true, help: "units; negative to take away (correction, lost)"),
                 Field("reason", .code, required: true, help: "received, found, lost, correction, damaged or disposed"),
                 Field("note", help: "free text kept with the movement")],
        permission: "inventory.adjust", mutates: true
    ) { scope in
        let sku = try scope.input.string("sku"), reason = try scope.input.string("reason")
        let quantity = try scope.input.int("quantity")
        guard quantity != 0 else { throw KernelError.invalid("quantity", "the quantity must not be zero") }
        guard reasons[reason] != nil else {
            throw KernelError.invalid("reason", "'\(reason)' is not a reason code (\(reasons.keys.sorted().joined(separator: ", ")))")
        }
        let magnitude = quantity.magnitude > UInt64(Int64.max) ? Int64.max : Int64(quantity.magnitude)
        let (onHand, damaged): (Int64, Int64)
        switch reason {
        case "received", "found":
            guard quantity > 0 else { throw KernelError.invalid("quantity", "'\(reason)' adds stock: the quantity must be positive") }
            (onHand, damaged) = (quantity, 0)
        case "lost":
            (onHand, damaged) = (-magnitude, 0)
        case "damaged":
            (onHand, damaged) = (-magnitude, magnitude)
        case "disposed":
            (onHand, damaged) = (0, -magnitude)
        default:
            (onHand, damaged) = (quantity, 0)
        }
        let location = try Locations.resolve(scope.input.optionalString("location"), scope)
        let note = scope.input.optionalString("note") ?? reasons[reason]!
        let row = try Stock.move(sku: sku, location: location, onHand: onHand, damaged: damaged, kind: reason, reason: note, scope)
        scope.audit(entity: "stock:\(sku)", change: ["location": .string(try row.string("location")), "reason": .string(reason),
                                                    "on_hand_delta": .int(onHand), "damaged_delta": .int(damaged)])
        return try Stock.value(row)
    }

    static let safety = OperationSpec(
        name: "inventory.safety.set", summary: "Set the safety stock kept back from sale",
        fields: [skuField, locationField, Field("quantity", .int, required: true, help: "units kept back (0 or more)")],
        permission: "inventory.manage", mutates: true
    ) { scope in
        let sku = try scope.input.string("sku"), quantity = try scope.input.int("quantity")
        guard quantity >= 0 else { throw KernelError.invalid("quantity", "safety stock cannot be negative, got \(quantity)") }
        let location = try Locations.resolve(scope.input.optionalString("location"), scope)
        let db = try scope.db
        try db.execute("INSERT OR IGNORE INTO inventory_stock (shop_id, sku, location_id) VALUES (:shop, :sku, :location)",
                       ["sku": sku, "location": location])
        try db.execute("UPDATE inventory_stock SET safety_stock = :q WHERE shop_id = :shop AND sku = :sku AND location_id = :location",
                       ["q": quantity, "sku": sku, "location": location])
        let row = try Stock.level(sku: sku, location: location, scope)
        scope.audit(entity: "stock:\(sku)", change: ["safety_stock": .int(quantity), "location": .string(try row.string("location"))])
        return try Stock.value(row)
    }

    static let transfer = OperationSpec(
        name: "inventory.transfer", summary: "Move stock between locations",
        fields: [skuField, Field("from", .code, required: true, help: "source location"), Field("to", .code, required: true, help: "target location"),
                 Field("quantity", .int, required: true, help: "units to move (at least 1)")],
        permission: "inventory.adjust", mutates: true
    ) { scope in
        let sku = try scope.input.string("sku"), quantity = try scope.input.int("quantity")
        guard quantity >= 1 else { throw KernelError.invalid("quantity", "transfer at least 1 unit, got \(quantity)") }
        let from = try Locations.resolve(try scope.input.string("from"), scope, field: "from")
        let to = try Locations.resolve(try scope.input.string("to"), scope, field: "to")
        guard from != to else { throw KernelError.invalid("to", "source and target locations are the same") }
        let source = try scope.db.query("""
            SELECT on_hand - reserved AS free FROM inventory_stock WHERE shop_id = :shop AND sku = :sku AND location_id = :location
            """, ["sku": sku, "location": from]).first
        let free = try source?.int64("free") ?? 0
        guard free >= quantity else {
            throw KernelError(.insufficientStock, "only \(free) unreserved units of SKU \(sku) at \(try scope.input.string("from")), \(quantity) asked")
        }
        let reason = "transfer \(try scope.input.string("from")) → \(try scope.input.string("to"))"
        try Stock.move(sku: sku, location: from, onHand: -quantity, kind: "transfer_out", reason: reason, scope)
        try Stock.move(sku: sku, location: to, onHand: quantity, kind: "transfer_in", reason: reason, scope)
        scope.audit(entity: "stock:\(sku)", change: ["transfer": .string(reason), "quantity": .int(quantity)])
        return .array([try Stock.value(try Stock.level(sku: sku, location: from, scope)), try Stock.value(try Stock.level(sku: sku, location: to, scope))])
    }

    static let movements = OperationSpec(
        name: "inventory.movements", summary: "The stock ledger of a SKU, newest first, a page at a time",
        fields: [skuField,
                 Field("cursor", .int, help: "continue after this movement id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-1000 (default 50)")],
        permission: "inventory.read", mutates: false
    ) { scope in
        let limit = try scope.input.limit(max: 1000)
        var sql = """
            SELECT m.*, l.code AS location FROM inventory_movements m JOIN inventory_locations l ON l.id = m.location_id
            WHERE m.shop_id = :shop AND m.sku = :sku
            """
        var parameters: [String: any SQLBindable] = ["sku": try scope.input.string("sku"), "limit": limit + 1]
        if let cursor = scope.input.optionalInt("cursor") { sql += " AND m.id < :cursor"; parameters["cursor"] = cursor }
        let rows = try scope.db.query(sql + " ORDER BY m.id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map {
            ["at": .string(Validation.isoString(millis: try $0.int64("at"))), "location": .string(try $0.string("location")),
             "kind": .string(try $0.string("kind")), "on_hand": .int(try $0.int64("on_hand_delta")),
             "reserved": .int(try $0.int64("reserved_delta")), "damaged": .int(try $0.int64("damaged_delta")),
             "order": Value(try $0.optionalString("order_number")), "reason": .string(try $0.string("reason")),
             "by": .string(try $0.string("actor"))]
        }), "next_cursor": next]
    }
}
