import Foundation
import Kernel

/// The ceiling of `checkout-full`: a paid checkout written by hand straight on SQLite
/// through the kernel's prepared-statement wrapper, one commit per order.
///
/// It writes what Souk writes for the same order, nearly column for column: the order with
/// its totals, requests, destination, who placed it and its shipping fee with how it was
/// computed (that label on the order row, where Souk keeps an adjustment row); 3 lines; each
/// SKU checked and decremented with a stock movement; the payment with its authorization and
/// capture events; an audit row with what changed. It keeps the same ways back to it, each
/// in the cheapest layout SQLite offers:
/// - an order is found by its number (unique) and listed by time;
/// - lines and payment events are found by their order or payment through their row id
///   (`order × 1024 + line`, `payment × 64 + event`), with no index, as Souk keys its lines;
/// - a payment is found by its order (unique) and by the gateway's reference (webhooks);
/// - a SKU's movements are found by SKU and time (stock history, sales velocity).
///
/// Data a shop keeps and lookups it cannot do without are part of the same logical
/// transaction: a table an order cannot be read back from is not a shop. It leaves out what
/// is Souk's own on top (the permission check, hooks, the audit hash chain, the per-shop
/// order counter: the number comes from the caller). `SOUK_BENCH_CEILING=bare` runs the
/// fourth session's ceiling instead: fewer columns, no index, one payment event.
final class PaidCheckoutCeiling: CheckoutCeiling {
    let store: Store
    let folder: String
    let bare: Bool
    private var sequence = 0

    init(bare: Bool) throws {
        self.bare = bare
        folder = try scratchFolder("raw-paid")
        store = try Store(path: folder + "/raw.sqlite")
        try store.write { tx in
            try tx.execute("""
                CREATE TABLE shipping_rules (id INTEGER PRIMARY KEY, template TEXT NOT NULL, country TEXT NOT NULL, first_units INTEGER NOT NULL,
                first_fee INTEGER NOT NULL, additional_units INTEGER NOT NULL, additional_fee INTEGER NOT NULL)
                """)
            try tx.execute("CREATE INDEX shipping_rules_by_template ON shipping_rules (template, country)")
            try tx.execute("INSERT INTO shipping_rules (template, country, first_units, first_fee, additional_units, additional_fee) VALUES ('std', 'FR', 1000, 500, 500, 150)")
            try tx.execute("CREATE TABLE stock (sku TEXT PRIMARY KEY, price INTEGER NOT NULL, quantity INTEGER NOT NULL)")
            for statement in bare ? Self.bareTables : Self.tables { try tx.execute(statement) }
            for (sku, price) in [("TEA-1", 450), ("CUP-1", 1200), ("POT-1", 3333)] {
                try tx.execute("INSERT INTO stock (sku, price, quantity) VALUES (?, ?, ?)", [sku, price, 1_000_000_000])
            }
        }
    }

    static let tables = [
        """
        CREATE TABLE orders (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, number TEXT NOT NULL, customer_id INTEGER,
        currency TEXT NOT NULL, subtotal INTEGER NOT NULL, discount_total INTEGER NOT NULL, shipping_total INTEGER NOT NULL,
        fee_total INTEGER NOT NULL, tax_total INTEGER NOT NULL, total INTEGER NOT NULL, paid_amount INTEGER NOT NULL,
        refunded_amount INTEGER NOT NULL, status TEXT NOT NULL, attributes TEXT NOT NULL, destination TEXT NOT NULL,
        shipping_label TEXT NOT NULL, placed_at INTEGER NOT NULL, placed_by TEXT NOT NULL, updated_at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, sku TEXT NOT NULL,
        title TEXT NOT NULL, product_id INTEGER, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
        line_total INTEGER NOT NULL, discount INTEGER NOT NULL, weight_grams INTEGER NOT NULL)
        """,
        """
        CREATE TABLE movements (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, location INTEGER NOT NULL, on_hand_delta INTEGER NOT NULL,
        reserved_delta INTEGER NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, order_number TEXT, actor TEXT NOT NULL,
        at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE payments (id INTEGER PRIMARY KEY, order_number TEXT NOT NULL, method TEXT NOT NULL, reference TEXT,
        status TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, fee INTEGER NOT NULL,
        authorized INTEGER NOT NULL, captured INTEGER NOT NULL, refunded INTEGER NOT NULL, card_last4 TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE payment_events (id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL, action TEXT NOT NULL, method TEXT NOT NULL,
        amount INTEGER NOT NULL, idempotency_key TEXT, outcome TEXT NOT NULL, reason TEXT, reference TEXT,
        actor TEXT NOT NULL, at INTEGER NOT NULL)
        """,
        """
        CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, operation TEXT NOT NULL,
        entity TEXT NOT NULL, change TEXT NOT NULL, correlation_id TEXT NOT NULL)
        """,
        "CREATE UNIQUE INDEX orders_by_number ON orders (shop_id, number)",
        "CREATE INDEX orders_by_time ON orders (shop_id, placed_at)",
        "CREATE UNIQUE INDEX payments_by_order ON payments (order_number)",
        "CREATE INDEX payments_by_reference ON payments (reference)",
        "CREATE INDEX movements_by_sku ON movements (sku, at)",
    ]

    static let bareTables = [
        "CREATE TABLE movements (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, delta INTEGER NOT NULL, kind TEXT NOT NULL, order_id INTEGER NOT NULL, at INTEGER NOT NULL)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, number TEXT NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL, placed_at INTEGER NOT NULL)",
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL, line_total INTEGER NOT NULL)",
        "CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL)",
        "CREATE TABLE payment_events (id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL, action TEXT NOT NULL, amount INTEGER NOT NULL, outcome TEXT NOT NULL)",
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, at INTEGER NOT NULL)",
    ]

    var description: String {
        bare
            ? "ceiling (bare, SOUK_BENCH_CEILING=bare): shipping rule read, stock checked and decremented with a movement row per SKU, order, 3 lines, payment row and its capture event, audit row; few columns, no index; one commit"
            : "ceiling: the same by hand, column for column: shipping rule read, stock checked and decremented with a movement row per SKU, order with its totals and fee label, 3 lines, payment with its authorize and capture events, audit row; orders by number and time, payments by order and reference, movements by SKU and time; one commit"
    }

    func place(_ index: Int) throws {
        sequence += 1
        if bare { try placeBare() } else { try placeFull() }
    }

    /// One paid checkout: the fee from the template's rule for the destination (first
    /// 1000 g, then each 500 g), stock, order, lines, payment and its events, audit.
    private func placeFull() throws {
        let lines: [(sku: String, quantity: Int64, price: Int64, grams: Int64, title: String, product: Int64)] = [
            ("TEA-1", 2, 450, 100, "Green tea", 1), ("CUP-1", 1, 1200, 300, "Cup", 2), ("POT-1", 1, 3333, 900, "Tea pot", 3),
        ]
        let number = "RAW-\(sequence)", actor = "staff:2:clerk@souk.test"
        try store.write { tx in
            let rule = try tx.query("SELECT * FROM shipping_rules WHERE template = ? AND country = ?", ["std", "FR"])[0]
            let grams = lines.reduce(Int64(0)) { $0 + $1.quantity * $1.grams }
            let extra = max(0, grams - (try rule.int64("first_units")))
            let steps = (extra + (try rule.int64("additional_units")) - 1) / (try rule.int64("additional_units"))
            let shipping = (try rule.int64("first_fee")) + steps * (try rule.int64("additional_fee"))
            let label = "Express: weight \(grams) g: first 1000 g 5.00 EUR + \(steps) × 500 g × 1.50 EUR (rule FR default)"
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let subtotal = lines.reduce(Int64(0)) { $0 + $1.quantity * $1.price }
            let total = subtotal + shipping
            try tx.execute("""
                INSERT INTO orders (shop_id, number, customer_id, currency, subtotal, discount_total, shipping_total, fee_total, tax_total,
                    total, paid_amount, refunded_amount, status, attributes, destination, shipping_label, placed_at, placed_by, updated_at)
                VALUES (1, ?, NULL, 'EUR', ?, 0, ?, 0, 0, ?, ?, 0, 'paid', ?, ?, ?, ?, ?, ?)
                """, [number, subtotal, shipping, total, total, "{\"shipping_method\":\"express\"}", "{\"country\":\"FR\"}", label,
                      now, actor, now])
            let order = tx.lastInsertRowID
            for (position, line) in lines.enumerated() {
                try tx.execute("""
                    INSERT INTO lines (id, order_id, line_no, sku, title, product_id, quantity, unit_price, line_total, discount, weight_grams)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                    """, [order * 1024 + Int64(position + 1), order, position + 1, line.sku, line.title, line.product, line.quantity,
                          line.price, line.quantity * line.price, line.grams])
            }
            for line in lines {
                guard try tx.execute("UPDATE stock SET quantity = quantity - ? WHERE sku = ? AND quantity >= ?",
                                     [line.quantity, line.sku, line.quantity]) == 1 else {
                    throw KernelError(.insufficientStock, "out of \(line.sku)")
                }
                try tx.execute("""
                    INSERT INTO movements (sku, location, on_hand_delta, reserved_delta, kind, reason, order_number, actor, at)
                    VALUES (?, 1, ?, 0, 'sale', 'order paid at checkout', ?, ?, ?)
                    """, [line.sku, -line.quantity, number, actor, now])
            }
            // A gateway's reference, as random as the sandbox's (a hash of the request key).
            let reference = "sbx_" + String(SHA256.hex("k\(sequence)").prefix(16))
            try tx.execute("""
                INSERT INTO payments (order_number, method, reference, status, currency, amount, fee, authorized, captured, refunded,
                    card_last4, created_at, updated_at)
                VALUES (?, 'sandbox', ?, 'captured', 'EUR', ?, 0, ?, ?, 0, '4242', ?, ?)
                """, [number, reference, total, total, total, now, now])
            let payment = tx.lastInsertRowID
            try tx.execute("""
                INSERT INTO payment_events (id, payment_id, action, method, amount, idempotency_key, outcome, reason, reference, actor, at)
                VALUES (?, ?, 'authorize', 'sandbox', ?, ?, 'approved', NULL, ?, ?, ?), (?, ?, 'capture', 'sandbox', ?, ?, 'approved', NULL, ?, ?, ?)
                """, [payment * 64 + 1, payment, total, "\(number):checkout:authorize", reference, actor, now,
                      payment * 64 + 2, payment, total, "\(number):checkout:capture", reference, actor, now])
            let change = "{\"number\":\"\(number)\",\"total\":\(total),\"currency\":\"EUR\",\"lines\":[{\"sku\":\"TEA-1\",\"quantity\":2},{\"sku\":\"CUP-1\",\"quantity\":1},{\"sku\":\"POT-1\",\"quantity\":1}],\"status\":\"paid\",\"payment\":{\"method\":\"sandbox\",\"outcome\":\"approved\",\"reference\":\"\(reference)\"}}"
            try tx.execute("INSERT INTO audit (at, actor, operation, entity, change, correlation_id) VALUES (?, ?, 'orders.place', ?, ?, ?)",
                           [now, actor, "order:\(number)", change, "req_\(sequence)"])
        }
    }

    /// The fourth session's ceiling: fewer columns, no index, one payment event.
    private func placeBare() throws {
        let lines: [(String, Int64, Int64, Int64)] = [("TEA-1", 2, 450, 100), ("CUP-1", 1, 1200, 300), ("POT-1", 1, 3333, 900)]
        try store.write { tx in
            let rule = try tx.query("SELECT * FROM shipping_rules WHERE template = ? AND country = ?", ["std", "FR"])[0]
            let grams = lines.reduce(Int64(0)) { $0 + $1.1 * $1.3 }
            let extra = max(0, grams - (try rule.int64("first_units")))
            let steps = (extra + (try rule.int64("additional_units")) - 1) / (try rule.int64("additional_units"))
            let shipping = (try rule.int64("first_fee")) + steps * (try rule.int64("additional_fee"))
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let total = lines.reduce(shipping) { $0 + $1.1 * $1.2 }
            try tx.execute("INSERT INTO orders (shop_id, number, total, status, placed_at) VALUES (?, ?, ?, ?, ?)",
                           [1, "RAW-\(sequence)", total, "paid", now])
            let order = tx.lastInsertRowID
            for (sku, quantity, _, _) in lines {
                guard try tx.execute("UPDATE stock SET quantity = quantity - ? WHERE sku = ? AND quantity >= ?", [quantity, sku, quantity]) == 1 else {
                    throw KernelError(.insufficientStock, "out of \(sku)")
                }
                try tx.execute("INSERT INTO movements (sku, delta, kind, order_id, at) VALUES (?, ?, ?, ?, ?)", [sku, -quantity, "sale", order, now])
            }
            for (sku, quantity, price, _) in lines {
                try tx.execute("INSERT INTO lines (order_id, sku, quantity, unit_price, line_total) VALUES (?, ?, ?, ?, ?)",
                               [order, sku, quantity, price, quantity * price])
            }
            try tx.execute("INSERT INTO payments (order_id, amount, status) VALUES (?, ?, ?)", [order, total, "captured"])
            try tx.execute("INSERT INTO payment_events (payment_id, action, amount, outcome) VALUES (?, ?, ?, ?)",
                           [tx.lastInsertRowID, "capture", total, "approved"])
            try tx.execute("INSERT INTO audit (actor, operation, entity, at) VALUES (?, ?, ?, ?)", ["clerk", "payment.checkout", "order:\(order)", now])
        }
    }

    func check(expected: Int) throws {
        let placed = try store.read { try $0.query("SELECT COUNT(*) AS n FROM orders")[0].int("n") }
        guard placed == expected else { throw KernelError(.internal, "raw placed \(placed) orders, expected \(expected)") }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
