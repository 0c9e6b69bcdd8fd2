import Foundation
import XCTest
import Kernel
import KernelTesting

/// A plugin whose `memo.price` mutation reads a price through `scope.db.remembered`, counting
/// how often the loader really ran.
final class MemoPlugin: Plugin {
    let manifest = PluginManifest(
        id: "memo", name: "Memo", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        permissions: [PermissionSpec("memo.write", "Read and write prices", roles: [.clerk])],
        migrations: [Migration(version: 1, name: "prices", sql: """
            CREATE TABLE memo_prices (shop_id INTEGER NOT NULL, code TEXT NOT NULL, price INTEGER NOT NULL, PRIMARY KEY (shop_id, code));
            CREATE TABLE memo_other (shop_id INTEGER NOT NULL, note TEXT NOT NULL);
            """)])
    let loads = HookRecorder()

    func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(OperationSpec(
            name: "memo.price", summary: "The remembered price of a code", fields: [Field("code", required: true, help: "code")],
            permission: "memo.write", mutates: true
        ) { scope in
            let code = try scope.input.string("code"), db = try scope.db
            let price = try db.remembered("memo.price:" + code) { () -> Int64? in
                self.loads.add(code)
                return try db.query("SELECT price FROM memo_prices WHERE shop_id = :shop AND code = :code",
                                    values: ["code": .text(code)]).first?.int64("price")
            }
            return price.map { .int($0) } ?? .null
        })
        try registrar.operation(OperationSpec(
            name: "memo.double", summary: "Twice the remembered price, itself remembered", fields: [Field("code", required: true, help: "code")],
            permission: "memo.write", mutates: true
        ) { scope in
            let code = try scope.input.string("code"), db = try scope.db
            return .int(try db.remembered("memo.double:" + code) { () -> Int64 in
                self.loads.add("double:" + code)
                let price = try db.remembered("memo.price:" + code) { () -> Int64? in
                    self.loads.add(code)
                    return try db.query("SELECT price FROM memo_prices WHERE shop_id = :shop AND code = :code",
                                        values: ["code": .text(code)]).first?.int64("price")
                }
                return 2 * (price ?? 0)
            })
        })
        try registrar.operation(OperationSpec(
            name: "memo.next", summary: "Take the next number of a counter, then fail when asked",
            fields: [Field("counter", required: true, help: "counter name"), Field("fail", .bool, help: "fail after taking it")],
            permission: "memo.write", mutates: true
        ) { scope in
            let number = try scope.db.nextCounterValue(try scope.input.string("counter"), first: 100)
            if scope.input.bool("fail") { throw KernelError(.conflict, "failing on purpose after taking \(number)") }
            return .int(number)
        })
        try registrar.operation(OperationSpec(
            name: "memo.peek", summary: "The same price read in a read transaction", fields: [Field("code", required: true, help: "code")],
            permission: "memo.write", mutates: false
        ) { scope in
            let code = try scope.input.string("code"), db = try scope.db
            return try db.remembered("memo.price:" + code) { () -> Value in
                self.loads.add("peek:" + code)
                return try db.query("SELECT price FROM memo_prices WHERE shop_id = :shop AND code = :code",
                                    values: ["code": .text(code)]).first.map { .int(try $0.int64("price")) } ?? .null
            }
        })
        try registrar.operation(OperationSpec(
            name: "memo.set", summary: "Set a price, then fail when asked", fields: [
                Field("code", required: true, help: "code"), Field("price", .int, required: true, help: "price"),
                Field("fail", .bool, help: "fail after writing and reading back"),
            ], permission: "memo.write", mutates: true
        ) { scope in
            let code = try scope.input.string("code"), db = try scope.db
            try db.execute("INSERT OR REPLACE INTO memo_prices (shop_id, code, price) VALUES (:shop, :code, :price)",
                           values: ["code": .text(code), "price": .integer(try scope.input.int("price"))])
            // Read back inside the same transaction: must see the new, uncommitted price.
            let seen = try scope.perform("memo.price", ["code": .string(code)])
            if scope.input.bool("fail") { throw KernelError(.conflict, "failing on purpose after seeing \(seen.intValue ?? -1)") }
            return seen
        })
    }
}

final class WriteMemoTests: XCTestCase {
    private func fixture() throws -> (KernelHarness, MemoPlugin, OperationContext) {
        let plugin = MemoPlugin()
        let harness = try KernelHarness(plugins: [plugin])
        let shop = try harness.fixtureShop("alpha")
        let context = try harness.context(as: shop.clerk, shop: "alpha")
        try harness.kernel.perform("memo.set", input: ["code": "tea", "price": 100], context: context)
        return (harness, plugin, context)
    }

    private func price(_ harness: KernelHarness, _ context: OperationContext, _ code: String = "tea") throws -> Value {
        try harness.kernel.perform("memo.price", input: ["code": .string(code)], context: context)
    }

    func testValueIsKeptAcrossWriteTransactionsUntilATableItReadChanges() throws {
        let (harness, plugin, clerk) = try fixture()
        // memo.set read it back after writing the table, so its value ended with its
        // transaction: the first read loads again, the later ones reuse it.
        let before = plugin.loads.all.count
        XCTAssertEqual(try price(harness, clerk), 100)
        XCTAssertEqual(plugin.loads.all.count, before + 1)
        XCTAssertEqual(try price(harness, clerk), 100)
        XCTAssertEqual(try price(harness, clerk), 100)
        XCTAssertEqual(plugin.loads.all.count, before + 1, "later transactions reuse it")
        // A write to a table the loader did not read keeps the value.
        try harness.kernel.store.write { try $0.execute("INSERT INTO memo_other (shop_id, note) VALUES (1, 'x')") }
        XCTAssertEqual(try price(harness, clerk), 100)
        XCTAssertEqual(plugin.loads.all.count, before + 1)
        // Any statement writing the table it read, even plain SQL outside an operation, drops it.
        try harness.kernel.store.write { try $0.execute("UPDATE memo_prices SET price = 150") }
        XCTAssertEqual(try price(harness, clerk), 150)
        XCTAssertEqual(plugin.loads.all.count, before + 2)
        // Unknown codes are remembered as unknown, until a row appears.
        XCTAssertEqual(try price(harness, clerk, "cup"), .null)
        XCTAssertEqual(try price(harness, clerk, "cup"), .null)
        try harness.kernel.perform("memo.set", input: ["code": "cup", "price": 7], context: clerk)
        XCTAssertEqual(try price(harness, clerk, "cup"), 7)
    }

    func testAValueReadFromRolledBackRowsIsNeverServed() throws {
        let (harness, _, clerk) = try fixture()
        XCTAssertEqual(try price(harness, clerk), 100)
        // The operation writes 999, reads it back (and so remembers it), then fails: rollback.
        XCTAssertThrowsError(try harness.kernel.perform("memo.set", input: ["code": "tea", "price": 999, "fail": true], context: clerk)) {
            XCTAssertEqual(($0 as? KernelError)?.message, "failing on purpose after seeing 999")
        }
        XCTAssertEqual(try price(harness, clerk), 100)
        // The same inside a savepoint: the outer transaction goes on and commits.
        try harness.kernel.store.write { _ in
            XCTAssertThrowsError(try harness.kernel.store.write { tx in
                try tx.execute("UPDATE memo_prices SET price = 555")
                XCTAssertEqual(try self.price(harness, clerk), 555)
                throw KernelError(.conflict, "roll the savepoint back")
            })
            XCTAssertEqual(try self.price(harness, clerk), 100, "after the savepoint rolled back")
        }
        XCTAssertEqual(try price(harness, clerk), 100)
        // Group commit: a failing mutation rolls back its own savepoint only.
        let results = harness.kernel.performAll([
            Kernel.Request("memo.set", input: ["code": "tea", "price": 777, "fail": true], context: clerk),
            Kernel.Request("memo.price", input: ["code": "tea"], context: clerk),
        ])
        XCTAssertThrowsError(try results[0].get())
        XCTAssertEqual(try results[1].get().value, 100)
    }

    func testChangesCommittedByAnotherConnectionOrProcessAreSeen() throws {
        let (harness, plugin, clerk) = try fixture()
        XCTAssertEqual(try price(harness, clerk), 100)
        // A second store on the same file: another connection, as another process would be.
        let other = try Store(path: harness.kernel.store.path)
        try other.write { try $0.execute("UPDATE memo_prices SET price = 321") }
        let before = plugin.loads.all.count
        XCTAssertEqual(try price(harness, clerk), 321)
        XCTAssertEqual(plugin.loads.all.count, before + 1)
        // A real other process: the sqlite3 shell, when this machine has it.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") {
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            shell.arguments = [harness.kernel.store.path, "PRAGMA busy_timeout = 5000; UPDATE memo_prices SET price = 654;"]
            try shell.run()
            shell.waitUntilExit()
            XCTAssertEqual(shell.terminationStatus, 0)
            XCTAssertEqual(try price(harness, clerk), 654)
        }
    }

    func testAnotherConnectionsCommitIsSeenEvenAfterATransactionThatDidNotAsk() throws {
        let (harness, _, clerk) = try fixture()
        XCTAssertEqual(try price(harness, clerk), 100)
        let other = try Store(path: harness.kernel.store.path)
        try other.write { try $0.execute("UPDATE memo_prices SET price = 222") }
        // A write transaction of this kernel that uses no remembered value comes first.
        try harness.kernel.store.write { try $0.execute("INSERT INTO memo_other (shop_id, note) VALUES (1, 'y')") }
        XCTAssertEqual(try price(harness, clerk), 222)
    }

    func testAValueBuiltFromAnotherRememberedValueDependsOnItsTables() throws {
        let (harness, _, clerk) = try fixture()
        XCTAssertEqual(try price(harness, clerk), 100)  // the inner value, remembered
        XCTAssertEqual(try harness.kernel.perform("memo.double", input: ["code": "tea"], context: clerk), 200)
        XCTAssertEqual(try harness.kernel.perform("memo.double", input: ["code": "tea"], context: clerk), 200)
        try harness.kernel.store.write { try $0.execute("UPDATE memo_prices SET price = 50") }
        XCTAssertEqual(try harness.kernel.perform("memo.double", input: ["code": "tea"], context: clerk), 100)
    }

    func testAStatementSQLitePreparesAgainAfterATriggerWasAddedIsTrackedAnew() throws {
        let (harness, _, clerk) = try fixture()
        // This kernel prepares (and keeps) its INSERT into memo_other before the trigger exists.
        let insert = "INSERT INTO memo_other (shop_id, note) VALUES (1, 'z')"
        try harness.kernel.store.write { try $0.execute(insert) }
        // Another process adds a trigger: inserting into memo_other now also changes prices.
        let other = try Store(path: harness.kernel.store.path)
        try other.write {
            try $0.execute("CREATE TRIGGER memo_bump AFTER INSERT ON memo_other BEGIN UPDATE memo_prices SET price = price + 1; END")
        }
        XCTAssertEqual(try price(harness, clerk), 100)  // remembered after the trigger appeared
        try harness.kernel.store.write { try $0.execute(insert) }  // SQLite prepares it again, with the trigger
        XCTAssertEqual(try price(harness, clerk), 101)
    }

    func testCountersAreGaplessPerShopAndNamedAfterTheirPlugin() throws {
        let (harness, _, clerk) = try fixture()
        func next(_ counter: String, fail: Bool = false, _ context: OperationContext) throws -> Value {
            try harness.kernel.perform("memo.next", input: ["counter": .string(counter), "fail": .bool(fail)], context: context)
        }
        XCTAssertEqual(try next("memo.ticket", clerk), 100)
        XCTAssertEqual(try next("memo.ticket", clerk), 101)
        XCTAssertThrowsError(try next("memo.ticket", fail: true, clerk))  // rolled back: 102 is given back
        XCTAssertEqual(try next("memo.ticket", clerk), 102)
        XCTAssertEqual(try next("memo.other-1", clerk), 100)
        let beta = try harness.fixtureShop("beta")
        XCTAssertEqual(try next("memo.ticket", try harness.context(as: beta.clerk, shop: "beta")), 100)
        for bad in ["ticket", "audit", "memo.", ".ticket", "Memo.ticket", "memo.a.b", "memo.1x", "memo.tïcket"] {
            XCTAssertThrowsError(try next(bad, clerk), bad) {
                XCTAssertEqual(($0 as? KernelError)?.message,
                               "counter name '\(bad)' must be code-like and start with the plugin's name and a dot, e.g. giftwrap.ticket")
            }
        }
    }

    func testSchemaChangesAndShopsAndReadTransactions() throws {
        let (harness, plugin, clerk) = try fixture()
        XCTAssertEqual(try price(harness, clerk), 100)
        // Another shop has its own value under the same key.
        let beta = try harness.fixtureShop("beta")
        let betaClerk = try harness.context(as: beta.clerk, shop: "beta")
        XCTAssertEqual(try price(harness, betaClerk), .null)
        try harness.kernel.perform("memo.set", input: ["code": "tea", "price": 42], context: betaClerk)
        XCTAssertEqual(try price(harness, betaClerk), 42)
        XCTAssertEqual(try price(harness, clerk), 100)
        // A schema change forgets everything.
        let before = plugin.loads.all.count
        try harness.kernel.store.write { try $0.execute("CREATE INDEX memo_prices_by_price ON memo_prices (price)") }
        XCTAssertEqual(try price(harness, clerk), 100)
        XCTAssertEqual(plugin.loads.all.count, before + 1)
        // In a read transaction the loader runs every time.
        let peeks = plugin.loads.all.filter { $0.hasPrefix("peek:") }.count
        XCTAssertEqual(try harness.kernel.perform("memo.peek", input: ["code": "tea"], context: clerk), 100)
        XCTAssertEqual(try harness.kernel.perform("memo.peek", input: ["code": "tea"], context: clerk), 100)
        XCTAssertEqual(plugin.loads.all.filter { $0.hasPrefix("peek:") }.count, peeks + 2)
    }
}
