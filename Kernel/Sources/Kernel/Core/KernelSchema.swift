/// The kernel's own tables. Every row of shop data carries `shop_id`; platform rows use
/// shop 0 where a shop column is needed (the audit chain of the platform).
enum KernelSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "kernel tables", sql: """
            CREATE TABLE souk_installation (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE souk_shops (
                id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                currency TEXT NOT NULL, timezone TEXT NOT NULL, phone TEXT, email TEXT, address TEXT,
                business_hours TEXT, logo_url TEXT, description TEXT,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
            CREATE TABLE souk_staff (
                id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
                password_hash TEXT NOT NULL, is_operator INTEGER NOT NULL DEFAULT 0,
                failed_sign_ins INTEGER NOT NULL DEFAULT 0, locked_until INTEGER,
                password_changed_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
            CREATE TABLE souk_sessions (
                token_hash TEXT PRIMARY KEY, staff_id INTEGER NOT NULL REFERENCES souk_staff(id),
                created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
            CREATE TABLE souk_roles (
                shop_id INTEGER NOT NULL REFERENCES souk_shops(id), name TEXT NOT NULL,
                permissions TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (shop_id, name));
            CREATE TABLE souk_memberships (
                staff_id INTEGER NOT NULL REFERENCES souk_staff(id), shop_id INTEGER NOT NULL REFERENCES souk_shops(id),
                role TEXT NOT NULL, granted_by TEXT NOT NULL, granted_at INTEGER NOT NULL,
                PRIMARY KEY (staff_id, shop_id, role));
            CREATE INDEX souk_memberships_shop ON souk_memberships (shop_id);
            CREATE TABLE souk_audit (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
                actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, change TEXT NOT NULL,
                correlation_id TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
            CREATE INDEX souk_audit_chain ON souk_audit (shop_id, seq);
            CREATE TABLE souk_audit_heads (shop_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
            CREATE TABLE souk_outbox (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL,
                correlation_id TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL, delivered_at INTEGER, failed_at INTEGER, last_error TEXT);
            CREATE INDEX souk_outbox_pending ON souk_outbox (delivered_at, failed_at, next_attempt_at);
            CREATE TABLE souk_outbox_deliveries (
                outbox_id INTEGER NOT NULL REFERENCES souk_outbox(id), subscriber TEXT NOT NULL,
                delivered_at INTEGER NOT NULL, PRIMARY KEY (outbox_id, subscriber));
            CREATE TABLE souk_idempotency (
                shop_id INTEGER NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL, request_hash TEXT NOT NULL,
                response TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (shop_id, key));
            CREATE TABLE souk_plugin_shops (
                shop_id INTEGER NOT NULL REFERENCES souk_shops(id), plugin_id TEXT NOT NULL,
                enabled INTEGER NOT NULL, changed_at INTEGER NOT NULL, PRIMARY KEY (shop_id, plugin_id));
            CREATE TABLE souk_settings (
                shop_id INTEGER NOT NULL REFERENCES souk_shops(id), plugin_id TEXT NOT NULL, key TEXT NOT NULL,
                value TEXT NOT NULL, PRIMARY KEY (shop_id, plugin_id, key));
            """),
        Migration(version: 2, name: "storefront sessions", sql: """
        CREATE TABLE souk_shopper_sessions (
            id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, shop_id INTEGER NOT NULL REFERENCES souk_shops(id),
            customer_id INTEGER, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        CREATE INDEX souk_shopper_sessions_expiry ON souk_shopper_sessions (shop_id, expires_at);
        """),
        // Plugins key what a guest owns (carts, orders) by the session id, so an id must never
        // come back once its session ended or expired: AUTOINCREMENT, never max(id) + 1.
        Migration(version: 3, name: "storefront session ids are never reused", sql: """
            CREATE TABLE souk_shopper_sessions_new (
                id INTEGER PRIMARY KEY AUTOINCREMENT, token_hash TEXT NOT NULL UNIQUE,
                shop_id INTEGER NOT NULL REFERENCES souk_shops(id), customer_id INTEGER,
                created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
            INSERT INTO souk_shopper_sessions_new (id, token_hash, shop_id, customer_id, created_at, expires_at)
                SELECT id, token_hash, shop_id, customer_id, created_at, expires_at FROM souk_shopper_sessions;
            DROP TABLE souk_shopper_sessions;
            ALTER TABLE souk_shopper_sessions_new RENAME TO souk_shopper_sessions;
            CREATE INDEX souk_shopper_sessions_expiry ON souk_shopper_sessions (shop_id, expires_at);
            """),
        Migration(version: 4, name: "scheduled job runs", sql: """
        CREATE TABLE souk_job_runs (
            operation TEXT NOT NULL, shop_id INTEGER NOT NULL REFERENCES souk_shops(id),
            last_run_at INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (operation, shop_id));
        """),
        // The subscribers an event was queued for (one id per line), decided when it was
        // published; NULL (events queued before) means every subscriber of the event.
        Migration(version: 5, name: "outbox rows name their subscribers", sql: """
        ALTER TABLE souk_outbox ADD COLUMN subscribers TEXT;
        """),
        // Per-shop counters in one small table keyed by (shop, name): the audit chain's head
        // (name `audit`, with its hash) and plugins' sequences such as order numbers
        // (`orders.number`). A shop's rows sit side by side on one page, so a checkout that
        // advances its order number and appends to the audit chain writes one page for both
        // instead of one per table.
        Migration(version: 6, name: "per-shop counters hold the audit head", sql: """
        CREATE TABLE souk_counters (
            shop_id INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, hash TEXT,
            PRIMARY KEY (shop_id, name)) WITHOUT ROWID;
        INSERT INTO souk_counters (shop_id, name, value, hash) SELECT shop_id, 'audit', seq, hash FROM souk_audit_heads;
        DROP TABLE souk_audit_heads;
        """),
        // Audit rows keyed by their place in their chain: id = shop id × 2^32 + seq. A chain is
        // then a range of the table itself, read in order without an index, and appending an
        // entry writes the table's page but no index page. A chain holding two entries with the
        // same number (a row inserted by hand) cannot be copied and stops this step: check it
        // with `souk audit verify` on the previous version.
        Migration(version: 7, name: "audit rows keyed by chain and position", sql: """
        CREATE TABLE souk_audit_chained (
            id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
            actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, change TEXT NOT NULL,
            correlation_id TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        INSERT INTO souk_audit_chained (id, shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
            SELECT shop_id * 4294967296 + seq, shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash
            FROM souk_audit ORDER BY shop_id, seq;
        DROP TABLE souk_audit;
        ALTER TABLE souk_audit_chained RENAME TO souk_audit;
        """),
]
}
