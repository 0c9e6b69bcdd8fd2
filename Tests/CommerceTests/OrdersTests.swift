import XCTest
import Kernel
import KernelTesting
import Orders

/// Prices SKUs from a fixed table, so that Orders is tested without the Catalog plugin.
final class TablePricing: Plugin {
    let manifest = PluginManifest(id: "tableprices", name: "Table prices", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))
    let restocked = HookRecorder()
    /// Every order event delivered, as a notifier plugin would see them.
    let events = HookRecorder()

    static let prices: [String: (Int64, String)] = ["TEA": (450, "EUR"), "CUP": (1200, "EUR"), "POT": (3333, "EUR"),
                                                   "HUGE": (Int64.max / 2, "EUR"), "DOLLAR": (100, "USD")]

    func register(_ registrar: PluginRegistrar) throws {
        try registrar.filter(Hooks.checkoutPrice, priority: -100) { cart, _ in
            for index in cart.lines.indices {
                let sku = cart.lines[index].sku
                // ITEM-n: any number of distinct SKUs at 1.00 EUR (orders longer than one INSERT batch).
                guard let (price, currency) = Self.prices[sku] ?? (sku.hasPrefix("ITEM-") ? (100, "EUR") : nil) else {
                    throw KernelError.invalid("sku", "unknown SKU '\(cart.lines[index].sku)'")
                }
                cart.lines[index].unitPrice = try Money(price, currency)
                cart.lines[index].title = cart.lines[index].sku.capitalized
            }
            // gifts=N: the filter adds N free lines of its own (as a promotion plugin might).
            for gift in 0..<(cart.attributes["gifts"].flatMap(Int.init) ?? 0) {
                cart.lines.append(CartLine(sku: "GIFT-\(gift)", quantity: 1, title: "Gift", unitPrice: try Money(0, cart.currency.code)))
            }
            if let discount = cart.attributes["discount"].flatMap(Int64.init) {
                cart.adjustments.append(Adjustment(kind: .discount, code: "test", label: "Test discount",
                                                   amount: Money(minorUnits: -discount, currency: cart.currency)))
            }
        }
        try registrar.guard(Hooks.checkoutValidate) { cart, _ in
            cart.attributes["block"] == "yes" ? .veto("blocked by test rule") : .allow
        }
        try registrar.filter(Hooks.orderPlacing) { order, _ in
            if order.attributes["explode"] == "yes" { throw KernelError(.internal, "placing hook failed") }
        }
        try registrar.subscribe(Hooks.orderPlaced, name: "placed") { event, _ in self.events.add("placed:\(event.number)") }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "status") { event, _ in
            self.events.add("\(event.number):\(event.previousStatus?.rawValue ?? "-")->\(event.status.rawValue)")
        }
        try registrar.subscribe(Hooks.afterSalesChanged, name: "aftersales") { event, _ in
            self.events.add("\(event.kind.rawValue)#\(event.requestID):\(event.status)")
        }
        try registrar.subscribe(Hooks.afterSalesApproved, name: "restock") { event, _ in
            for line in event.returnedLines { self.restocked.add("\(event.kind.rawValue):\(line.sku):\(line.quantity)") }
        }
    }
}

final class OrdersTests: XCTestCase {
    var harness: KernelHarness!
    var pricing: TablePricing!
    var shop: FixtureShop!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        pricing = TablePricing()
        harness = try KernelHarness(plugins: [pricing, OrdersPlugin()])
        shop = try harness.fixtureShop("north")
    }

    func ctx(_ role: BuiltInRole) throws -> OperationContext { try harness.context(as: shop.email(role), shop: shop.code) }

    @discardableResult
    func place(_ lines: [Value], attributes: [Value] = [], as role: BuiltInRole = .clerk, key: String? = nil) throws -> Value {
        var context = try ctx(role)
        context.idempotencyKey = key
        return try kernel.perform("orders.place", input: ["lines": .array(lines), "attributes": .array(attributes)], context: context)
    }

    func count(_ table: String) throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM \(table)")[0].int("n") }
    }

    func testPlacingWritesOrderLinesTotalsTransitionEventAndAudit() throws {
        let order = try place(["TEA:2", "CUP:1", "POT:1"])
        XCTAssertEqual(order["number"], "NORTH-1001")
        XCTAssertEqual(order["status"], "pending_payment")
        XCTAssertEqual(order["total"]?["amount"], .int(900 + 1200 + 3333))
        XCTAssertEqual(order["total"]?["display"], "54.33 EUR")
        XCTAssertEqual(order["lines"]?.arrayValue?.count, 3)
        XCTAssertEqual(try place(["TEA:1"])["number"], "NORTH-1002", "numbers follow per shop")
        // The answer of orders.place is built without reading back: it must equal what is stored.
        let stored = try kernel.perform("orders.show", input: ["order": "NORTH-1001"], context: try ctx(.clerk))
        XCTAssertEqual(JSON.encode(order), JSON.encode(stored))
        let discounted = try place(["POT:1", "CUP:2"], attributes: ["discount=99", "gift=yes"])
        XCTAssertEqual(JSON.encode(discounted), JSON.encode(try kernel.perform("orders.show", input: ["order": discounted["number"]!], context: try ctx(.clerk))))
        let history = try kernel.perform("orders.history", input: ["order": "NORTH-1001"], context: try ctx(.auditor))
        XCTAssertEqual(history.arrayValue?.first?["to"], "pending_payment")
        XCTAssertEqual(history.arrayValue?.first?["by"]?.stringValue?.hasSuffix("clerk@north.test"), true)
        XCTAssertEqual(pricing.events.all.prefix(2), ["placed:NORTH-1001", "placed:NORTH-1002"], "delivered after commit")
        let audit = try kernel.perform("audit.list", input: ["operation": "orders.place"], context: try ctx(.owner))
        XCTAssertEqual(audit["items"]?.arrayValue?.last?["entity"], "order:NORTH-1001")
    }

    func testLongOrdersAndLineSyntax() throws {
        // More lines than one multi-row INSERT takes (16): written in order, answer equals what is stored.
        let lines: [Value] = (1...37).map { .string("ITEM-\($0):\($0 % 3 + 1)") }
        let order = try place(lines)
        XCTAssertEqual(order["lines"]?.arrayValue?.count, 37)
        XCTAssertEqual(order["lines"]?.arrayValue?[20]["sku"], "ITEM-21")
        XCTAssertEqual(order["total"]?["amount"], .int((1...37).reduce(Int64(0)) { $0 + Int64($1 % 3 + 1) * 100 }))
        let stored = try kernel.perform("orders.show", input: ["order": order["number"]!], context: try ctx(.clerk))
        XCTAssertEqual(JSON.encode(order), JSON.encode(stored))
        XCTAssertEqual(try count("orders_lines"), 37)
        // Up to 1,000 lines (an order's lines are one range of 1,024 row ids).
        let thousand = try place((1...1000).map { .string("ITEM-\($0):1") })
        XCTAssertEqual(try kernel.perform("orders.show", input: ["order": thousand["number"]!], context: try ctx(.clerk))["lines"]?
            .arrayValue?.last?["sku"], "ITEM-1000")
        XCTAssertThrowsError(try place((1...1001).map { .string("ITEM-\($0):1") })) {
            XCTAssertEqual(($0 as? KernelError)?.message, "an order takes at most 1000 lines, got 1001")
        }
        // Also when a pricing filter adds the lines that go over.
        XCTAssertThrowsError(try place((1...990).map { .string("ITEM-\($0):1") }, attributes: ["gifts=30"])) {
            XCTAssertEqual(($0 as? KernelError)?.message, "an order takes at most 1000 lines, got 1020 after pricing")
        }
        // SKU:QUANTITY: exactly one colon, a SKU before it, a whole number (optional sign) after it.
        XCTAssertEqual(try place(["TEA:+2", "TEA:1"])["lines"]?.arrayValue?.first?["quantity"], 3)
        let cases: [([Value], String)] = [
            (["TEA:1:2"], "'TEA:1:2' is not SKU:QUANTITY (e.g. TEA-1:2)"),
            ([":1"], "':1' is not SKU:QUANTITY (e.g. TEA-1:2)"),
            (["TEA: 2"], "quantity ' 2' of SKU TEA is not a whole number"),
            (["TEA:"], "quantity '' of SKU TEA is not a whole number"),
            (["TEA:99999999999999999999"], "quantity '99999999999999999999' of SKU TEA is not a whole number"),
        ]
        for (lines, message) in cases {
            XCTAssertThrowsError(try place(lines), message) { XCTAssertEqual(($0 as! KernelError).message, message) }
        }
    }

    func testIdempotencyKeyPlacesOnce() throws {
        let first = try place(["TEA:1"], key: "checkout-42")
        let second = try place(["TEA:1"], key: "checkout-42")
        XCTAssertEqual(first, second)
        XCTAssertEqual(try count("orders_orders"), 1)
    }

    /// Group commit: several checkouts in one write transaction, each in its own savepoint.
    func testPerformAllCommitsTheGoodOnesAndAnswersEachAsAlone() throws {
        let clerk = try ctx(.clerk)
        var keyed = clerk
        keyed.idempotencyKey = "group-1"
        let auditor = try ctx(.auditor)
        let requests: [Kernel.Request] = [
            .init("orders.place", input: ["lines": ["TEA:1"]], context: clerk),
            .init("orders.place", input: ["lines": ["NOPE:1"]], context: clerk),                     // bad input
            .init("orders.place", input: ["lines": ["TEA:1"], "attributes": ["block=yes"]], context: clerk),  // vetoed
            .init("orders.place", input: ["lines": ["CUP:1"]], context: auditor),                   // no permission
            .init("orders.place", input: ["lines": ["POT:1"]], context: keyed),
            .init("orders.place", input: ["lines": ["POT:1"]], context: keyed),                     // same key: replay
            .init("orders.place", input: ["lines": ["TEA:1"], "attributes": ["explode=yes"]], context: clerk),  // hook fails
            .init("orders.show", input: ["order": "NORTH-1001"], context: auditor),                 // a read among them
        ]
        let results = kernel.performAll(requests)
        XCTAssertEqual(results.count, requests.count)
        let numbers = results.map { try? $0.get().value["number"]?.stringValue }
        XCTAssertEqual(numbers[0], "NORTH-1001")
        XCTAssertEqual(numbers[4], "NORTH-1002")
        XCTAssertEqual(numbers[5], "NORTH-1002", "the same key in the same group replays the first")
        func code(_ index: Int) -> ErrorCode? {
            if case .failure(let error) = results[index] { return error.code }
            return nil
        }
        XCTAssertEqual(code(1), .invalidInput)
        XCTAssertEqual(code(2), .vetoed)
        XCTAssertEqual(code(3), .permissionDenied)
        XCTAssertEqual(code(6), .internal)
        XCTAssertEqual(code(7), .notFound, "reads are answered before the group commits: NORTH-1001 did not exist yet")
        XCTAssertEqual(try count("orders_orders"), 2, "only the two good orders")
        let audit = try kernel.perform("audit.list", input: ["operation": "orders.place", "limit": 50], context: try ctx(.owner))
        XCTAssertEqual(audit["items"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue }.sorted(), ["denied", "ok", "ok", "vetoed"])
        XCTAssertNoThrow(try kernel.perform("audit.verify", context: try harness.operatorContext()), "the hash chain holds across the group")
        XCTAssertEqual(try results[0].get().json, Array(JSON.encode(try results[0].get().value).utf8))
    }

    /// Orders migration 5 moves lines stored by (order, line number) to row ids in their
    /// order's range; orders placed before keep their lines, in order.
    func testLinesWrittenBeforeTheyWereKeyedByRowIDAreKept() throws {
        let first = try place(["TEA:2", "CUP:1", "POT:1"]), second = try place(["POT:3"])
        try kernel.store.write { tx in
            try tx.execute("""
                CREATE TABLE orders_lines_old (
                    order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, shop_id INTEGER NOT NULL, sku TEXT NOT NULL,
                    title TEXT NOT NULL, product_id INTEGER, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
                    line_total INTEGER NOT NULL, discount INTEGER NOT NULL, weight_grams INTEGER NOT NULL,
                    returned_quantity INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (order_id, line_no)) WITHOUT ROWID
                """)
            try tx.execute("""
                INSERT INTO orders_lines_old SELECT order_id, line_no, shop_id, sku, title, product_id, quantity, unit_price,
                    line_total, discount, weight_grams, returned_quantity FROM orders_lines
                """)
            try tx.execute("DROP TABLE orders_lines")
            try tx.execute("ALTER TABLE orders_lines_old RENAME TO orders_lines")
            // As before migration 5 (and so before 6, which adds a column to orders_orders).
            try tx.execute("ALTER TABLE orders_orders DROP COLUMN paid_on_placement")
            try tx.execute("DELETE FROM souk_schema WHERE module = 'orders' AND version >= 5")
        }
        // An order with more lines than its range holds stops the step, by name, and changes nothing.
        try kernel.store.write { tx in
            try tx.execute("""
                INSERT INTO orders_lines SELECT order_id, 1024, shop_id, sku, title, product_id, quantity, unit_price,
                    line_total, discount, weight_grams, returned_quantity FROM orders_lines WHERE line_no = 1 LIMIT 1
                """)
        }
        let refused = try harness.reopen(plugins: [TablePricing(), OrdersPlugin()])
        XCTAssertTrue(refused.failures.contains { $0.error.message.contains("an order has more than 1023 lines: split it with the previous version before upgrading") },
                      "\(refused.failures.map(\.error.message))")
        try kernel.store.write { try $0.execute("DELETE FROM orders_lines WHERE line_no = 1024") }
        let reopened = try harness.reopen(plugins: [TablePricing(), OrdersPlugin()])
        XCTAssertEqual(reopened.failures.count, 0)
        for order in [first, second] {
            let shown = try reopened.perform("orders.show", input: ["order": order["number"]!], context: try ctx(.clerk))
            XCTAssertEqual(JSON.encode(shown), JSON.encode(order))
        }
    }

    /// Orders migration 7 moves adjustments found by an index on their order to row ids in
    /// their order's range; orders placed before keep their adjustments, in order.
    func testAdjustmentsWrittenBeforeTheyWereKeyedByRowIDAreKept() throws {
        let first = try place(["TEA:2", "CUP:1"], attributes: ["discount=100"]), second = try place(["POT:1"], attributes: ["discount=50"])
        try kernel.store.write { tx in
            try tx.execute("""
                CREATE TABLE orders_adjustments_old (
                    order_id INTEGER NOT NULL, shop_id INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,
                    label TEXT NOT NULL, amount INTEGER NOT NULL)
                """)
            try tx.execute("INSERT INTO orders_adjustments_old SELECT order_id, shop_id, kind, code, label, amount FROM orders_adjustments ORDER BY id")
            try tx.execute("DROP TABLE orders_adjustments")
            try tx.execute("ALTER TABLE orders_adjustments_old RENAME TO orders_adjustments")
            try tx.execute("CREATE INDEX orders_adjustments_by_order ON orders_adjustments (order_id)")
            try tx.execute("DELETE FROM souk_schema WHERE module = 'orders' AND version = 7")
        }
        let reopened = try harness.reopen(plugins: [TablePricing(), OrdersPlugin()])
        XCTAssertEqual(reopened.failures.count, 0)
        for order in [first, second] {
            let shown = try reopened.perform("orders.show", input: ["order": order["number"]!], context: try ctx(.clerk))
            XCTAssertEqual(JSON.encode(shown), JSON.encode(order))
        }
        let keys = try reopened.store.read { try $0.query("SELECT id, order_id FROM orders_adjustments ORDER BY id").map { (try $0.int64("id"), try $0.int64("order_id")) } }
        XCTAssertEqual(keys.map(\.0), keys.map { $0.1 * 1024 + 1 }, "each order's first adjustment at the start of its range")
        XCTAssertEqual(try reopened.store.read { try $0.query("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'orders_adjustments_by_order'")[0].int("n") }, 0)
        // A row written without its key (as older code would) cannot land in an order's range.
        XCTAssertThrowsError(try reopened.store.write {
            try $0.execute("INSERT INTO orders_adjustments (order_id, shop_id, kind, code, label, amount) SELECT order_id, shop_id, kind, code, label, 1 FROM orders_adjustments LIMIT 1")
        }) { XCTAssertTrue("\($0)".contains("an adjustment's row id must be in its order's range"), "\($0)") }
    }

    func testBadLinesAreRefusedAndNothingIsWritten() throws {
        let cases: [([Value], String)] = [
            (["TEA:0"], "quantity of SKU TEA must be at least 1, got 0"),
            (["TEA:-3"], "quantity of SKU TEA must be at least 1, got -3"),
            (["TEA"], "'TEA' is not SKU:QUANTITY (e.g. TEA-1:2)"),
            (["TEA:two"], "quantity 'two' of SKU TEA is not a whole number"),
            (["NOPE:1"], "unknown SKU 'NOPE'"),
            (["DOLLAR:1"], "SKU 'DOLLAR' is priced in USD but the cart is in EUR"),
            (["HUGE:3"], "amount overflows while multiplying"),
            (["HUGE:1", "HUGE:1", "HUGE:1"], "amount overflows while multiplying"),
            ([], "at least one line is needed"),
        ]
        for (lines, message) in cases {
            XCTAssertThrowsError(try place(lines), message) { XCTAssertEqual(($0 as! KernelError).message, message) }
        }
        XCTAssertEqual(try count("orders_orders"), 0)
        XCTAssertEqual(try count("orders_lines"), 0)
        XCTAssertEqual(try count("souk_counters WHERE name = 'orders.number'"), 0, "a refused order does not use up a number")
    }

    func testGuardVetoLeavesOnlyTheAuditEntry() throws {
        XCTAssertThrowsError(try place(["TEA:1"], attributes: ["block=yes"])) {
            XCTAssertEqual(($0 as! KernelError).code, .vetoed)
            XCTAssertEqual(($0 as! KernelError).message, "blocked by test rule (refused by tableprices)")
        }
        XCTAssertEqual(try count("orders_orders"), 0)
        XCTAssertEqual(try count("souk_outbox WHERE event = 'order.placed'"), 0)
        let audit = try kernel.perform("audit.list", input: ["operation": "orders.place"], context: try ctx(.owner))
        XCTAssertEqual(audit["items"]?.arrayValue?.map { $0["outcome"] }, ["vetoed"])
        XCTAssertThrowsError(try place(["TEA:1"], attributes: ["explode=yes"]))
        XCTAssertEqual(try count("orders_orders"), 0, "a failing order.placing handler rolls the order back")
    }

    func testDiscountIsSpreadOverLinesToTheExactMinorUnit() throws {
        let order = try place(["POT:1", "POT:1", "CUP:1", "TEA:1"], attributes: ["discount=1000"])
        let discounts = order["lines"]!.arrayValue!.map { $0["discount"]!["amount"]!.intValue! }
        XCTAssertEqual(discounts.reduce(0, +), -1000)
        XCTAssertEqual(order["discounts"]?["amount"], -1000)
        XCTAssertEqual(order["total"]?["amount"], .int(6666 + 1200 + 450 - 1000))
        // POT:2 merged into one line of 6666; shares by line total: 6666, 1200, 450 of 8316.
        XCTAssertEqual(discounts, [-802, -144, -54])
        XCTAssertThrowsError(try place(["TEA:1"], attributes: ["discount=500"])) {
            XCTAssertEqual(($0 as! KernelError).message, "the cart total would be negative (-0.50 EUR)")
        }
    }

    func testStateMachineAndWhoMayMoveIt() throws {
        try place(["TEA:2"])
        let number: Value = "NORTH-1001"
        XCTAssertThrowsError(try kernel.perform("orders.ship", input: ["order": number], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).message, "order NORTH-1001 is pending_payment and cannot become shipped (allowed: paid, cancelled)")
        }
        XCTAssertThrowsError(try kernel.perform("orders.pay", input: ["order": number], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        try kernel.perform("orders.pay", input: ["order": number], context: try ctx(.finance))
        try kernel.perform("orders.ship", input: ["order": number], context: try ctx(.warehouse))
        XCTAssertThrowsError(try kernel.perform("orders.cancel", input: ["order": number], context: try ctx(.manager))) {
            XCTAssertEqual(($0 as! KernelError).message, "order NORTH-1001 is shipped and cannot become cancelled (allowed: delivered)")
        }
        try kernel.perform("orders.deliver", input: ["order": number], context: try ctx(.warehouse))
        let done = try kernel.perform("orders.complete", input: ["order": number, "reason": "happy"], context: try ctx(.clerk))
        XCTAssertEqual(done["status"], "completed")
        XCTAssertEqual(done["paid"]?["amount"], 900)
        let history = try kernel.perform("orders.history", input: ["order": number], context: try ctx(.auditor)).arrayValue!
        XCTAssertEqual(history.map { $0["to"]!.stringValue! }, ["pending_payment", "paid", "shipped", "delivered", "completed"])
        XCTAssertEqual(history[1]["by"]?.stringValue?.hasSuffix("finance@north.test"), true)
        XCTAssertEqual(history[4]["reason"], "happy")
        XCTAssertThrowsError(try kernel.perform("orders.cancel", input: ["order": number], context: try ctx(.manager))) {
            XCTAssertEqual(($0 as! KernelError).message, "order NORTH-1001 is completed and cannot become cancelled (it is final)")
        }
        XCTAssertEqual(pricing.events.all.filter { $0.hasPrefix("NORTH-1001:") }, [
            "NORTH-1001:pending_payment->paid", "NORTH-1001:paid->shipped", "NORTH-1001:shipped->delivered", "NORTH-1001:delivered->completed",
        ])
    }

    func testRefundsNeverExceedWhatWasPaid() throws {
        try place(["CUP:2"])
        XCTAssertThrowsError(try kernel.perform("orders.refund.request", input: ["order": "NORTH-1001", "amount": 100, "reason": "x"], context: try ctx(.clerk))) {
            XCTAssertEqual(($0 as! KernelError).message, "a refund of 1.00 EUR exceeds what can still be refunded on order NORTH-1001 (0.00 EUR)")
        }
        try kernel.perform("orders.pay", input: ["order": "NORTH-1001"], context: try ctx(.finance))
        let request = try kernel.perform("orders.refund.request", input: ["order": "NORTH-1001", "amount": 1500, "reason": "late"], context: try ctx(.clerk))
        XCTAssertEqual(request["status"], "requested")
        XCTAssertThrowsError(try kernel.perform("orders.refund.request", input: ["order": "NORTH-1001", "amount": 1000, "reason": "more"], context: try ctx(.clerk))) {
            XCTAssertEqual(($0 as! KernelError).message, "a refund of 10.00 EUR exceeds what can still be refunded on order NORTH-1001 (9.00 EUR)")
        }
        let id = request["id"]!
        XCTAssertThrowsError(try kernel.perform("orders.refund.approve", input: ["request": id], context: try ctx(.clerk))) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        try kernel.perform("orders.refund.approve", input: ["request": id, "note": "ok"], context: try ctx(.finance))
        XCTAssertThrowsError(try kernel.perform("orders.refund.approve", input: ["request": id], context: try ctx(.finance))) {
            XCTAssertEqual(($0 as! KernelError).message, "refund request 1 is already approved")
        }
        let order = try kernel.perform("orders.show", input: ["order": "NORTH-1001"], context: try ctx(.finance))
        XCTAssertEqual(order["refunded"]?["amount"], 1500)
        XCTAssertThrowsError(try kernel.perform("orders.refund.request", input: ["order": "NORTH-1001", "amount": 0, "reason": "x"], context: try ctx(.clerk))) {
            XCTAssertEqual(($0 as! KernelError).message, "the refund amount must be positive, got 0")
        }
    }

    func testReturnsAndExchangesPublishRestockEvents() throws {
        try place(["TEA:3", "CUP:1"], attributes: ["discount=150"])
        XCTAssertThrowsError(try kernel.perform("orders.return.request", input: ["order": "NORTH-1001", "lines": ["TEA:1"], "reason": "x"], context: try ctx(.support))) {
            XCTAssertEqual(($0 as! KernelError).message, "order NORTH-1001 is pending_payment; only shipped, delivered or completed orders take returns")
        }
        try kernel.perform("orders.pay", input: ["order": "NORTH-1001"], context: try ctx(.finance))
        try kernel.perform("orders.ship", input: ["order": "NORTH-1001"], context: try ctx(.warehouse))
        XCTAssertThrowsError(try kernel.perform("orders.return.request", input: ["order": "NORTH-1001", "lines": ["TEA:4"], "reason": "x"], context: try ctx(.support))) {
            XCTAssertEqual(($0 as! KernelError).message, "only 3 of SKU TEA on order NORTH-1001 can still be returned, not 4")
        }
        let returned = try kernel.perform("orders.return.request", input: ["order": "NORTH-1001", "lines": ["TEA:1"], "reason": "broken"], context: try ctx(.support))
        // TEA line: 1350 less its discount share 79 (150 spread over 1350 and 1200) = 1271; one of three = 423.67 → 424.
        XCTAssertEqual(returned["amount"], "4.24 EUR")
        XCTAssertThrowsError(try kernel.perform("orders.return.request", input: ["order": "NORTH-1001", "lines": ["TEA:3"], "reason": "x"], context: try ctx(.support))) {
            XCTAssertEqual(($0 as! KernelError).message, "only 2 of SKU TEA on order NORTH-1001 can still be returned, not 3")
        }
        try kernel.perform("orders.return.approve", input: ["request": returned["id"]!], context: try ctx(.warehouse))
        XCTAssertThrowsError(try kernel.perform("orders.exchange.request", input: ["order": "NORTH-1001", "lines": ["CUP:1"], "replacement": ["NOPE:1"], "reason": "x"], context: try ctx(.support))) {
            XCTAssertEqual(($0 as! KernelError).message, "unknown SKU 'NOPE'")
        }
        let exchange = try kernel.perform("orders.exchange.request", input: ["order": "NORTH-1001", "lines": ["CUP:1"], "replacement": ["POT:1"], "reason": "colour"], context: try ctx(.support))
        try kernel.perform("orders.exchange.approve", input: ["request": exchange["id"]!], context: try ctx(.warehouse))
        XCTAssertEqual(pricing.restocked.all, ["return:TEA:1", "exchange:CUP:1"])
        XCTAssertEqual(pricing.events.all.filter { $0.contains("#") }, ["return#1:requested", "return#1:approved", "exchange#2:requested", "exchange#2:approved"])
        let order = try kernel.perform("orders.show", input: ["order": "NORTH-1001"], context: try ctx(.finance))
        XCTAssertEqual(order["refunded"]?["amount"], 424)
        XCTAssertEqual(order["lines"]?.arrayValue?.map { $0["returned"] }, [1, 1])
    }

    func testCartsAndSearch() throws {
        let clerk = try ctx(.clerk)
        let cart = try kernel.perform("orders.cart.create", input: ["customer": 7], context: clerk)["cart"]!
        try kernel.perform("orders.cart.add", input: ["cart": cart, "sku": "TEA", "quantity": 2], context: clerk)
        let shown = try kernel.perform("orders.cart.add", input: ["cart": cart, "sku": "TEA", "quantity": 1], context: clerk)
        XCTAssertEqual(shown["total"]?["amount"], 1350)
        XCTAssertThrowsError(try kernel.perform("orders.cart.add", input: ["cart": cart, "sku": "NOPE", "quantity": 1], context: clerk)) {
            XCTAssertEqual(($0 as! KernelError).message, "unknown SKU 'NOPE'")
        }
        let order = try kernel.perform("orders.cart.checkout", input: ["cart": cart], context: clerk)
        XCTAssertEqual(order["customer"], 7)
        XCTAssertThrowsError(try kernel.perform("orders.cart.checkout", input: ["cart": cart], context: clerk)) {
            XCTAssertEqual(($0 as! KernelError).message, "cart 1 is already checked out; open a new cart")
        }
        for _ in 0..<4 { try place(["CUP:1"]) }
        try kernel.perform("orders.pay", input: ["order": "NORTH-1002"], context: try ctx(.finance))
        let page1 = try kernel.perform("orders.list", input: ["limit": 3], context: clerk)
        XCTAssertEqual(page1["items"]?.arrayValue?.map { $0["number"]!.stringValue! }, ["NORTH-1005", "NORTH-1004", "NORTH-1003"])
        let page2 = try kernel.perform("orders.list", input: ["limit": 3, "cursor": page1["next_cursor"]!], context: clerk)
        XCTAssertEqual(page2["items"]?.arrayValue?.map { $0["number"]!.stringValue! }, ["NORTH-1002", "NORTH-1001"])
        XCTAssertEqual(page2["next_cursor"], .null)
        XCTAssertEqual(try kernel.perform("orders.list", input: ["status": "paid"], context: clerk)["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try kernel.perform("orders.list", input: ["customer": 7], context: clerk)["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try kernel.perform("orders.list", input: ["min_total": 1300], context: clerk)["items"]?.arrayValue?.count, 1)
        XCTAssertThrowsError(try kernel.perform("orders.list", input: ["status": "lost"], context: clerk)) {
            XCTAssertTrue(($0 as! KernelError).message.hasPrefix("'lost' is not an order status"))
        }
        XCTAssertThrowsError(try kernel.perform("orders.aftersales.list", input: ["kind": "swap"], context: clerk)) {
            XCTAssertEqual(($0 as! KernelError).message, "'swap' is not a request kind (refund, return, exchange)")
        }
    }
}
