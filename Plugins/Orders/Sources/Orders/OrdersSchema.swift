import Kernel

enum OrdersSchema {
    static let migrations = [
        Migration(version: 1, name: "carts, orders, lines, transitions, after-sales", sql: """
            CREATE TABLE orders_carts (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, customer_id INTEGER,
                attributes TEXT NOT NULL, destination TEXT NOT NULL, status TEXT NOT NULL,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
            CREATE TABLE orders_cart_lines (
                cart_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
                PRIMARY KEY (cart_id, sku));
            CREATE TABLE orders_sequences (shop_id INTEGER PRIMARY KEY, next INTEGER NOT NULL);
            CREATE TABLE orders_orders (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, number TEXT NOT NULL, customer_id INTEGER,
                currency TEXT NOT NULL, subtotal INTEGER NOT NULL, discount_total INTEGER NOT NULL,
                shipping_total INTEGER NOT NULL, fee_total INTEGER NOT NULL, tax_total INTEGER NOT NULL,
                total INTEGER NOT NULL, paid_amount INTEGER NOT NULL DEFAULT 0, refunded_amount INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL, attributes TEXT NOT NULL, destination TEXT NOT NULL,
                placed_at INTEGER NOT NULL, placed_by TEXT NOT NULL, updated_at INTEGER NOT NULL,
                UNIQUE (shop_id, number));
            CREATE INDEX orders_orders_by_time ON orders_orders (shop_id, placed_at);
            CREATE INDEX orders_orders_by_customer ON orders_orders (shop_id, customer_id);
            CREATE TABLE orders_lines (
                id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL,
                title TEXT NOT NULL, product_id INTEGER, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
                line_total INTEGER NOT NULL, discount INTEGER NOT NULL, weight_grams INTEGER NOT NULL,
                returned_quantity INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX orders_lines_by_order ON orders_lines (order_id);
            CREATE TABLE orders_adjustments (
                order_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,
                label TEXT NOT NULL, amount INTEGER NOT NULL);
            CREATE INDEX orders_adjustments_by_order ON orders_adjustments (order_id);
            CREATE TABLE orders_transitions (
                id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, from_status TEXT,
                to_status TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL);
            CREATE INDEX orders_transitions_by_order ON orders_transitions (order_id);
            CREATE TABLE orders_after_sales (
                id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, order_id INTEGER NOT NULL, kind TEXT NOT NULL,
                status TEXT NOT NULL, amount INTEGER NOT NULL, returned TEXT NOT NULL, replacement TEXT NOT NULL,
                reason TEXT NOT NULL, requested_by TEXT NOT NULL, requested_at INTEGER NOT NULL,
                decided_by TEXT, decided_at INTEGER, note TEXT);
            CREATE INDEX orders_after_sales_by_order ON orders_after_sales (order_id);
            """),
        // Storefront: a guest's carts belong to their storefront session (customers' carts to
        // the customer), and an order placed from a guest's cart keeps that session, its owner.
        Migration(version: 2, name: "storefront guest carts and orders", sql: """
            ALTER TABLE orders_carts ADD COLUMN guest_session INTEGER;
            CREATE INDEX orders_carts_by_guest ON orders_carts (shop_id, guest_session);
            CREATE INDEX orders_carts_by_customer ON orders_carts (shop_id, customer_id);
            ALTER TABLE orders_orders ADD COLUMN guest_session INTEGER;
            """),
        // Fewer pages written per checkout (each written page is checksummed and appended to
        // the WAL at commit): order numbers move to the kernel's per-shop counters, which share
        // a page with the audit chain's head; lines are stored in their order's key, so they
        // need no index of their own; and the first state is no longer a transition row, as
        // the order's `placed_at` and `placed_by` already record it. Orders without a customer
        // (counter sales, guests) are not entered in the by-customer index, which only
        // `customer_id = ...` lookups use.
        Migration(version: 3, name: "order numbers in kernel counters, lines keyed by order, no placed transition row", sql: """
            INSERT INTO souk_counters (shop_id, name, value) SELECT shop_id, 'orders.number', next FROM orders_sequences;
            DROP TABLE orders_sequences;
            CREATE TABLE orders_lines_keyed (
                order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL,
                title TEXT NOT NULL, product_id INTEGER, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
                line_total INTEGER NOT NULL, discount INTEGER NOT NULL, weight_grams INTEGER NOT NULL,
                returned_quantity INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;
            INSERT INTO orders_lines_keyed (order_id, line_no, shop_id, sku, title, product_id, quantity, unit_price,
                    line_total, discount, weight_grams, returned_quantity)
                SELECT order_id, row_number() OVER (PARTITION BY order_id ORDER BY id), shop_id, sku, title, product_id,
                    quantity, unit_price, line_total, discount, weight_grams, returned_quantity FROM orders_lines;
            DROP TABLE orders_lines;
            ALTER TABLE orders_lines_keyed RENAME TO orders_lines;
            DELETE FROM orders_transitions WHERE from_status IS NULL;
            DROP INDEX orders_orders_by_customer;
            CREATE INDEX orders_orders_by_customer ON orders_orders (shop_id, customer_id) WHERE customer_id IS NOT NULL;
            """),
        // A shopper who signs in takes over the orders placed in their guest session; that
        // lookup used the by-customer index (customer_id IS NULL), which now leaves those rows out.
        Migration(version: 4, name: "guest orders found by their session", sql: """
            CREATE INDEX orders_orders_by_guest ON orders_orders (shop_id, guest_session) WHERE guest_session IS NOT NULL;
            """),
        // A line's id is its place: order id × 1024 + line number (see `LineKeys`). An order's
        // lines are one range of the table's own key, appended at its end as orders are
        // placed, which SQLite does by adding a page rather than rebalancing an index's pages.
        Migration(version: 5, name: "order lines keyed by order and line number in the row id", sql: """
            CREATE TEMP TABLE orders_lines_fit (
                line_no INTEGER CONSTRAINT "an order has more than 1023 lines: split it with the previous version before upgrading"
                CHECK (line_no <= 1023));
            INSERT INTO orders_lines_fit SELECT line_no FROM orders_lines;
            DROP TABLE orders_lines_fit;
            CREATE TABLE orders_lines_ranged (
                id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, shop_id INTEGER NOT NULL,
                sku TEXT NOT NULL, title TEXT NOT NULL, product_id INTEGER, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
                line_total INTEGER NOT NULL, discount INTEGER NOT NULL, weight_grams INTEGER NOT NULL,
                returned_quantity INTEGER NOT NULL DEFAULT 0);
            INSERT INTO orders_lines_ranged (id, order_id, line_no, shop_id, sku, title, product_id, quantity, unit_price,
                    line_total, discount, weight_grams, returned_quantity)
                SELECT order_id * 1024 + line_no, order_id, line_no, shop_id, sku, title, product_id, quantity, unit_price,
                    line_total, discount, weight_grams, returned_quantity FROM orders_lines ORDER BY order_id, line_no;
            DROP TABLE orders_lines;
            ALTER TABLE orders_lines_ranged RENAME TO orders_lines;
            """),
        // An order paid while it was placed records that on its own row (what paid it), not
        // in a transition row: `orders.history` shows it as the step to paid.
        Migration(version: 6, name: "orders paid while placed", sql: """
            ALTER TABLE orders_orders ADD COLUMN paid_on_placement TEXT;
            """),
        // Adjustments keyed like the lines, `order × 1024 + n`: an order's adjustments are a
        // range of the table's own key, and placing an order updates no index for them. The
        // CHECK keeps a row inserted without its key (by older code) out of another order's range.
        Migration(version: 7, name: "order adjustments keyed by order in the row id", sql: """
            CREATE TEMP TABLE orders_adjustments_fit (
                n INTEGER CONSTRAINT "an order has more than 1023 adjustments: merge some with the previous version before upgrading"
                CHECK (n <= 1023));
            INSERT INTO orders_adjustments_fit SELECT COUNT(*) FROM orders_adjustments GROUP BY order_id;
            DROP TABLE orders_adjustments_fit;
            CREATE TABLE orders_adjustments_ranged (
                id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, kind TEXT NOT NULL,
                code TEXT NOT NULL, label TEXT NOT NULL, amount INTEGER NOT NULL,
                CONSTRAINT "an adjustment's row id must be in its order's range" CHECK (id / 1024 = order_id AND id % 1024 > 0));
            INSERT INTO orders_adjustments_ranged (id, order_id, shop_id, kind, code, label, amount)
                SELECT order_id * 1024 + ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY rowid), order_id, shop_id, kind, code,
                    label, amount FROM orders_adjustments;
            DROP TABLE orders_adjustments;
            ALTER TABLE orders_adjustments_ranged RENAME TO orders_adjustments;
            """),
    ]
}
