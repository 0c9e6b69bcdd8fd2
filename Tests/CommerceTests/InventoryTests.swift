import XCTest
import Kernel
import KernelTesting
import Orders
import Inventory

/// Records low-stock events, as a notifier plugin would.
final class LowStockWatcher: Plugin {
    let manifest = PluginManifest(id: "watcher", name: "Watcher", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
    let seen = HookRecorder()
    func register(_ registrar: PluginRegistrar) throws {
        try registrar.subscribe(Hooks.lowStock, name: "low") { level, _ in
            self.seen.add("\(level.sku)@\(level.location):\(level.available)")
        }
    }
}

final class InventoryTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var watcher: LowStockWatcher!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        watcher = LowStockWatcher()
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), InventoryPlugin(), watcher])
        shop = try harness.fixtureShop("north")
    }

    func ctx(_ role: BuiltInRole) throws -> OperationContext { try harness.context(as: shop.email(role), shop: shop.code) }

    func receive(_ sku: String, _ quantity: Int64, location: String? = nil) throws {
        var input: Value.Object = ["sku": .string(sku), "quantity": .int(quantity), "reason": "received"]
        if let location { input["location"] = .string(location) }
        try kernel.perform("inventory.adjust", input: input, context: try ctx(.warehouse))
    }

    func stock(_ sku: String) throws -> Value {
        try kernel.perform("inventory.stock.list", input: ["sku": .string(sku)], context: try ctx(.auditor))["items"]!.arrayValue![0]
    }

    @discardableResult
    func place(_ lines: [Value]) throws -> String {
        try kernel.perform("orders.place", input: ["lines": .array(lines)], context: try ctx(.clerk))["number"]!.stringValue!
    }

    func testCheckoutReservesPaymentCommitsCancellationReleases() throws {
        try receive("TEA", 10)
        let first = try place(["TEA:3"])
        XCTAssertEqual(try stock("TEA")["reserved"], 3)
        XCTAssertEqual(try stock("TEA")["available"], 7)
        try kernel.perform("orders.pay", input: ["order": .string(first)], context: try ctx(.finance))
        XCTAssertEqual(try stock("TEA")["on_hand"], 7)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
        let second = try place(["TEA:2"])
        try kernel.perform("orders.cancel", input: ["order": .string(second)], context: try ctx(.manager))
        XCTAssertEqual(try stock("TEA")["available"], 7)
        try kernel.perform("orders.cancel", input: ["order": .string(first)], context: try ctx(.manager))
        XCTAssertEqual(try stock("TEA")["on_hand"], 10, "a paid order that is cancelled goes back on the shelf")
        let ledger = try kernel.perform("inventory.movements", input: ["sku": "TEA"], context: try ctx(.auditor))["items"]!.arrayValue!
        XCTAssertEqual(ledger.map { $0["kind"]!.stringValue! }, ["restocked", "released", "reserved", "sale", "reserved", "received"])
    }

    func testNeverOversellsAndARefusedOrderWritesNothing() throws {
        try receive("TEA", 5)
        try receive("CUP", 1)
        XCTAssertThrowsError(try place(["TEA:6"])) {
            XCTAssertEqual(($0 as! KernelError).code, .insufficientStock)
            XCTAssertEqual(($0 as! KernelError).message, "only 5 of SKU TEA available, 6 ordered")
        }
        XCTAssertThrowsError(try place(["TEA:2", "CUP:2"])) {
            XCTAssertEqual(($0 as! KernelError).message, "only 1 of SKU CUP available, 2 ordered")
        }
        XCTAssertEqual(try stock("TEA")["reserved"], 0, "the TEA reservation rolled back with the order")
        XCTAssertThrowsError(try place(["POT:1"])) {
            XCTAssertEqual(($0 as! KernelError).message, "only 0 of SKU POT available, 1 ordered")
        }
        let orders = try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM orders_orders")[0].int("n") }
        XCTAssertEqual(orders, 0)
        for _ in 0..<5 { try place(["TEA:1"]) }
        XCTAssertThrowsError(try place(["TEA:1"]))
        XCTAssertEqual(try stock("TEA")["available"], 0)
    }

    func testAdjustmentsWithReasonsNeverGoNegative() throws {
        try receive("TEA", 4)
        try kernel.perform("inventory.adjust", input: ["sku": "TEA", "quantity": 1, "reason": "damaged"], context: try ctx(.warehouse))
        XCTAssertEqual(try stock("TEA")["on_hand"], 3)
        XCTAssertEqual(try stock("TEA")["damaged"], 1)
        XCTAssertThrowsError(try kernel.perform("inventory.adjust", input: ["sku": "TEA", "quantity": -4, "reason": "lost"], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).message, "this would make stock of SKU TEA at main negative (on hand 3, reserved 0, damaged 1)")
        }
        XCTAssertThrowsError(try kernel.perform("inventory.adjust", input: ["sku": "TEA", "quantity": 2, "reason": "gift"], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).message, "'gift' is not a reason code (correction, damaged, disposed, found, lost, received)")
        }
        XCTAssertThrowsError(try kernel.perform("inventory.adjust", input: ["sku": "TEA", "quantity": 2, "reason": "received"], context: try ctx(.clerk))) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        XCTAssertEqual(try stock("TEA")["on_hand"], 3)
    }

    func testLowStockEventAtSafetyStock() throws {
        try receive("TEA", 5)
        try kernel.perform("inventory.safety.set", input: ["sku": "TEA", "quantity": 2], context: try ctx(.manager))
        XCTAssertEqual(try stock("TEA")["available"], 3, "on hand 5 less 2 kept back")
        XCTAssertEqual(watcher.seen.all, [])
        try place(["TEA:1"])
        XCTAssertEqual(watcher.seen.all, ["TEA@main:2"], "available fell to the safety stock")
        try place(["TEA:1"])
        XCTAssertEqual(watcher.seen.all, ["TEA@main:2"], "once per crossing, not once per sale")
        try place(["TEA:1"])
        XCTAssertThrowsError(try place(["TEA:1"]), "safety stock is not for sale")
    }

    func testStocktakeCountVarianceApproveOnce() throws {
        try receive("TEA", 10)
        try receive("CUP", 4)
        let session = try kernel.perform("inventory.stocktake.start", context: try ctx(.warehouse))["stocktake"]!
        try kernel.perform("inventory.stocktake.count", input: ["stocktake": session, "sku": "TEA", "counted": 8], context: try ctx(.warehouse))
        let cup = try kernel.perform("inventory.stocktake.count", input: ["stocktake": session, "sku": "CUP", "counted": 5], context: try ctx(.warehouse))
        XCTAssertEqual(cup["variance"], 1)
        XCTAssertThrowsError(try kernel.perform("inventory.stocktake.approve", input: ["stocktake": session], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        try kernel.perform("inventory.stocktake.approve", input: ["stocktake": session], context: try ctx(.manager))
        XCTAssertEqual(try stock("TEA")["on_hand"], 8)
        XCTAssertEqual(try stock("CUP")["on_hand"], 5)
        XCTAssertThrowsError(try kernel.perform("inventory.stocktake.approve", input: ["stocktake": session], context: try ctx(.manager))) {
            XCTAssertEqual(($0 as! KernelError).message, "stocktake 1 is already approved")
        }
        XCTAssertEqual(try stock("TEA")["on_hand"], 8, "approving twice changes nothing")
    }

    func testTransfersAndReplenishmentAndAnalysis() throws {
        try kernel.perform("inventory.location.create", input: ["code": "main", "name": "Main"], context: try ctx(.manager))
        try kernel.perform("inventory.location.create", input: ["code": "depot", "name": "Depot"], context: try ctx(.manager))
        try receive("TEA", 10)
        try receive("CUP", 3)
        try kernel.perform("inventory.transfer", input: ["sku": "TEA", "from": "main", "to": "depot", "quantity": 4], context: try ctx(.warehouse))
        XCTAssertThrowsError(try kernel.perform("inventory.transfer", input: ["sku": "TEA", "from": "main", "to": "depot", "quantity": 7], context: try ctx(.warehouse))) {
            XCTAssertEqual(($0 as! KernelError).message, "only 6 unreserved units of SKU TEA at main, 7 asked")
        }
        let levels = try kernel.perform("inventory.stock.list", input: ["sku": "TEA"], context: try ctx(.auditor))["items"]!.arrayValue!
        XCTAssertEqual(levels.map { "\($0["location"]!.display):\($0["on_hand"]!.display)" }.sorted(), ["depot:4", "main:6"])
        // Sell 6 TEA over the window: 0.20 a day; with 30 days of lead time 6 more are needed.
        for _ in 0..<3 {
            let number = try place(["TEA:2"])
            try kernel.perform("orders.pay", input: ["order": .string(number)], context: try ctx(.finance))
        }
        let suggestions = try kernel.perform("inventory.replenishment", input: ["lead_days": 30], context: try ctx(.auditor)).arrayValue!
        XCTAssertEqual(suggestions.first?["sku"], "TEA")
        XCTAssertEqual(suggestions.first?["per_day"], "0.20")
        XCTAssertEqual(suggestions.first?["reorder"], 2, "needs 6 for the lead time, has 4 free")
        let analysis = try kernel.perform("inventory.analysis", context: try ctx(.auditor))
        XCTAssertEqual(analysis["slow_movers"]?.arrayValue?.map { $0["sku"] }, ["CUP"])
    }

    func testApprovedReturnsRestockAndExpiredHoldsCancelOrders() throws {
        try receive("TEA", 3)
        let number = try place(["TEA:2"])
        try kernel.perform("orders.pay", input: ["order": .string(number)], context: try ctx(.finance))
        try kernel.perform("orders.ship", input: ["order": .string(number)], context: try ctx(.warehouse))
        let request = try kernel.perform("orders.return.request", input: ["order": .string(number), "lines": ["TEA:1"], "reason": "x"], context: try ctx(.support))
        try kernel.perform("orders.return.approve", input: ["request": request["id"]!], context: try ctx(.warehouse))
        XCTAssertEqual(try stock("TEA")["on_hand"], 2)
        let unpaid = try place(["TEA:2"])
        XCTAssertEqual(try stock("TEA")["available"], 0)
        harness.clock.advance(by: 31 * 60)
        let expired = try kernel.perform("inventory.reservations.expire", context: try ctx(.manager))
        XCTAssertEqual(expired["cancelled_orders"], [.string(unpaid)])
        XCTAssertEqual(try stock("TEA")["available"], 2)
        XCTAssertEqual(try kernel.perform("orders.show", input: ["order": .string(unpaid)], context: try ctx(.clerk))["status"], "cancelled")
        // An exchange brings one unit back and sends a replacement out.
        try receive("CUP", 2)
        let exchange = try kernel.perform("orders.exchange.request", input: ["order": .string(number), "lines": ["TEA:1"], "replacement": ["CUP:1"],
                                                                             "reason": "prefers a cup"], context: try ctx(.support))
        try kernel.perform("orders.exchange.approve", input: ["request": exchange["id"]!], context: try ctx(.warehouse))
        XCTAssertEqual(try stock("TEA")["on_hand"], 3)
        XCTAssertEqual(try stock("CUP")["on_hand"], 1)
    }

    func testExpiredHoldsAreReleasedByTheScheduledJobWithoutAnyone() throws {
        XCTAssertTrue(kernel.scheduledJobs.contains { $0.operation == "inventory.reservations.expire" })
        try receive("TEA", 2)
        let unpaid = try place(["TEA:2"])
        XCTAssertEqual(try stock("TEA")["available"], 0)
        kernel.runDueJobs()   // the first run of the interval: nothing has expired yet
        XCTAssertEqual(try stock("TEA")["available"], 0)
        let emptyRuns = try kernel.store.read {
            try $0.query("SELECT count(*) AS n FROM souk_audit WHERE operation = 'inventory.reservations.expire'").first!.int("n")
        }
        XCTAssertEqual(emptyRuns, 0, "a sweep that found nothing writes no audit entry")
        harness.clock.advance(by: 31 * 60)
        let report = kernel.runDueJobs()
        XCTAssertTrue(report.ran.contains { $0.hasPrefix("inventory.reservations.expire") }, "\(report)")
        XCTAssertEqual(report.failed, [])
        XCTAssertEqual(try stock("TEA")["available"], 2)
        XCTAssertEqual(try kernel.perform("orders.show", input: ["order": .string(unpaid)], context: try ctx(.clerk))["status"], "cancelled")
    }
}
