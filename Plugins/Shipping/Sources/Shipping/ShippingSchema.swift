import Kernel

enum ShippingSchema {
    static let migrations = [
        Migration(version: 1, name: "methods, slots, fee templates, carriers, shipments, tracking", sql: """
            CREATE TABLE shipping_templates (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
                basis TEXT NOT NULL, free_over INTEGER, outside TEXT NOT NULL, outside_fee INTEGER,
                created_at INTEGER NOT NULL,
                UNIQUE (shop_id, code));
            CREATE TABLE shipping_rules (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, template_id INTEGER NOT NULL,
                country TEXT NOT NULL, region TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',
                first_units INTEGER, first_fee INTEGER, additional_units INTEGER, additional_fee INTEGER,
                min_value INTEGER, max_value INTEGER, fee INTEGER, created_at INTEGER NOT NULL);
            CREATE INDEX shipping_rules_by_template ON shipping_rules (shop_id, template_id);
            CREATE TABLE shipping_methods (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
                kind TEXT NOT NULL, enabled INTEGER NOT NULL, template_id INTEGER,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, code));
            CREATE TABLE shipping_slots (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, method_id INTEGER NOT NULL,
                starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, capacity INTEGER NOT NULL,
                booked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
                CHECK (capacity >= 1), CHECK (booked >= 0 AND booked <= capacity));
            CREATE INDEX shipping_slots_by_time ON shipping_slots (shop_id, starts_at);
            CREATE TABLE shipping_slot_bookings (
                shop_id INTEGER NOT NULL, order_number TEXT NOT NULL, slot_id INTEGER NOT NULL, booked_at INTEGER NOT NULL,
                PRIMARY KEY (shop_id, order_number));
            CREATE TABLE shipping_carriers (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
                tracking_url_template TEXT NOT NULL, created_at INTEGER NOT NULL,
                UNIQUE (shop_id, code));
            CREATE TABLE shipping_shipments (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, order_number TEXT NOT NULL, carrier_id INTEGER NOT NULL,
                tracking_number TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, carrier_id, tracking_number));
            CREATE INDEX shipping_shipments_by_order ON shipping_shipments (shop_id, order_number);
            CREATE TABLE shipping_shipment_lines (
                shipment_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
                PRIMARY KEY (shipment_id, sku), CHECK (quantity >= 1));
            CREATE TABLE shipping_tracking_events (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, shipment_id INTEGER NOT NULL, event TEXT NOT NULL,
                location TEXT, status TEXT, at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, recorded_by TEXT NOT NULL);
            CREATE INDEX shipping_tracking_events_by_shipment ON shipping_tracking_events (shop_id, shipment_id, at);
            """),
    ]
}
