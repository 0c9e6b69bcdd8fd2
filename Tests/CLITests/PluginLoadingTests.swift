import XCTest
import Kernel
import KernelTesting

/// Loads real `.so` files into the stock `souk` binary: the out-of-tree example, fixture
/// plugins built by this package, and broken files.
final class PluginLoadingTests: XCTestCase {
    static let example = SoukProcess.repository + "/examples/GiftWrap/.build/debug/libGiftWrap.so"

    func fixture(_ name: String) -> String { SoukProcess.buildFolder + "/libFixture\(name).so" }

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.example) else {
            XCTFail("build the example plugin first: swift build --package-path examples/GiftWrap (scripts/test does)")
            throw XCTSkip("example plugin not built")
        }
    }

    func testExamplePluginInstallsAndRunsInTheStockHost() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north", "south"], dynamic: true)
        let asOp = ["--as", "op@souk.test"]
        let installed = try souk.ok(asOp + ["plugin", "install", Self.example])
        XCTAssertTrue(installed.stdout.contains("installed_as  \(souk.data)/plugins/giftwrap.so"), installed.stdout)
        try souk.ok(asOp + ["settings", "set", "--shop", "north", "--plugin", "giftwrap", "--key", "fee", "--value", "400"])
        let request = try souk.ok(asOp + ["--json", "giftwrap", "request", "--shop", "north", "--order", "N-1001", "--note", "Happy birthday"])
        XCTAssertEqual(request.stdout, #"{"id":1,"order":"N-1001","fee_minor":400,"currency":"EUR","status":"requested"}"# + "\n")
        try souk.ok(asOp + ["giftwrap", "request", "--shop", "south", "--order", "S-1"])
        // The rows the plugin wrote, read straight from the database file: the subscriber ran.
        let store = try Store(path: souk.data + "/souk.sqlite")
        let rows = try store.read { try $0.query("SELECT order_ref, fee_minor, status FROM giftwrap_wraps ORDER BY id") }
        XCTAssertEqual(try rows.map { "\(try $0.string("order_ref")) \(try $0.int("fee_minor")) \(try $0.string("status"))" },
                       ["N-1001 400 queued", "S-1 250 queued"])
        let list = try souk.ok(asOp + ["giftwrap", "list", "--shop", "north"])
        XCTAssertEqual(list.stdout, """
            ID  ORDER   NOTE            FEE_MINOR  CURRENCY  STATUS
            1   N-1001  Happy birthday  400        EUR       queued

            """)
        // It joins checkout with nothing but the Kernel package: the fee as a price adjustment,
        // and the wrap recorded inside the order's transaction.
        let csv = folder.file("catalog.csv")
        try CommerceCLITests.catalog.write(toFile: csv, atomically: true, encoding: .utf8)
        try souk.ok(asOp + ["catalog", "import", "--shop", "north", "--csv-file", csv])
        try souk.ok(asOp + ["inventory", "adjust", "--shop", "north", "--sku", "TEA-1", "--quantity", "5", "--reason", "received"])
        let wrapped = try JSON.decode(try souk.ok(asOp + ["--json", "orders", "place", "--shop", "north", "--lines", "TEA-1:1",
                                                          "--attributes", "gift_wrap=yes,gift_note=For Ana"]).stdout)
        XCTAssertEqual(wrapped["fees"]?["amount"], 400)
        XCTAssertEqual(wrapped["total"]?["amount"], 850)
        XCTAssertEqual(wrapped["adjustments"]?.arrayValue?.first?["label"], "Gift wrapping")
        let plain = try JSON.decode(try souk.ok(asOp + ["--json", "orders", "place", "--shop", "north", "--lines", "TEA-1:1"]).stdout)
        XCTAssertEqual(plain["fees"]?["amount"], 0)
        let wraps = try JSON.decode(try souk.ok(asOp + ["--json", "giftwrap", "list", "--shop", "north"]).stdout)["items"]?.arrayValue ?? []
        XCTAssertEqual(wraps.first?["order"], wrapped["number"])
        XCTAssertEqual(wraps.first?["note"], "For Ana")
        XCTAssertEqual(wraps.first?["status"], "queued", "its subscriber ran after the order committed")
        XCTAssertEqual(wraps.count, 2)
        // Its filter runs on the kernel's shop.profile hook; its permissions reach built-in roles.
        let profile = try souk.ok(asOp + ["shop", "update", "--shop", "north", "--description", "Fresh bread."]).stdout
        XCTAssertTrue(profile.contains("description     Fresh bread. Gift wrapping available.\n"), profile)
        try souk.ok(asOp + ["staff", "add", "--email", "c@souk.test", "--shop", "north", "--role", "clerk"], env: ["SOUK_NEW_PASSWORD": "clerk-pass-1"])
        XCTAssertEqual(try souk.run(["--as", "c@souk.test", "giftwrap", "list", "--shop", "north"], env: ["SOUK_PASSWORD": "clerk-pass-1"]).status, 0)
        // Disabled in a shop: refused there, with the fix in the message.
        try souk.ok(asOp + ["plugin", "disable", "giftwrap", "--shop", "south"])
        let refused = try souk.run(asOp + ["giftwrap", "list", "--shop", "south"])
        XCTAssertEqual(refused.status, 11)
        XCTAssertEqual(refused.stderr, "error: plugin 'giftwrap' is disabled in shop 'south'; enable it with: souk plugin enable giftwrap --shop south\n")
        let listed = try souk.ok(asOp + ["--json", "plugin", "list"]).stdout
        XCTAssertTrue(listed.contains(#""id":"giftwrap","version":"1.0.0","source":"\#(souk.data)/plugins/giftwrap.so","kernel":">=0.1.0 <0.2.0","enabled_shops":"north""#), listed)
        XCTAssertTrue(listed.contains(#""operations":"giftwrap.list,giftwrap.request""#), listed)
    }

    func testEventSurvivesACrashBetweenCommitAndDelivery() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"], dynamic: true)
        let asOp = ["--as", "op@souk.test"]
        try souk.ok(asOp + ["plugin", "install", Self.example])
        let crashed = try souk.run(asOp + ["giftwrap", "request", "--shop", "north", "--order", "C-1"], env: ["SOUK_FAULT": "crash-after-commit"])
        XCTAssertEqual(crashed.status, 86, "the process died right after commit")
        let store = try Store(path: souk.data + "/souk.sqlite")
        XCTAssertEqual(try store.read { try $0.query("SELECT status FROM giftwrap_wraps")[0].string("status") }, "requested")
        XCTAssertEqual(try store.read { try $0.query("SELECT COUNT(*) AS n FROM souk_outbox WHERE delivered_at IS NULL")[0].int("n") }, 1)
        // The next process delivers the event at start-up.
        XCTAssertTrue(try souk.ok(asOp + ["giftwrap", "list", "--shop", "north"]).stdout.contains("queued"))
        XCTAssertEqual(try store.read { try $0.query("SELECT COUNT(*) AS n FROM souk_outbox_deliveries")[0].int("n") }, 1)
    }

    func testDynamicPluginsAreOffUntilAllowed() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: [])
        let refused = try souk.run(["--as", "op@souk.test", "plugin", "install", Self.example])
        XCTAssertEqual(refused.status, 11)
        XCTAssertEqual(refused.stderr, "error: this installation does not allow dynamic plugins; allow them first with: souk installation configure --allow-dynamic-plugins true\n")
        let plugins = folder.file("extra")
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.example, toPath: plugins + "/giftwrap.so")
        let listed = try souk.run(["--as", "op@souk.test", "--plugins", plugins, "plugin", "list"])
        XCTAssertEqual(listed.status, 0)
        XCTAssertEqual(listed.stderr, "warning: not loading plugin file \(plugins)/giftwrap.so: this installation does not allow dynamic plugins; an operator can allow them with: souk installation configure --allow-dynamic-plugins true\n")
        try souk.ok(["--as", "op@souk.test", "installation", "configure", "--allow-dynamic-plugins", "true"])
        let allowed = try souk.ok(["--as", "op@souk.test", "--plugins", plugins, "plugin", "list"])
        XCTAssertTrue(allowed.stdout.contains("giftwrap"), allowed.stdout)
        let clerkless = try souk.run(["--as", "op@souk.test", "plugin", "install", Self.example], env: ["SOUK_PASSWORD": "wrong-one-1"])
        XCTAssertEqual(clerkless.status, 7)
    }

    func testBrokenPluginFilesAreRefusedOneByOneAndTheHostKeepsGoing() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"], dynamic: true)
        let dir = folder.file("plugins")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let manager = FileManager.default
        // Names sort in this order, so warnings come in this order too.
        try manager.copyItem(atPath: Self.example, toPath: dir + "/a-giftwrap.so")
        for (index, name) in ["Throwing", "MissingDependency", "Incompatible", "WrongABI", "Duplicate", "WrongFingerprint"].enumerated() {
            try manager.copyItem(atPath: fixture(name), toPath: dir + "/b\(index)-\(name).so")
        }
        _ = manager.createFile(atPath: dir + "/c-empty.so", contents: Data())
        _ = manager.createFile(atPath: dir + "/d-random.so", contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
        let good = try Data(contentsOf: URL(fileURLWithPath: fixture("Throwing")))
        _ = manager.createFile(atPath: dir + "/e-truncated.so", contents: good.prefix(good.count / 3))
        try manager.copyItem(atPath: SoukProcess.binary, toPath: dir + "/f-executable.so")
        try manager.copyItem(atPath: URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0").resolvingSymlinksInPath().path,
                             toPath: dir + "/g-notplugin.so")
        let result = try souk.run(["--as", "op@souk.test", "--plugins", dir, "--json", "plugin", "list"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let warnings = result.stderr.split(separator: "\n").map(String.init)
        let expected = [
            "warning: plugin file \(dir)/b3-WrongABI.so was built for plugin ABI 42 but this Souk (kernel 0.1.0) speaks ABI 1; rebuild the plugin against kernel 0.1.0",
            "warning: plugin file \(dir)/b5-WrongFingerprint.so has build fingerprint abi1-swift6.3-built-from-other-kernel-source but this Souk expects \(PluginABI.fingerprintText): it was built with another compiler or kernel source; rebuild it against this kernel",
            "warning: plugin file \(dir)/c-empty.so is empty; rebuild or copy it again",
            "warning: plugin file \(dir)/d-random.so is not an ELF shared library (bad magic number); a plugin is the .so built from its entry target",
            "warning: plugin file \(dir)/e-truncated.so is truncated: its section headers run past the end of the file (\(good.count / 3) bytes)",
            "warning: plugin file \(dir)/f-executable.so is an executable, not a shared library; build the plugin's .dynamic library product",
            "warning: plugin file \(dir)/g-notplugin.so is a shared library but not a Souk plugin: it exports no souk_plugin_abi_version symbol; build it with a plugin entry target (docs/plugins.md)",
            "warning: plugin 'fx-future' 1.0.0 (\(dir)/b2-Incompatible.so) requires kernel >=7.0.0 <8.0.0 but this kernel is 0.1.0; rebuild the plugin against kernel 0.1.0",
            "warning: plugin id 'giftwrap' from \(dir)/b4-Duplicate.so is already registered (\(dir)/a-giftwrap.so); remove one of them",
            "warning: plugin 'fx-throwing' (\(dir)/b0-Throwing.so) failed to register: database of fixture not reachable",
            "warning: plugin 'fx-needy' (\(dir)/b1-MissingDependency.so) depends on 'fx-absent', which is not loaded; install or enable that plugin first",
        ]
        XCTAssertEqual(warnings, expected)
        XCTAssertTrue(result.stdout.contains(#""id":"giftwrap""#), "the good plugin still loads")
        XCTAssertFalse(result.stdout.contains("fx-throwing"), "nothing of a plugin whose init failed stays registered")
        XCTAssertEqual(try souk.run(["--as", "op@souk.test", "--plugins", dir, "fx-throwing", "ping"]).status, 2)
        // inspect and install give the same message for one file, and install copies nothing.
        let inspect = try souk.run(["plugin", "inspect", dir + "/e-truncated.so"])
        XCTAssertEqual(inspect.status, 11)
        XCTAssertEqual(inspect.stderr, "error: plugin file \(dir)/e-truncated.so is truncated: its section headers run past the end of the file (\(good.count / 3) bytes)\n")
        let missing = try souk.run(["plugin", "inspect", dir + "/nope.so"])
        XCTAssertEqual(missing.stderr, "error: plugin file \(dir)/nope.so cannot be read: No such file or directory; check the path\n")
        let install = try souk.run(["--as", "op@souk.test", "plugin", "install", fixture("Incompatible")])
        XCTAssertEqual(install.status, 11)
        XCTAssertFalse(manager.fileExists(atPath: souk.data + "/plugins/fx-future.so"))
    }
}

/// Every in-tree plugin also ships as its own `.so`; loading one into the stock host, which
/// links the same plugin statically, is refused by id.
final class InTreePluginLibraryTests: XCTestCase {
    func testEachInTreePluginBuildsAsASharedObjectAndIsRefusedAsADuplicate() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: [], dynamic: true)
        for (product, id) in [("Catalog", "catalog"), ("Customers", "customers"), ("Orders", "orders"),
                              ("Payment", "payment"), ("Shipping", "shipping"), ("Inventory", "inventory")] {
            let file = SoukProcess.buildFolder + "/libSouk\(product).so"
            let inspected = try JSON.decode(try souk.ok(["--json", "plugin", "inspect", file]).stdout)
            XCTAssertEqual(inspected["id"], .string(id))
            XCTAssertEqual(inspected["compatible"], true)
            XCTAssertFalse(inspected["operations"]?.stringValue?.isEmpty ?? true)
            let refused = try souk.run(["--as", "op@souk.test", "plugin", "install", file])
            XCTAssertEqual(refused.status, 11)
            XCTAssertEqual(refused.stderr, "error: plugin id '\(id)' from \(file) is already registered (built in); remove one of them\n")
        }
    }
}
