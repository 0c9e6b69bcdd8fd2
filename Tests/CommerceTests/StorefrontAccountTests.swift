import XCTest
import Kernel
import KernelTesting

/// `storefront.account.*`: registering, signing in (with lock-out), the customer's own profile.
final class StorefrontAccountTests: StorefrontTestCase {
    func testRegisterStartsACustomerSessionWhoseTokenWorks() throws {
        let answer = try shop("storefront.account.register", ["email": " Ada@Example.com ", "name": "Ada", "password": .string(Self.password)])
        XCTAssertEqual(answer["customer"]?["email"], "ada@example.com")
        XCTAssertNil(answer["customer"]?["groups"], "staff segmentation stays in the back office")
        let token = try XCTUnwrap(answer["token"]?.stringValue)
        XCTAssertTrue(token.hasPrefix(ShopperSession.tokenPrefix))
        XCTAssertNotNil(answer["expires_at"]?.stringValue)
        let id = try XCTUnwrap(answer["customer"]?["id"]?.intValue)

        XCTAssertEqual(try shop("storefront.session.show", token: token)["customer"], .int(id))
        XCTAssertEqual(try shop("storefront.account.show", token: token)["name"], "Ada")
        // Staff see the new customer, without any trace of the password.
        let seen = try staff("customers.show", ["id": .int(id)])
        XCTAssertEqual(seen["email"], "ada@example.com")
        XCTAssertFalse(JSON.encode(seen).contains("$"))
        let hash = try kernel.store.read { try $0.query("SELECT password_hash FROM customers_accounts WHERE id = ?", [id])[0].string("password_hash") }
        XCTAssertFalse(hash.contains(Self.password))
        XCTAssertFalse(try kernel.store.read { try $0.query("SELECT change FROM souk_audit")
            .map { try $0.string("change") }.joined() }.contains(Self.password), "the password is never audited")

        // Sign-out is the kernel's session end: the token stops working.
        try shop("storefront.session.end", token: token)
        XCTAssertEqual(refusal("storefront.account.show", token: token)?.code, .unauthenticated)
    }

    func testDuplicateEmailIsAConflictThatTellsNothingMore() throws {
        _ = try register("ada@example.com")
        // A customer created by staff has no password: same answer.
        try staff("customers.create", ["email": "bob@example.com", "name": "Bob"])
        for email in ["ADA@example.com", "bob@example.com"] {
            let error = refusal("storefront.account.register", ["email": .string(email), "password": .string(Self.password)])
            XCTAssertEqual(error?.code, .conflict)
            XCTAssertEqual(error?.message, "an account with this email address already exists in this shop; sign in instead")
        }
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM customers_accounts"), 2)
        XCTAssertEqual(refusal("storefront.account.register", ["email": "eve@example.com", "password": "short"])?.field, "password")
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM customers_accounts"), 2, "a weak password creates nothing")
    }

    func testSignInWithWrongPasswordOrEmailGetsOneMessageAndFiveFailuresLockTheAccount() throws {
        let (_, id) = try register("ada@example.com")
        try staff("customers.create", ["email": "bob@example.com"])
        let wrongEmail = refusal("storefront.account.sign_in", ["email": "nobody@example.com", "password": .string(Self.password)])
        let noPassword = refusal("storefront.account.sign_in", ["email": "bob@example.com", "password": .string(Self.password)])
        let wrongPassword = refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": "not the password"])
        for error in [wrongEmail, noPassword, wrongPassword] {
            XCTAssertEqual(error?.code, .unauthenticated)
            XCTAssertEqual(error?.message, "wrong email or password")
        }
        // The failure was counted although the operation was refused, and audited.
        func failures() throws -> Int {
            try count("SELECT failed_sign_ins AS n FROM customers_accounts WHERE id = \(id)")
        }
        XCTAssertEqual(try failures(), 1)
        XCTAssertEqual(try audit("storefront.account.sign_in").last?.outcome, "denied")
        XCTAssertEqual(try audit("storefront.account.sign_in").last?.entity, "customer:\(id)")

        // A success resets the count.
        let signedIn = try shop("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)])
        XCTAssertEqual(signedIn["customer"]?["id"], .int(id))
        XCTAssertEqual(try failures(), 0)

        for _ in 1...5 {
            XCTAssertEqual(refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": "nope nope"])?.code, .unauthenticated)
        }
        let locked = refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)])
        XCTAssertEqual(locked?.code, .accountLocked, "even the right password waits")
        harness.clock.advance(by: 15 * 60 + 1)
        XCTAssertNoThrow(try shop("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)]))
    }

    func testTheCustomerChangesOnlyTheirOwnProfileAndAddresses() throws {
        let ada = try register("ada@example.com")
        let bob = try register("bob@example.com", name: "Bob")
        let updated = try shop("storefront.account.update", ["name": "Ada L.", "phone": "+33 6 12 34 56 78"], token: ada.token)
        XCTAssertEqual(updated["name"], "Ada L.")
        XCTAssertEqual(updated["phone"], "+33 6 12 34 56 78")
        XCTAssertEqual(refusal("storefront.account.update", ["phone": "+33612345678"], token: bob.token)?.code, .conflict)
        XCTAssertEqual(refusal("storefront.account.update", [:], token: ada.token)?.code, .invalidInput)

        try shop("storefront.account.address.add", ["line1": "1 rue de la Paix", "city": "Paris", "country": "fr"], token: ada.token)
        let mine = try shop("storefront.account.addresses", token: ada.token).arrayValue!
        XCTAssertEqual(mine.count, 1)
        XCTAssertEqual(mine[0]["customer"], .int(ada.id))
        XCTAssertEqual(mine[0]["name"], "Ada L.")
        XCTAssertEqual(try shop("storefront.account.addresses", token: bob.token), [])
        XCTAssertEqual(try staff("customers.show", ["id": .int(bob.id)])["name"], "Bob")

        // Audited with the customer as the actor.
        XCTAssertEqual(try audit("storefront.account.update").map(\.actor), ["customer:\(ada.id)"])
        XCTAssertEqual(try audit("storefront.account.address.add").map(\.actor), ["customer:\(ada.id)"])
        XCTAssertEqual(try audit("storefront.account.register").map(\.actor), ["anonymous", "anonymous"])

        // Guests and anonymous visitors have no account.
        XCTAssertEqual(refusal("storefront.account.show", token: try guest())?.code, .permissionDenied)
        XCTAssertEqual(refusal("storefront.account.show")?.code, .unauthenticated)
    }

    func testTokensOfAnotherShopOrExpiredAreRefused() throws {
        let ada = try register("ada@example.com")
        try harness.addShop("south")
        XCTAssertThrowsError(try kernel.shopperContext(token: ada.token, shopCode: "south")) {
            XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated)
        }
        // A customer of one shop is unknown in another: accounts are per shop.
        XCTAssertThrowsError(try kernel.perform("storefront.account.sign_in", input: ["email": "ada@example.com", "password": .string(Self.password)],
                                                context: try kernel.shopperContext(token: nil, shopCode: "south"))) {
            XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated)
        }
        harness.clock.advance(by: Double(ShopperSession.lifetimeMillis / 1000) + 1)
        XCTAssertThrowsError(try visitor(ada.token)) { XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated) }
    }
}
