import Kernel

enum GiftWrapSchema {
    static let migrations = [
        Migration(version: 1, name: "wrap requests", sql: """
            CREATE TABLE giftwrap_wraps (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, order_ref TEXT NOT NULL, note TEXT NOT NULL,
                fee_minor INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
                UNIQUE (shop_id, order_ref));
            """),
    ]
}
