import Foundation
import Kernel

/// The ceiling of `checkout-full`: a paid checkout written by hand straight on SQLite
/// through the kernel's prepared-statement wrapper, one commit per order.
///
/// It writes what Souk writes for the same order (the order with its shipping fee and how it
/// was computed, 3 lines, each SKU checked and decremented with a stock movement, the payment
/// with its authorization and capture events, an audit row) and keeps the same ways back to
/// it, each in the cheapest layout SQLite offers:
/// - an order is found by its number (unique) and listed by time;
/// - lines and payment events are found by their order or payment through their row id
///   (`order × 1024 + line`, `payment × 64 + event`), with no index, as Souk keys its lines;
/// - a payment is found by its order (unique) and by the gateway's reference (webhooks);
/// - a SKU's movements are found by SKU and time (stock history, sales velocity).
///
/// Lookups a product cannot do without are part of the same logical transaction: a table an
/// order cannot be read back from is not a shop. `SOUK_BENCH_CEILING=bare` runs the fourth
/// session's ceiling instead: no index at all and one payment event, for comparison.
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
            try tx.execute("""
                CREATE TABLE movements (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, delta INTEGER NOT NULL, kind TEXT NOT NULL,
                order_id INTEGER NOT NULL, at INTEGER NOT NULL)
                """)
            try tx.execute("""
                CREATE TABLE orders (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, number TEXT NOT NULL, total INTEGER NOT NULL,
                shipping INTEGER NOT NULL, shipping_label TEXT NOT NULL, status TEXT NOT NULL, placed_at INTEGER NOT NULL)
                """)
            try tx.execute("""
                CREATE TABLE lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
                unit_price INTEGER NOT NULL, line_total INTEGER NOT NULL)
                """)
            try tx.execute("""
                CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL,
                reference TEXT)
                """)
            try tx.execute("""
                CREATE TABLE payment_events (id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL, action TEXT NOT NULL,
                amount INTEGER NOT NULL, outcome TEXT NOT NULL)
                """)
            try tx.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, at INTEGER NOT NULL)")
            if !bare {
                try tx.execute("CREATE UNIQUE INDEX orders_by_number ON orders (shop_id, number)")
                try tx.execute("CREATE INDEX orders_by_time ON orders (shop_id, placed_at)")
                try tx.execute("CREATE UNIQUE INDEX payments_by_order ON payments (order_id)")
                try tx.execute("CREATE INDEX payments_by_reference ON payments (reference)")
                try tx.execute("CREATE INDEX movements_by_sku ON movements (sku, at)")
            }
            for (sku, price) in [("TEA-1", 450), ("CUP-1", 1200), ("POT-1", 3333)] {
                try tx.execute("INSERT INTO stock (sku, price, quantity) VALUES (?, ?, ?)", [sku, price, 1_000_000_000])
            }
        }
    }

    var description: String {
        bare
            ? "ceiling (bare, SOUK_BENCH_CEILING=bare): shipping rule read, stock checked and decremented with a movement row per SKU, order, 3 lines, payment row and its capture event, audit row, no index, one commit"
            : "ceiling: the same by hand: shipping rule read, stock checked and decremented with a movement row per SKU, order with its fee and label, 3 lines, payment with its authorize and capture events, audit row, one commit; orders by number and time, payments by order and reference, movements by SKU and time"
    }

    /// One paid checkout: the fee from the template's rule for the destination (first
    /// 1000 g, then each 500 g), stock, order, lines, payment and its events, audit.
    func place(_ index: Int) throws {
        sequence += 1
        let lines: [(String, Int64, Int64, Int64)] = [("TEA-1", 2, 450, 100), ("CUP-1", 1, 1200, 300), ("POT-1", 1, 3333, 900)]
        let number = "RAW-\(sequence)"
        try store.write { tx in
            let rule = try tx.query("SELECT * FROM shipping_rules WHERE template = ? AND country = ?", ["std", "FR"])[0]
            let grams = lines.reduce(Int64(0)) { $0 + $1.1 * $1.3 }
            let extra = max(0, grams - (try rule.int64("first_units")))
            let steps = (extra + (try rule.int64("additional_units")) - 1) / (try rule.int64("additional_units"))
            let shipping = (try rule.int64("first_fee")) + steps * (try rule.int64("additional_fee"))
            let label = "Express: weight \(grams) g: first 1000 g + \(steps) × 500 g (rule FR)"
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let total = lines.reduce(shipping) { $0 + $1.1 * $1.2 }
            if bare {
                try tx.execute("INSERT INTO orders (shop_id, number, total, shipping, shipping_label, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [1, number, total, shipping, "", "paid", now])
            } else {
                try tx.execute("INSERT INTO orders (shop_id, number, total, shipping, shipping_label, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [1, number, total, shipping, label, "paid", now])
            }
            let order = tx.lastInsertRowID
            for (sku, quantity, _, _) in lines {
                guard try tx.execute("UPDATE stock SET quantity = quantity - ? WHERE sku = ? AND quantity >= ?", [quantity, sku, quantity]) == 1 else {
                    throw KernelError(.insufficientStock, "out of \(sku)")
                }
                try tx.execute("INSERT INTO movements (sku, delta, kind, order_id, at) VALUES (?, ?, ?, ?, ?)", [sku, -quantity, "sale", order, now])
            }
            for (position, (sku, quantity, price, _)) in lines.enumerated() {
                if bare {
                    try tx.execute("INSERT INTO lines (order_id, sku, quantity, unit_price, line_total) VALUES (?, ?, ?, ?, ?)",
                                   [order, sku, quantity, price, quantity * price])
                } else {
                    try tx.execute("INSERT INTO lines (id, order_id, sku, quantity, unit_price, line_total) VALUES (?, ?, ?, ?, ?, ?)",
                                   [order * 1024 + Int64(position + 1), order, sku, quantity, price, quantity * price])
                }
            }
            if bare {
                try tx.execute("INSERT INTO payments (order_id, amount, status) VALUES (?, ?, ?)", [order, total, "captured"])
                try tx.execute("INSERT INTO payment_events (payment_id, action, amount, outcome) VALUES (?, ?, ?, ?)",
                               [tx.lastInsertRowID, "capture", total, "approved"])
            } else {
                // A gateway's reference, as random as the sandbox's (a hash of the request key).
                try tx.execute("INSERT INTO payments (order_id, amount, status, reference) VALUES (?, ?, ?, ?)",
                               [order, total, "captured", "sbx_" + String(SHA256.hex("k\(sequence)").prefix(16))])
                let payment = tx.lastInsertRowID
                try tx.execute("INSERT INTO payment_events (id, payment_id, action, amount, outcome) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
                               [payment * 64 + 1, payment, "authorize", total, "approved", payment * 64 + 2, payment, "capture", total, "approved"])
            }
            try tx.execute("INSERT INTO audit (actor, operation, entity, at) VALUES (?, ?, ?, ?)", ["clerk", "orders.place", "order:\(order)", now])
        }
    }

    func check(expected: Int) throws {
        let placed = try store.read { try $0.query("SELECT COUNT(*) AS n FROM orders")[0].int("n") }
        guard placed == expected else { throw KernelError(.internal, "raw placed \(placed) orders, expected \(expected)") }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
