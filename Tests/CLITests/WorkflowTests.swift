import XCTest
import Kernel
import KernelTesting

final class WorkflowTests: XCTestCase {
    func testOnePersonWithDifferentRolesInTwoShops() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north", "south"])
        let asOp = ["--as", "op@souk.test"]
        try souk.ok(asOp + ["staff", "add", "--email", "Rita@Souk.test", "--name", "Rita"], env: ["SOUK_NEW_PASSWORD": "rita-pass-1"])
        try souk.ok(asOp + ["staff", "grant", "--shop", "north", "--email", "rita@souk.test", "--role", "owner"])
        try souk.ok(asOp + ["staff", "grant", "--shop", "south", "--email", "rita@souk.test", "--role", "clerk"])
        let token = try souk.ok(["login", "--email", "rita@souk.test"], env: ["SOUK_PASSWORD": "rita-pass-1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(token.hasPrefix("souk_"))
        let rita = ["--token", token]
        let updated = try souk.ok(rita + ["shop", "update", "--shop", "north", "--name", "North Hall", "--logo-url", "https://x.test/l.png"])
        XCTAssertTrue(updated.stdout.contains("name            North Hall\n"), updated.stdout)
        let denied = try souk.run(rita + ["shop", "update", "--shop", "south", "--name", "Mine"])
        XCTAssertEqual(denied.status, 6)
        XCTAssertEqual(denied.stderr, "error: rita@souk.test lacks permission 'shop.update' in shop 'south'\n")
        let shops = try souk.ok(rita + ["shop", "list"])
        XCTAssertEqual(shops.stdout, """
            CODE   NAME        CURRENCY  TIMEZONE
            north  North Hall  EUR       UTC
            south  Shop south  EUR       UTC

            """)
        let audit = try souk.ok(asOp + ["--json", "audit", "list", "--shop", "south", "--outcome", "denied"])
        XCTAssertTrue(audit.stdout.contains(#""operation":"shop.update""#) && audit.stdout.contains("rita@souk.test"), audit.stdout)
        let verify = try souk.ok(asOp + ["audit", "verify"])
        XCTAssertTrue(verify.stdout.contains("north     ") && !verify.stdout.contains("BROKEN"), verify.stdout)
    }

    func testConcurrentProcessesLoseNoWrites() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"])
        let token = try souk.ok(["login", "--email", "op@souk.test"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let writers = 4, each = 8
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for index in 0..<each {
                let result = try? souk.run(["--token", token, "role", "create", "--shop", "north", "--name", "r\(writer)-\(index)",
                                            "--permissions", "shop.read"])
                XCTAssertEqual(result?.status, 0, result?.stderr ?? "did not run")
            }
        }
        let roles = try souk.ok(["--token", token, "--json", "role", "list", "--shop", "north"]).stdout
        let custom = try JSON.decode(roles).arrayValue?.filter { $0["kind"] == "custom" }.count
        XCTAssertEqual(custom, writers * each)
        let verify = try souk.ok(["--token", token, "--json", "audit", "verify", "--shop", "north"]).stdout
        XCTAssertTrue(verify.contains(#""entries":\#(writers * each)"#) && verify.contains(#""status":"ok""#), verify)
    }

    func testDemoBuildsAndRebuildsItsFolder() throws {
        let folder = try TemporaryDirectory()
        let souk = SoukProcess(data: folder.file("demo"))
        for _ in 0..<2 {
            let result = try souk.ok(["demo"])
            XCTAssertTrue(result.stdout.hasPrefix("Souk demo ready.\n"))
            XCTAssertTrue(result.stdout.contains("bruno tried to rename north and was refused (audited)"))
        }
        let verify = try souk.ok(["--as", "dana@demo.souk", "audit", "list", "--shop", "south", "--json"], env: ["SOUK_PASSWORD": "demo-password"])
        XCTAssertTrue(verify.stdout.contains("staff.grant"))
        let other = SoukProcess(data: folder.path)
        _ = FileManager.default.createFile(atPath: folder.file("keep.txt"), contents: Data("mine".utf8))
        let refused = try other.run(["demo"])
        XCTAssertEqual(refused.status, 5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("keep.txt")))
    }
}
