import Kernel

/// Stock locations (warehouses, shops, back rooms). Every shop has a default one, created as
/// "main" the first time stock moves.
enum Locations {
    static func defaultLocation(_ scope: OperationScope) throws -> Int64 {
        let db = try scope.db
        if let row = try db.query("SELECT id FROM inventory_locations WHERE shop_id = :shop AND is_default = 1").first {
            return try row.int64("id")
        }
        try db.execute("INSERT INTO inventory_locations (shop_id, code, name, is_default) VALUES (:shop, 'main', 'Main', 1)")
        return db.lastInsertRowID
    }

    /// The location with `code`, the default one when `code` is nil.
    static func resolve(_ code: String?, _ scope: OperationScope, field: String = "location") throws -> Int64 {
        guard let code else { return try defaultLocation(scope) }
        guard let row = try scope.db.query("SELECT id FROM inventory_locations WHERE shop_id = :shop AND code = :code", ["code": code]).first else {
            throw KernelError(.notFound, "no stock location '\(code)' in this shop; `souk inventory location list` shows them", field: field)
        }
        return try row.int64("id")
    }

    static func code(_ id: Int64, _ scope: OperationScope) throws -> String {
        try scope.db.query("SELECT code FROM inventory_locations WHERE shop_id = :shop AND id = :id", ["id": id]).first?.string("code") ?? "#\(id)"
    }

    /// The shop's location when it has exactly one (most shops), nil otherwise; kept in the
    /// writer's memo until a location is added or removed.
    static func only(_ scope: OperationScope) throws -> Int64? {
        try scope.db.remembered("inventory.only-location") {
            let rows = try scope.db.query("SELECT id FROM inventory_locations WHERE shop_id = :shop LIMIT 2")
            return rows.count == 1 ? try rows[0].int64("id") : nil
        }
    }

    /// Where a SKU stands at one location.
    struct Level {
        let location: Int64
        let available: Int64
        let safetyStock: Int64
    }

    /// The location that can serve the most of `sku` (the lowest id among equals), nil when
    /// the SKU has no stock record. The SKU's rows are read in key order and compared here:
    /// sorting by the computed `available` in SQL makes SQLite build a temporary b-tree for
    /// every line of every order (and so does one `sku IN (...)` read for all lines).
    static func best(for sku: String, _ scope: OperationScope) throws -> Level? {
        var best: Level?
        for row in try scope.db.query("""
            SELECT location_id, on_hand - reserved - safety_stock AS available, safety_stock FROM inventory_stock
            WHERE shop_id = :shop AND sku = :sku
            """, values: ["sku": .text(sku)]) {
            let level = Level(location: try row.int64("location_id"), available: try row.int64("available"),
                              safetyStock: try row.int64("safety_stock"))
            if best == nil || level.available > best!.available || (level.available == best!.available && level.location < best!.location) {
                best = level
            }
        }
        return best
    }

    /// The `insufficient_stock` refusal of a line no single location can serve, saying how
    /// much of the SKU is available across all locations.
    static func insufficient(sku: String, ordered: Int64, _ scope: OperationScope) throws -> KernelError {
        let total = try scope.db.query("""
            SELECT COALESCE(SUM(MAX(on_hand - reserved - safety_stock, 0)), 0) AS n FROM inventory_stock WHERE shop_id = :shop AND sku = :sku
            """, ["sku": sku])[0].int64("n")
        return KernelError(.insufficientStock, "only \(total) of SKU \(sku) available, \(ordered) ordered", field: "lines")
    }
}
