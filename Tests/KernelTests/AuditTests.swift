import XCTest
import Kernel
import KernelTesting

final class AuditTests: XCTestCase {
    var harness: KernelHarness!

    override func setUpWithError() throws {
        harness = try KernelHarness()
        let shop = try harness.fixtureShop("alpha")
        for name in ["A", "B", "C"] {
            try harness.kernel.perform("shop.update", input: ["name": .string(name)], context: try harness.context(as: shop.owner, shop: "alpha"))
        }
    }

    private func verify() throws -> Value { try harness.kernel.perform("audit.verify", context: try harness.operatorContext(shop: "alpha")) }

    private func tamper(_ sql: String) throws { try harness.kernel.store.write { try $0.execute(sql) } }

    private func assertBroken(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try verify(), file: file, line: line) {
            let error = $0 as! KernelError
            XCTAssertEqual(error.code, .auditBroken, file: file, line: line)
            XCTAssertEqual(error.message, "audit chain broken: alpha: " + expected, file: file, line: line)
        }
    }

    /// The hash's input format is what existing databases were written with: each field as its
    /// UTF-8 length, a colon and its bytes, in this order. Recomputed here independently.
    func testEntryHashFormatIsStable() throws {
        let rows = try harness.kernel.store.read { try $0.query("SELECT * FROM souk_audit ORDER BY id") }
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            var bytes: [UInt8] = []
            let fields = [String(try row.int64("shop_id")), String(try row.int64("seq")), String(try row.int64("at")),
                          try row.string("actor"), try row.string("operation"), try row.string("entity"), try row.string("change"),
                          try row.string("correlation_id"), try row.string("outcome"), try row.string("prev_hash")]
            for field in fields { bytes += Array("\(field.utf8.count):".utf8) + Array(field.utf8) }
            XCTAssertEqual(try row.string("hash"), Hex.encode(SHA256.hash(bytes)))
        }
    }

    func testIntactChainVerifies() throws {
        let report = try verify()
        XCTAssertEqual(report.arrayValue?.first?["status"], "ok")
        XCTAssertEqual(report.arrayValue?.first?["entries"], .int(10), "7 grants + 3 updates")
    }

    func testEditedRowIsDetected() throws {
        try tamper("UPDATE souk_audit SET actor = 'staff:99:ghost@x' WHERE shop_id = (SELECT id FROM souk_shops WHERE code = 'alpha') AND seq = 9")
        assertBroken("entry #9 (row id \(try rowID(seq: 9))) was edited: its content no longer matches its hash")
    }

    func testDeletedRowIsDetected() throws {
        let id = try rowID(seq: 4)
        try tamper("DELETE FROM souk_audit WHERE id = \(id)")
        assertBroken("entry #4 is missing (deleted); the chain jumps to #5 (row id \(id + 1))")
    }

    func testDeletedNewestRowIsDetected() throws {
        try tamper("DELETE FROM souk_audit WHERE id = \(try rowID(seq: 10))")
        assertBroken("entry #10 is missing (deleted from the end of the chain)")
    }

    func testInsertedRowIsDetected() throws {
        try tamper("""
            INSERT INTO souk_audit (shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
            SELECT shop_id, 6, at, 'staff:1:x', 'shop.update', 'shop:alpha', '{}', 'req', 'ok', prev_hash, hash
            FROM souk_audit WHERE id = \(try rowID(seq: 6))
            """)
        XCTAssertThrowsError(try verify()) { XCTAssertEqual(($0 as! KernelError).code, .auditBroken) }
    }

    func testARowStoredOutsideItsChainIsDetected() throws {
        // A forged entry with the next number of alpha's chain, but at an id of its own choosing.
        try tamper("""
            INSERT INTO souk_audit (id, shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
            SELECT 99999999999999, shop_id, 11, at, actor, operation, entity, change, correlation_id, outcome, hash, hash
            FROM souk_audit WHERE id = \(try rowID(seq: 10))
            """)
        assertBroken("entry #11 (row id 99999999999999) is stored outside its chain (inserted)")
    }

    func testForgedRowsAtTheEndsOfTheKeyRangeAreFoundAndVerifyEnds() throws {
        for id in ["9223372036854775807", "-5"] {
            try tamper("""
                INSERT INTO souk_audit (id, shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
                SELECT \(id), shop_id, 42, at, actor, operation, entity, change, correlation_id, outcome, hash, hash
                FROM souk_audit WHERE id = \(try rowID(seq: 10))
                """)
            // Every chain at once (as the operator, no shop): it ends, and names the row.
            XCTAssertThrowsError(try harness.kernel.perform("audit.verify", context: try harness.operatorContext())) {
                XCTAssertEqual(($0 as? KernelError)?.code, .auditBroken)
                XCTAssertTrue(($0 as? KernelError)?.message.contains("entry #42 (row id \(id)) is stored outside its chain (inserted)") == true,
                              ($0 as? KernelError)?.message ?? "")
            }
            assertBroken("entry #42 (row id \(id)) is stored outside its chain (inserted)")
            try tamper("DELETE FROM souk_audit WHERE id = \(id)")
        }
        XCTAssertNoThrow(try verify())
    }

    /// Kernel migration 7 keys audit rows by chain and position; a database written before it
    /// (rows numbered in the order they were written, an index per chain) keeps every chain.
    func testChainsWrittenBeforeTheRowsWereKeyedByPositionStillVerify() throws {
        let kernel = harness.kernel
        // The layout before migration 7, with the rows in it numbered 1, 2, 3... as they were.
        try kernel.store.write { tx in
            try tx.execute("""
                CREATE TABLE souk_audit_old (
                    id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
                    actor TEXT NOT NULL, operation TEXT NOT NULL, entity TEXT NOT NULL, change TEXT NOT NULL,
                    correlation_id TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """)
            try tx.execute("""
                INSERT INTO souk_audit_old (shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
                SELECT shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash FROM souk_audit ORDER BY at, id
                """)
            try tx.execute("DROP TABLE souk_audit")
            try tx.execute("ALTER TABLE souk_audit_old RENAME TO souk_audit")
            try tx.execute("CREATE INDEX souk_audit_chain ON souk_audit (shop_id, seq)")
            try tx.execute("DELETE FROM souk_schema WHERE module = 'kernel' AND version = 7")
        }
        let before = try kernel.store.read { try $0.query("SELECT shop_id, seq, hash FROM souk_audit ORDER BY shop_id, seq").map {
            "\(try $0.int64("shop_id")):\(try $0.int64("seq")):\(try $0.string("hash"))"
        } }
        let reopened = try harness.reopen()
        let after = try reopened.store.read { try $0.query("SELECT id, shop_id, seq, hash FROM souk_audit ORDER BY id").map {
            XCTAssertEqual(try $0.int64("id"), (try $0.int64("shop_id") << 32) + (try $0.int64("seq")))
            return "\(try $0.int64("shop_id")):\(try $0.int64("seq")):\(try $0.string("hash"))"
        } }
        XCTAssertEqual(after, before)
        let report = try reopened.perform("audit.verify", context: try harness.operatorContext())
        XCTAssertEqual(report.arrayValue?.map { $0["status"] }, report.arrayValue?.map { _ in "ok" })
        // New entries continue the chains where they were.
        try reopened.perform("shop.update", input: ["name": "D"], context: try harness.operatorContext(shop: "alpha"))
        XCTAssertNoThrow(try reopened.perform("audit.verify", context: try harness.operatorContext()))
    }

    func testListFiltersByActorOperationAndTime() throws {
        let context = try harness.operatorContext(shop: "alpha")
        let updates = try harness.kernel.perform("audit.list", input: ["operation": "shop.update", "actor": "owner@alpha.test"], context: context)
        XCTAssertEqual(updates["items"]?.arrayValue?.count, 3)
        XCTAssertEqual(updates["items"]?.arrayValue?.first?["change"]?["name"]?["to"], "C", "newest first, with the change")
        let future = try harness.kernel.perform("audit.list", input: ["since": "2100-01-01T00:00:00Z"], context: context)
        XCTAssertEqual(future["items"]?.arrayValue?.count, 0)
        XCTAssertThrowsError(try harness.kernel.perform("audit.list", context: try harness.context(as: "clerk@alpha.test", shop: "alpha")))
    }

    func testListPagesNewestFirstWithoutRepeatsOrGaps() throws {
        let context = try harness.operatorContext(shop: "alpha")
        for index in 1...6 {
            try harness.kernel.perform("shop.update", input: ["name": .string("Name \(index)")], context: context)
        }
        let all = try XCTUnwrap(harness.kernel.perform("audit.list", input: ["limit": 10_000], context: context)["items"]?.arrayValue)
        XCTAssertGreaterThan(all.count, 7)
        var seen: [Value] = []
        var input: Value.Object = ["limit": 3]
        var pages = 0
        while pages < 100 {
            let page = try harness.kernel.perform("audit.list", input: input, context: context)
            pages += 1
            seen += page["items"]?.arrayValue ?? []
            if pages == 1 {   // written while the client pages: newer than the cursor, so not in this walk
                try harness.kernel.perform("shop.update", input: ["name": "Late"], context: context)
            }
            guard let next = page["next_cursor"], next != .null else { break }
            input["cursor"] = next
        }
        XCTAssertEqual(pages, (all.count + 2) / 3)
        XCTAssertEqual(seen, all, "every entry once, newest first")
        XCTAssertEqual(seen.compactMap { $0["seq"]?.intValue }, seen.compactMap { $0["seq"]?.intValue }.sorted(by: >))
    }

    private func rowID(seq: Int) throws -> Int64 {
        try harness.kernel.store.read {
            try $0.query("SELECT id FROM souk_audit WHERE seq = ? AND shop_id = (SELECT id FROM souk_shops WHERE code = 'alpha')", [seq])[0].int64("id")
        }
    }
}
