import XCTest
import Kernel
import KernelTesting

final class StoreTests: XCTestCase {
    func testWriteCommitsWholeOrRollsBackWhole() throws {
        let folder = try TemporaryDirectory()
        let store = try Store(path: folder.file("db.sqlite"))
        try store.write { try $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)") }
        XCTAssertThrowsError(try store.write { tx in
            try tx.execute("INSERT INTO t (v) VALUES (?)", ["one"])
            try tx.execute("INSERT INTO t (v) VALUES (?)", [String?.none])  // NOT NULL fails
        })
        XCTAssertEqual(try store.read { try $0.query("SELECT COUNT(*) AS n FROM t")[0].int("n") }, 0)
        // A nested write that fails rolls back only itself.
        try store.write { tx in
            try tx.execute("INSERT INTO t (v) VALUES (?)", ["outer"])
            XCTAssertThrowsError(try store.write { inner in
                try inner.execute("INSERT INTO t (v) VALUES (?)", ["inner"])
                throw KernelError(.conflict, "no")
            })
        }
        XCTAssertEqual(try store.read { try $0.query("SELECT v FROM t").map { try $0.string("v") } }, ["outer"])
    }

    func testValuesAreBoundNotConcatenated() throws {
        let folder = try TemporaryDirectory()
        let store = try Store(path: folder.file("db.sqlite"))
        try store.write { try $0.execute("CREATE TABLE t (v TEXT)") }
        let hostile = "x'); DROP TABLE t; --"
        try store.write { try $0.execute("INSERT INTO t (v) VALUES (?)", [hostile]) }
        XCTAssertEqual(try store.read { try $0.query("SELECT v FROM t WHERE v = :v", named: ["v": hostile]).count }, 1)
    }

    func testStatementCacheAndBindingKeepTextExact() throws {
        let folder = try TemporaryDirectory()
        let store = try Store(path: folder.file("db.sqlite"))
        try store.write { try $0.execute("CREATE TABLE t (v TEXT)") }
        // SQL built at run time, all of one length: each must run as its own text, also once
        // the statement table has been emptied and addresses come back.
        for number in 100_000..<103_000 {
            let sql = "SELECT \(number) AS value_n"
            XCTAssertEqual(try store.read { try $0.query(sql)[0].int("value_n") }, number)
        }
        // Text goes in and comes out whole: empty, short, long, non-ASCII, with a NUL.
        let texts = ["", "a", "short text", String(repeating: "long text ", count: 30), "thé vert · 緑茶", "nul\u{0}inside"]
        for text in texts {
            try store.write { try $0.execute("DELETE FROM t") }
            try store.write { try $0.execute("INSERT INTO t (v) VALUES (:v)", named: ["v": text]) }
            XCTAssertEqual(try store.read { try $0.query("SELECT v FROM t")[0].string("v") }, text)
            XCTAssertEqual(try store.read { try $0.query("SELECT length(CAST(v AS BLOB)) AS n FROM t")[0].int("n") }, text.utf8.count)
        }
    }

    func testMigrationsRunOnceAndNewerSchemaIsRefused() throws {
        let harness = try KernelHarness(plugins: [NotesPlugin()])
        _ = try harness.reopen(plugins: [NotesPlugin()])  // second start: nothing to apply, no error
        let versions = try harness.kernel.store.read { try $0.query("SELECT version FROM souk_schema WHERE module = 'notes'").count }
        XCTAssertEqual(versions, 1)
        // Pretend a newer Souk migrated the notes plugin to version 2.
        try harness.kernel.store.write {
            try $0.execute("INSERT INTO souk_schema (module, version, name, applied_at) VALUES ('notes', 2, 'future', 0)")
        }
        XCTAssertThrowsError(try harness.reopen(plugins: [NotesPlugin()])) { error in
            let error = error as! KernelError
            XCTAssertEqual(error.code, .schemaTooNew)
            XCTAssertEqual(error.message, "the database's schema for 'notes' is at version 2 but this build of Souk knows only up to 1; use a newer Souk or restore a backup made by this version")
        }
        try harness.kernel.store.write {
            try $0.execute("INSERT INTO souk_schema (module, version, name, applied_at) VALUES ('kernel', 9, 'future', 0)")
        }
        XCTAssertThrowsError(try harness.reopen()) { XCTAssertEqual(($0 as? KernelError)?.code, .schemaTooNew) }
    }

    func testShopScopedSQLMustFilterByShop() throws {
        let harness = try KernelHarness(plugins: [NotesPlugin()])
        let shop = try harness.fixtureShop()
        XCTAssertThrowsError(try harness.kernel.perform("notes.leak", context: try harness.context(as: shop.clerk, shop: shop.code))) {
            XCTAssertTrue(($0 as! KernelError).message.hasPrefix("shop-scoped SQL must filter by the :shop parameter"))
        }
    }
}
