import Kernel

enum PaymentSchema {
    static let migrations = [
        Migration(version: 1, name: "methods, payments, attempts, idempotency keys, webhooks", sql: """
            CREATE TABLE payment_methods (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, code TEXT NOT NULL, enabled INTEGER NOT NULL,
                display_order INTEGER NOT NULL, method_group TEXT NOT NULL, fee INTEGER NOT NULL CHECK (fee >= 0),
                min_amount INTEGER, max_amount INTEGER,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, code),
                CHECK (min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount));
            CREATE TABLE payment_payments (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, order_number TEXT NOT NULL, method TEXT NOT NULL,
                provider_reference TEXT, status TEXT NOT NULL, currency TEXT NOT NULL,
                amount INTEGER NOT NULL, fee INTEGER NOT NULL,
                authorized INTEGER NOT NULL DEFAULT 0, captured INTEGER NOT NULL DEFAULT 0, refunded INTEGER NOT NULL DEFAULT 0,
                card_last4 TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, order_number),
                CHECK (captured <= authorized), CHECK (refunded <= captured));
            CREATE INDEX payment_payments_by_reference ON payment_payments (shop_id, provider_reference);
            CREATE TABLE payment_attempts (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, action TEXT NOT NULL,
                method TEXT NOT NULL, amount INTEGER NOT NULL, idempotency_key TEXT, outcome TEXT NOT NULL,
                reason TEXT, reference TEXT, actor TEXT NOT NULL, at INTEGER NOT NULL);
            CREATE INDEX payment_attempts_by_payment ON payment_attempts (shop_id, payment_id, id);
            CREATE TRIGGER payment_attempts_no_update BEFORE UPDATE ON payment_attempts
            BEGIN SELECT RAISE(ABORT, 'payment_attempts is append-only: attempts are never changed'); END;
            CREATE TRIGGER payment_attempts_no_delete BEFORE DELETE ON payment_attempts
            BEGIN SELECT RAISE(ABORT, 'payment_attempts is append-only: attempts are never deleted'); END;
            CREATE TABLE payment_requests (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, idempotency_key TEXT NOT NULL, action TEXT NOT NULL,
                order_number TEXT NOT NULL, method TEXT, amount INTEGER, outcome TEXT NOT NULL, response TEXT NOT NULL,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, idempotency_key));
            CREATE TABLE payment_webhooks (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, signature TEXT NOT NULL, event TEXT NOT NULL,
                reference TEXT NOT NULL, result TEXT NOT NULL, received_at INTEGER NOT NULL,
                UNIQUE (shop_id, signature));
            """),
        // Money owed back because of something Orders decided (a cancelled order, an approved
        // refund or return): one row per source, queued by an outbox subscriber and settled
        // through the provider by another (see Settlements.swift).
        Migration(version: 2, name: "settlements of cancelled orders and approved after-sales refunds", sql: """
            CREATE TABLE payment_settlements (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
                order_number TEXT NOT NULL, request_id INTEGER, amount INTEGER NOT NULL, status TEXT NOT NULL,
                action TEXT, settled_amount INTEGER NOT NULL DEFAULT 0, reference TEXT, note TEXT,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, source));
            CREATE INDEX payment_settlements_by_order ON payment_settlements (shop_id, order_number);
            """),
        // Attempts keyed by their payment, `payment × 2^20 + n` (see `Attempts.key`): a
        // payment's log is a range of the table's own key, and an attempt updates no index. The
        // CHECK keeps a row inserted without its key (by older code) from landing in another
        // payment's range.
        Migration(version: 3, name: "payment attempts keyed by payment in the row id", sql: """
            CREATE TEMP TABLE payment_attempts_fit (
                n INTEGER CONSTRAINT "a payment has more than 1048575 attempts: archive some with the previous version before upgrading"
                CHECK (n <= 1048575));
            INSERT INTO payment_attempts_fit SELECT COUNT(*) FROM payment_attempts GROUP BY payment_id;
            DROP TABLE payment_attempts_fit;
            CREATE TABLE payment_attempts_ranged (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, action TEXT NOT NULL,
                method TEXT NOT NULL, amount INTEGER NOT NULL, idempotency_key TEXT, outcome TEXT NOT NULL,
                reason TEXT, reference TEXT, actor TEXT NOT NULL, at INTEGER NOT NULL,
                CONSTRAINT "an attempt's row id must be in its payment's range" CHECK (id / 1048576 = payment_id AND id % 1048576 > 0));
            INSERT INTO payment_attempts_ranged (id, shop_id, payment_id, action, method, amount, idempotency_key, outcome, reason,
                    reference, actor, at)
                SELECT payment_id * 1048576 + ROW_NUMBER() OVER (PARTITION BY payment_id ORDER BY id), shop_id, payment_id, action,
                    method, amount, idempotency_key, outcome, reason, reference, actor, at FROM payment_attempts;
            DROP TABLE payment_attempts;
            ALTER TABLE payment_attempts_ranged RENAME TO payment_attempts;
            CREATE TRIGGER payment_attempts_no_update BEFORE UPDATE ON payment_attempts
            BEGIN SELECT RAISE(ABORT, 'payment_attempts is append-only: attempts are never changed'); END;
            CREATE TRIGGER payment_attempts_no_delete BEFORE DELETE ON payment_attempts
            BEGIN SELECT RAISE(ABORT, 'payment_attempts is append-only: attempts are never deleted'); END;
            """),
    ]
}
