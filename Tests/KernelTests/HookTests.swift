import XCTest
import Kernel
import KernelTesting

final class HookTests: XCTestCase {
    func testFiltersRunByPriorityThenRegistrationOrder() throws {
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [
            HookPlugin(id: "late", recorder: recorder, priority: 10),
            HookPlugin(id: "first", recorder: recorder, priority: -5),
            HookPlugin(id: "second", recorder: recorder, priority: 0),
            HookPlugin(id: "third", recorder: recorder, priority: 0),
        ])
        try harness.addShop("s")
        let shop = try harness.kernel.perform("shop.show", context: try harness.operatorContext(shop: "s"))
        XCTAssertEqual(shop["description"], "[first][second][third][late]")
    }

    func testGuardVetoRollsBackAndNamesTheReason() throws {
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [HookPlugin(id: "strict", recorder: recorder, veto: "orders are open")])
        try harness.addShop("s")
        XCTAssertThrowsError(try harness.kernel.perform("shop.update", input: ["name": "New"], context: try harness.operatorContext(shop: "s"))) {
            XCTAssertEqual(($0 as! KernelError).code, .vetoed)
            XCTAssertEqual(($0 as! KernelError).message, "orders are open (refused by strict)")
        }
        XCTAssertEqual(try harness.kernel.perform("shop.show", context: try harness.operatorContext(shop: "s"))["name"], "Shop s")
        let audited = try harness.kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM souk_audit WHERE operation = 'shop.update'")[0].int("n") }
        XCTAssertEqual(audited, 1, "a vetoed operation leaves only its audit entry")
        let entry = try harness.kernel.perform("audit.list", input: ["operation": "shop.update"], context: try harness.operatorContext(shop: "s"))
        XCTAssertEqual(entry["items"]?.arrayValue?.first?["outcome"], "vetoed")
        XCTAssertEqual(entry["items"]?.arrayValue?.first?["change"]?["reason"], "orders are open (refused by strict)")
    }

    func testThrowingHandlerRollsBackEverything() throws {
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [HookPlugin(id: "broken", recorder: recorder, throwInFilter: true)])
        XCTAssertThrowsError(try harness.addShop("s")) { XCTAssertEqual(($0 as! KernelError).message, "filter broken broke") }
        let counts = try harness.kernel.store.read { tx in
            (try tx.query("SELECT COUNT(*) AS n FROM souk_shops")[0].int("n"),
             try tx.query("SELECT COUNT(*) AS n FROM souk_outbox")[0].int("n"),
             try tx.query("SELECT COUNT(*) AS n FROM souk_audit WHERE operation = 'shop.create'")[0].int("n"))
        }
        XCTAssertEqual(counts.0, 0)
        XCTAssertEqual(counts.1, 0)
        XCTAssertEqual(counts.2, 0)
    }

    func testTokenRemovesHandler() throws {
        let recorder = HookRecorder()
        final class Removable: Plugin {
            let manifest = PluginManifest(id: "removable", name: "r", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
            let recorder: HookRecorder
            nonisolated(unsafe) var token: HookToken?
            init(_ recorder: HookRecorder) { self.recorder = recorder }
            func register(_ registrar: PluginRegistrar) throws {
                token = try registrar.filter(Hooks.shopProfile) { profile, _ in profile.description = "touched" }
            }
        }
        let plugin = Removable(recorder)
        let harness = try KernelHarness(plugins: [plugin])
        try harness.addShop("a")
        XCTAssertEqual(try harness.kernel.perform("shop.show", context: try harness.operatorContext(shop: "a"))["description"], "touched")
        XCTAssertTrue(harness.kernel.hooks.remove(plugin.token!))
        XCTAssertFalse(harness.kernel.hooks.remove(plugin.token!))
        try harness.addShop("b")
        XCTAssertEqual(try harness.kernel.perform("shop.show", context: try harness.operatorContext(shop: "b"))["description"], .null)
    }

    func testOutboxListPagesOldestFirstWithoutRepeatsOrGaps() throws {
        let harness = try KernelHarness(plugins: [HookPlugin(id: "flaky", recorder: HookRecorder(), failDeliveries: 1_000)])
        try harness.addShop("s")
        for index in 1...5 {
            try harness.kernel.perform("shop.update", input: ["name": .string("Name \(index)")], context: try harness.operatorContext(shop: "s"))
        }
        let context = try harness.operatorContext()
        let all = try XCTUnwrap(harness.kernel.perform("outbox.list", input: ["limit": 500], context: context)["items"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(all.count, 5)
        var seen: [Value] = []
        var input: Value.Object = ["limit": 2]
        while seen.count <= all.count {
            let page = try harness.kernel.perform("outbox.list", input: input, context: context)
            seen += page["items"]?.arrayValue ?? []
            guard let next = page["next_cursor"], next != .null else { break }
            input["cursor"] = next
        }
        XCTAssertEqual(seen, all, "every pending event once, oldest first")
        XCTAssertEqual(seen.compactMap { $0["id"]?.intValue }, seen.compactMap { $0["id"]?.intValue }.sorted())
    }

    func testEventsAreDeliveredAfterCommitAndRetriedAfterAFailure() throws {
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [HookPlugin(id: "flaky", recorder: recorder, failDeliveries: 1)])
        try harness.addShop("s")
        try harness.kernel.perform("shop.update", input: ["name": "Renamed"], context: try harness.operatorContext(shop: "s"))
        XCTAssertEqual(recorder.all.filter { $0.hasPrefix("event") }, [], "the first delivery failed")
        let pending = try harness.kernel.perform("outbox.list", context: try harness.operatorContext())
        XCTAssertEqual(pending["items"]?.arrayValue?.first?["attempts"], 1)
        XCTAssertEqual(pending["items"]?.arrayValue?.first?["last_error"], "flaky.record: subscriber down")
        // Not due yet: nothing happens.
        XCTAssertEqual(harness.kernel.deliverPendingEvents().delivered, 0)
        harness.clock.advance(by: 5)
        XCTAssertEqual(harness.kernel.deliverPendingEvents().delivered, 1)
        XCTAssertEqual(harness.kernel.deliverPendingEvents().delivered, 0, "delivered once only")
        XCTAssertEqual(recorder.all.filter { $0.hasPrefix("event") }, ["event:flaky:s"])
    }

    func testSubscribersOnlyGetTheEventsTheyWantAndUnwantedEventsAreNotQueued() throws {
        let picky = HookRecorder(), all = HookRecorder()
        let harness = try KernelHarness(plugins: [PickyPlugin(id: "picky", prefix: "big", recorder: picky)])
        try harness.addShop("small")
        try harness.addShop("bigshop")
        let kernel = harness.kernel
        func outboxRows() throws -> [Row] {
            try kernel.store.read { try $0.query("SELECT event, subscribers, delivered_at FROM souk_outbox WHERE event = 'shop.updated'") }
        }
        try kernel.perform("shop.update", input: ["name": "Small"], context: try harness.operatorContext(shop: "small"))
        XCTAssertEqual(try outboxRows().count, 0, "nobody wants it: not even queued")
        try kernel.perform("shop.update", input: ["name": "Big"], context: try harness.operatorContext(shop: "bigshop"))
        XCTAssertEqual(picky.all, ["event:picky:bigshop"])
        let rows = try outboxRows()
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(try rows.first?.optionalString("subscribers"), "picky.picky")
        XCTAssertNotNil(try rows.first?.optionalInt("delivered_at"), "closed by the subscriber's own transaction")

        // With a subscriber that wants everything, the event is queued for it alone.
        let both = try KernelHarness(plugins: [PickyPlugin(id: "picky", prefix: "big", recorder: HookRecorder()),
                                               HookPlugin(id: "greedy", recorder: all)])
        try both.addShop("small")
        try both.kernel.perform("shop.update", input: ["name": "Small"], context: try both.operatorContext(shop: "small"))
        XCTAssertEqual(all.all.filter { $0.hasPrefix("event") }, ["event:greedy:small"])
        let queued = try both.kernel.store.read {
            try $0.query("SELECT o.subscribers, group_concat(d.subscriber) AS done FROM souk_outbox o JOIN souk_outbox_deliveries d ON d.outbox_id = o.id WHERE o.event = 'shop.updated'")
        }
        XCTAssertEqual(try queued.first?.optionalString("subscribers"), "greedy.record")
        XCTAssertEqual(try queued.first?.optionalString("done"), "greedy.record", "the uninterested subscriber ran no transaction")

        // A row queued before rows named their subscribers goes to every subscriber.
        let shopID = try both.kernel.store.read { try $0.query("SELECT id FROM souk_shops WHERE code = 'small'")[0].int64("id") }
        try both.kernel.store.write { tx in
            try tx.execute("""
                INSERT INTO souk_outbox (shop_id, event, payload, correlation_id, created_at, next_attempt_at)
                VALUES (?, 'shop.updated', ?, 'req_old', 0, 0)
                """, [shopID, #"{"shopID":\#(shopID),"code":"small"}"#])
        }
        XCTAssertEqual(both.kernel.deliverPendingEvents().delivered, 1)
        XCTAssertEqual(all.all.filter { $0.hasPrefix("event") }, ["event:greedy:small", "event:greedy:small"])
    }

    func testEventsSurviveACrashBetweenCommitAndDelivery() throws {
        // First "process": its subscriber dies before taking the event.
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [HookPlugin(id: "tracker", recorder: recorder, failDeliveries: 100)])
        try harness.addShop("s")
        try harness.kernel.perform("shop.update", input: ["name": "Renamed"], context: try harness.operatorContext(shop: "s"))
        harness.clock.advance(by: 60)
        // The restarted process delivers at start-up, exactly once, with the subscriber's write.
        let restarted = HookRecorder()
        let kernel = try harness.reopen(plugins: [HookPlugin(id: "tracker", recorder: restarted)])
        XCTAssertEqual(restarted.all.filter { $0.hasPrefix("event") }, ["event:tracker:s"])
        _ = kernel.deliverPendingEvents()
        let rows = try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM tracker_seen")[0].int("n") }
        XCTAssertEqual(rows, 1)
    }

    func testDisabledPluginsHooksAndOperationsDoNotRunInThatShop() throws {
        let recorder = HookRecorder()
        let harness = try KernelHarness(plugins: [HookPlugin(id: "opt", recorder: recorder), NotesPlugin()])
        try harness.addShop("s")
        let context = try harness.operatorContext(shop: "s")
        try harness.kernel.perform("plugin.disable", input: ["id": "opt"], context: context)
        try harness.kernel.perform("plugin.disable", input: ["id": "notes"], context: context)
        try harness.kernel.perform("shop.update", input: ["name": "Quiet"], context: context)
        XCTAssertEqual(try harness.kernel.perform("shop.show", context: context)["description"], "[opt]", "only the creation ran the filter")
        XCTAssertThrowsError(try harness.kernel.perform("notes.add", input: ["text": "x"], context: context)) {
            XCTAssertEqual(($0 as! KernelError).code, .pluginDisabled)
            XCTAssertEqual(($0 as! KernelError).message, "plugin 'notes' is disabled in shop 's'; enable it with: souk plugin enable notes --shop s")
        }
        try harness.kernel.perform("plugin.enable", input: ["id": "notes"], context: context)
        XCTAssertNoThrow(try harness.kernel.perform("notes.add", input: ["text": "x"], context: context))
    }
}
