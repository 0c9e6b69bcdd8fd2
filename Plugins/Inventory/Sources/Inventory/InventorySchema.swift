import Kernel

enum InventorySchema {
    static let migrations = [
        Migration(version: 1, name: "locations, stock, movements, reservations, stocktakes", sql: """
            CREATE TABLE inventory_locations (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
                is_default INTEGER NOT NULL DEFAULT 0, UNIQUE (shop_id, code));
            CREATE TABLE inventory_stock (
                shop_id INTEGER NOT NULL, sku TEXT NOT NULL, location_id INTEGER NOT NULL,
                on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
                reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                damaged INTEGER NOT NULL DEFAULT 0 CHECK (damaged >= 0),
                safety_stock INTEGER NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
                PRIMARY KEY (shop_id, sku, location_id), CHECK (reserved <= on_hand));
            CREATE TABLE inventory_movements (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, sku TEXT NOT NULL, location_id INTEGER NOT NULL,
                on_hand_delta INTEGER NOT NULL, reserved_delta INTEGER NOT NULL, damaged_delta INTEGER NOT NULL,
                kind TEXT NOT NULL, reason TEXT NOT NULL, order_number TEXT, actor TEXT NOT NULL, at INTEGER NOT NULL);
            CREATE INDEX inventory_movements_by_sku ON inventory_movements (shop_id, sku, at);
            CREATE TABLE inventory_reservations (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, order_number TEXT NOT NULL, sku TEXT NOT NULL,
                location_id INTEGER NOT NULL, quantity INTEGER NOT NULL, status TEXT NOT NULL,
                expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
            CREATE INDEX inventory_reservations_by_order ON inventory_reservations (shop_id, order_number);
            CREATE INDEX inventory_reservations_by_expiry ON inventory_reservations (shop_id, status, expires_at);
            CREATE TABLE inventory_stocktakes (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, location_id INTEGER NOT NULL, status TEXT NOT NULL,
                started_by TEXT NOT NULL, started_at INTEGER NOT NULL, approved_by TEXT, approved_at INTEGER);
            CREATE TABLE inventory_stocktake_counts (
                stocktake_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL, counted INTEGER NOT NULL,
                booked INTEGER NOT NULL, PRIMARY KEY (stocktake_id, sku));
            """),
    ]
}
