import Kernel

enum CustomersSchema {
    static let migrations = [
        Migration(version: 1, name: "accounts, addresses, groups, messages, points ledger", sql: """
            CREATE TABLE customers_accounts (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, email TEXT, phone TEXT, phone_key TEXT,
                name TEXT NOT NULL DEFAULT '', level TEXT NOT NULL DEFAULT 'regular',
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                CHECK (email IS NOT NULL OR phone IS NOT NULL),
                UNIQUE (shop_id, email), UNIQUE (shop_id, phone_key));
            CREATE INDEX customers_accounts_by_level ON customers_accounts (shop_id, level);
            CREATE TABLE customers_addresses (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, customer_id INTEGER NOT NULL,
                label TEXT NOT NULL, name TEXT NOT NULL, line1 TEXT NOT NULL, line2 TEXT NOT NULL, city TEXT NOT NULL,
                region TEXT NOT NULL, country TEXT NOT NULL, postal_code TEXT NOT NULL, phone TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX customers_addresses_by_customer ON customers_addresses (shop_id, customer_id);
            CREATE TABLE customers_groups (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, description TEXT NOT NULL,
                created_at INTEGER NOT NULL, UNIQUE (shop_id, code));
            CREATE TABLE customers_group_members (
                shop_id INTEGER NOT NULL, group_id INTEGER NOT NULL, customer_id INTEGER NOT NULL, added_at INTEGER NOT NULL,
                PRIMARY KEY (group_id, customer_id));
            CREATE INDEX customers_group_members_by_customer ON customers_group_members (shop_id, customer_id);
            CREATE TABLE customers_messages (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, customer_id INTEGER NOT NULL, parent_id INTEGER,
                author TEXT NOT NULL, entered_by TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
            CREATE INDEX customers_messages_by_customer ON customers_messages (shop_id, customer_id, id);
            CREATE INDEX customers_messages_by_parent ON customers_messages (shop_id, parent_id);
            CREATE TABLE customers_points (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, customer_id INTEGER NOT NULL,
                delta INTEGER NOT NULL CHECK (delta <> 0), reason TEXT NOT NULL,
                balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
                created_at INTEGER NOT NULL, actor TEXT NOT NULL);
            CREATE INDEX customers_points_by_customer ON customers_points (shop_id, customer_id, id);
            CREATE TRIGGER customers_points_no_update BEFORE UPDATE ON customers_points
            BEGIN SELECT RAISE(ABORT, 'customers_points is append-only: entries are never changed'); END;
            CREATE TRIGGER customers_points_no_delete BEFORE DELETE ON customers_points
            BEGIN SELECT RAISE(ABORT, 'customers_points is append-only: entries are never deleted'); END;
            """),
        // Storefront accounts: customers who register set a password; staff-created customers
        // have none (NULL) until they do. Failed sign-ins lock the account like staff accounts.
        Migration(version: 2, name: "storefront passwords and sign-in lock-out", sql: """
            ALTER TABLE customers_accounts ADD COLUMN password_hash TEXT;
            ALTER TABLE customers_accounts ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE customers_accounts ADD COLUMN locked_until INTEGER;
            """),
        // Password resets: a request (by staff or the storefront) is a row without a token; the
        // notifier mints the token once ('issued') and only its SHA-256 is kept. A newer request
        // or a successful reset revokes the customer's other open ones.
        Migration(version: 3, name: "password resets", sql: """
            CREATE TABLE customers_password_resets (
                id INTEGER PRIMARY KEY AUTOINCREMENT, shop_id INTEGER NOT NULL, customer_id INTEGER NOT NULL,
                email TEXT NOT NULL, requested_by TEXT NOT NULL, token_hash TEXT UNIQUE,
                status TEXT NOT NULL CHECK (status IN ('requested', 'issued', 'used', 'revoked')),
                created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, issued_at INTEGER, closed_at INTEGER);
            CREATE INDEX customers_password_resets_by_customer ON customers_password_resets (shop_id, customer_id, status);
            """),
    ]
}
