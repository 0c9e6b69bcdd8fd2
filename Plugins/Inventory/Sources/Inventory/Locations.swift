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
}
