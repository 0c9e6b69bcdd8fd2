import XCTest
import Kernel
import KernelTesting

final class AccessTests: XCTestCase {
    var harness: KernelHarness!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [NotesPlugin()])
        _ = try harness.fixtureShop("alpha")
        _ = try harness.fixtureShop("beta")
    }

    private func auditCount(_ outcome: String) throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM souk_audit WHERE outcome = ?", [outcome])[0].int("n") }
    }

    func testClerkOfOneShopCannotReadOrChangeAnother() throws {
        let betaClerk = try harness.context(as: "clerk@beta.test", shop: "alpha")
        XCTAssertThrowsError(try kernel.perform("shop.show", context: betaClerk)) {
            XCTAssertEqual(($0 as! KernelError).message, "clerk@beta.test lacks permission 'shop.read' in shop 'alpha'")
        }
        let denials = try auditCount("denied")
        XCTAssertThrowsError(try kernel.perform("notes.add", input: ["text": "hi"], context: betaClerk)) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        XCTAssertEqual(try auditCount("denied"), denials + 1, "a denial is audited")
        let denial = try kernel.perform("audit.list", input: ["outcome": "denied", "limit": 1], context: try harness.operatorContext(shop: "alpha"))
        XCTAssertEqual(denial["items"]?.arrayValue?.first?["operation"], "notes.add")
        XCTAssertEqual(denial["items"]?.arrayValue?.first?["actor"]?.stringValue?.hasSuffix("clerk@beta.test"), true)
        // Nothing was written by the refused call, and beta's clerk works in beta.
        XCTAssertEqual(try kernel.perform("notes.count", context: try harness.operatorContext(shop: "alpha")), .int(0))
        try kernel.perform("notes.add", input: ["text": "hi"], context: try harness.context(as: "clerk@beta.test", shop: "beta"))
        XCTAssertEqual(try kernel.perform("notes.count", context: try harness.operatorContext(shop: "alpha")), .int(0))
        XCTAssertEqual(try kernel.perform("notes.count", context: try harness.operatorContext(shop: "beta")), .int(1))
    }

    func testOneStaffMemberHoldsDifferentRolesInDifferentShops() throws {
        try harness.addStaff("sam@x.test", role: "owner", shop: "alpha")
        try kernel.perform("staff.grant", input: ["email": "sam@x.test", "role": "clerk"], context: try harness.operatorContext(shop: "beta"))
        try kernel.perform("shop.update", input: ["name": "Alpha Prime"], context: try harness.context(as: "sam@x.test", shop: "alpha"))
        XCTAssertThrowsError(try kernel.perform("shop.update", input: ["name": "Beta Prime"], context: try harness.context(as: "sam@x.test", shop: "beta")))
        XCTAssertEqual(try kernel.perform("shop.show", context: try harness.operatorContext(shop: "beta"))["name"], "Shop beta")
    }

    func testNobodyGrantsWhatTheyDoNotHold() throws {
        // A custom role that may manage staff but holds little else.
        try kernel.perform("role.create", input: ["name": "hr", "permissions": ["staff.manage", "staff.read", "shop.read"]],
                           context: try harness.operatorContext(shop: "alpha"))
        try harness.addStaff("hr@x.test", role: "hr", shop: "alpha")
        let hr = try harness.context(as: "hr@x.test", shop: "alpha")
        XCTAssertThrowsError(try kernel.perform("staff.grant", input: ["email": "clerk@beta.test", "role": "owner"], context: hr)) {
            XCTAssertTrue(($0 as! KernelError).message.hasPrefix("you cannot grant role 'owner' in shop 'alpha': you do not hold"), "\($0)")
        }
        XCTAssertThrowsError(try kernel.perform("role.create", input: ["name": "sneaky", "permissions": ["shop.update"]], context: hr)) {
            XCTAssertEqual(($0 as! KernelError).code, .permissionDenied)
        }
        // What hr does hold, hr may grant.
        try kernel.perform("staff.grant", input: ["email": "clerk@beta.test", "role": "hr"], context: hr)
        let members = try kernel.perform("staff.list", context: hr)["items"]?.arrayValue ?? []
        XCTAssertTrue(members.contains { $0["email"] == "clerk@beta.test" && $0["roles"] == "hr" })
    }

    func testRoleChangesTakeEffectImmediately() throws {
        let owner = try harness.context(as: "owner@alpha.test", shop: "alpha")
        try kernel.perform("role.create", input: ["name": "writer", "permissions": ["notes.write"]], context: owner)
        try harness.addStaff("w@x.test", role: "writer", shop: "alpha")
        let writer = try harness.context(as: "w@x.test", shop: "alpha")
        try kernel.perform("notes.add", input: ["text": "first"], context: try harness.context(as: "w@x.test", shop: "alpha"))
        try kernel.perform("role.update", input: ["name": "writer", "permissions": ["shop.read"]], context: owner)
        // A context built after the change sees it at once.
        XCTAssertThrowsError(try kernel.perform("notes.add", input: ["text": "second"], context: try harness.context(as: "w@x.test", shop: "alpha")))
        _ = writer
        try kernel.perform("staff.revoke", input: ["email": "w@x.test", "role": "writer"], context: owner)
        XCTAssertThrowsError(try kernel.perform("shop.show", context: try harness.context(as: "w@x.test", shop: "alpha")))
    }

    func testLockOutAfterFiveFailedSignIns() throws {
        for _ in 1...4 {
            XCTAssertThrowsError(try kernel.verifyPassword(email: "clerk@alpha.test", password: "wrong")) {
                XCTAssertEqual(($0 as! KernelError).code, .unauthenticated)
            }
        }
        XCTAssertNoThrow(try kernel.verifyPassword(email: "clerk@alpha.test", password: KernelHarness.password), "a success resets the count")
        for _ in 1...5 { _ = try? kernel.verifyPassword(email: "clerk@alpha.test", password: "wrong") }
        XCTAssertThrowsError(try kernel.verifyPassword(email: "clerk@alpha.test", password: KernelHarness.password)) {
            XCTAssertEqual(($0 as! KernelError).code, .accountLocked)
            XCTAssertTrue(($0 as! KernelError).message.hasPrefix("account clerk@alpha.test is locked after 5 failed sign-ins until "))
        }
        harness.clock.advance(by: 16 * 60)
        XCTAssertNoThrow(try kernel.verifyPassword(email: "clerk@alpha.test", password: KernelHarness.password))
    }

    func testSessionTokensAreStoredHashedAndExpire() throws {
        let session = try kernel.signIn(email: "owner@alpha.test", password: KernelHarness.password)
        XCTAssertEqual(try kernel.authenticate(token: session.token).email, "owner@alpha.test")
        let stored = try kernel.store.read { try $0.query("SELECT token_hash FROM souk_sessions").map { try $0.string("token_hash") } }
        XCTAssertFalse(stored.contains(session.token))
        XCTAssertTrue(stored.contains(SHA256.hex(session.token)))
        let hashes = try kernel.store.read { try $0.query("SELECT password_hash FROM souk_staff").map { try $0.string("password_hash") } }
        XCTAssertFalse(hashes.contains(KernelHarness.password))
        harness.clock.advance(by: 13 * 3600)
        XCTAssertThrowsError(try kernel.authenticate(token: session.token)) { XCTAssertEqual(($0 as! KernelError).code, .unauthenticated) }
    }

    func testBadInputIsRefusedByNameAndWritesNothing() throws {
        let platform = try harness.operatorContext()
        func refuse(_ input: Value.Object, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try kernel.perform("shop.create", input: input, context: platform), file: file, line: line) {
                XCTAssertEqual(($0 as! KernelError).message, message, file: file, line: line)
            }
        }
        refuse(["code": "gamma", "name": "G", "currency": "EURO"], "'EURO' is not an ISO 4217 currency code (e.g. EUR, USD, JPY)")
        refuse(["code": "gamma", "name": "G", "currency": "EUR", "timezone": "Mars/Olympus"], "'Mars/Olympus' is not an IANA time zone (e.g. Europe/Paris, UTC)")
        refuse(["code": "gamma", "name": "G", "currency": "EUR", "email": "not-an-email"], "'not-an-email' is not a valid email address")
        refuse(["code": "Gamma!", "name": "G", "currency": "EUR"], "'Gamma!' is not a valid code: use 1-32 lower-case letters, digits, '-' or '_', starting with a letter")
        refuse(["code": "alpha", "name": "G", "currency": "EUR"], "a shop with code 'alpha' already exists")
        refuse(["name": "G", "currency": "EUR"], "missing required field 'code' for shop.create")
        refuse(["code": "gamma", "name": "G", "currency": "EUR", "colour": "red"],
               "unknown field 'colour' for shop.create (fields: code, name, currency, timezone, phone, email, address, business_hours, logo_url, description)")
        XCTAssertEqual(try kernel.perform("shop.list", context: platform)["items"]?.arrayValue?.count, 2)
        XCTAssertThrowsError(try kernel.perform("shop.show", context: try harness.operatorContext(shop: "nope"))) // context fails
        XCTAssertThrowsError(try harness.context(as: "owner@alpha.test", shop: "nope")) {
            XCTAssertEqual(($0 as! KernelError).code, .notFound)
        }
    }

    func testIdempotencyKeyReturnsTheFirstResult() throws {
        var context = try harness.context(as: "clerk@alpha.test", shop: "alpha")
        context.idempotencyKey = "note-1"
        let first = try kernel.perform("notes.add", input: ["text": "once"], context: context)
        let second = try kernel.perform("notes.add", input: ["text": "once"], context: context)
        XCTAssertEqual(first, second)
        XCTAssertEqual(try kernel.perform("notes.count", context: context), .int(1))
        XCTAssertThrowsError(try kernel.perform("notes.add", input: ["text": "other"], context: context)) {
            XCTAssertEqual(($0 as! KernelError).code, .conflict)
        }
    }
}
