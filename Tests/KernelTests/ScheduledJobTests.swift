import XCTest
import Kernel
import KernelTesting

/// Plugins' scheduled operations: run per shop where the plugin is enabled, once per
/// interval, as the system actor, with failures reported and retried.
final class ScheduledJobTests: XCTestCase {
    final class Ticker: Plugin {
        let manifest = PluginManifest(id: "ticker", name: "Ticker", version: SemanticVersion(1, 0, 0),
                                      kernel: .compatible(with: Kernel.version),
                                      permissions: [PermissionSpec("ticker.tick", "tick")],
                                      migrations: [Migration(version: 1, name: "ticks", sql: "CREATE TABLE ticker_ticks (shop_id INTEGER NOT NULL, at INTEGER NOT NULL);")])
        let failIn: String?
        init(failIn: String? = nil) { self.failIn = failIn }
        func register(_ registrar: PluginRegistrar) throws {
            let failIn = self.failIn
            try registrar.operation(OperationSpec(name: "ticker.tick", summary: "record a tick", permission: "ticker.tick", mutates: true) { scope in
                if scope.context.shop?.code == failIn { throw KernelError(.conflict, "this shop's ticker is jammed") }
                try scope.db.execute("INSERT INTO ticker_ticks (shop_id, at) VALUES (:shop, :now)", ["now": scope.now])
                return ["ticked": true]
            })
            try registrar.schedule("ticker.tick", everySeconds: 60)
        }
    }

    private func ticks(_ harness: KernelHarness) throws -> [String: Int] {
        try harness.kernel.store.read { tx in
            var counts: [String: Int] = [:]
            for row in try tx.query("SELECT s.code AS code, count(*) AS n FROM ticker_ticks t JOIN souk_shops s ON s.id = t.shop_id GROUP BY s.code") {
                counts[try row.string("code")] = try row.int("n")
            }
            return counts
        }
    }

    func testDueJobsRunOncePerIntervalInShopsThatEnabledThePlugin() throws {
        let harness = try KernelHarness(plugins: [Ticker(failIn: "jammed")])
        for code in ["north", "south", "jammed"] { try harness.addShop(code) }
        try harness.kernel.perform("plugin.disable", input: ["id": "ticker"], context: try harness.operatorContext(shop: "south"))

        let first = harness.kernel.runDueJobs()
        XCTAssertEqual(first.ran, ["ticker.tick in north"])
        XCTAssertEqual(first.failed, ["ticker.tick in jammed: this shop's ticker is jammed"])
        XCTAssertEqual(try ticks(harness), ["north": 1], "south disabled the plugin")
        XCTAssertEqual(harness.kernel.runDueJobs(), Kernel.JobReport(), "nothing is due again within the interval")

        harness.clock.advance(by: 61)
        XCTAssertEqual(harness.kernel.runDueJobs().ran, ["ticker.tick in north"])
        XCTAssertEqual(try ticks(harness), ["north": 2])
        let audited = try harness.kernel.store.read {
            try $0.query("SELECT DISTINCT actor FROM souk_audit WHERE operation = 'ticker.tick'").map { try $0.string("actor") }
        }
        XCTAssertEqual(audited, ["system"])
        let recorded = try harness.kernel.store.read {
            try $0.query("SELECT last_error FROM souk_job_runs r JOIN souk_shops s ON s.id = r.shop_id WHERE s.code = 'jammed'")
                .first?.optionalString("last_error")
        }
        XCTAssertEqual(recorded, "this shop's ticker is jammed")
    }

    func testASecondProcessDoesNotRunAClaimedJobAgain() throws {
        let harness = try KernelHarness(plugins: [Ticker()])
        try harness.addShop("north")
        let other = try harness.reopen(plugins: [Ticker()])   // another kernel on the same data folder
        XCTAssertEqual(harness.kernel.runDueJobs().ran, ["ticker.tick in north"])
        XCTAssertEqual(other.runDueJobs().ran, [], "the run of this interval was claimed by the first kernel")
        XCTAssertEqual(try ticks(harness), ["north": 1])
    }

    func testAScheduleMustNameAnOperationThatNeedsNoInput() throws {
        final class Broken: Plugin {
            let manifest = PluginManifest(id: "broken", name: "Broken", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
            func register(_ registrar: PluginRegistrar) throws {
                try registrar.operation(OperationSpec(name: "broken.run", summary: "needs input",
                                                      fields: [Field("what", required: true, help: "what")],
                                                      permission: nil, mutates: true) { _ in .null })
                try registrar.schedule("broken.run", everySeconds: 10)
            }
        }
        let harness = try KernelHarness(plugins: [Broken()])
        XCTAssertEqual(harness.kernel.failures.map(\.error.message),
                       ["plugin 'broken' (built in) failed to register: schedule of 'broken.run': a scheduled operation must act on a shop, change state, be a staff operation and need no input"])
        XCTAssertTrue(harness.kernel.scheduledJobs.isEmpty)
    }
}
