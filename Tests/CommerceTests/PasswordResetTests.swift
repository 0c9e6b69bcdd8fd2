import Foundation
import XCTest
import Kernel
import KernelTesting

/// What a notifier plugin emailed: one entry per minted link.
final class ResetMailbox: @unchecked Sendable {
    struct Mail { let email: String; let resetID: Int64; let token: String }
    private let lock = NSLock()
    private var mails: [Mail] = []

    func post(_ mail: Mail) { lock.lock(); mails.append(mail); lock.unlock() }
    var all: [Mail] { lock.lock(); defer { lock.unlock() }; return mails }
}

/// A notifier as a shop would install one: it subscribes to the reset event, mints the
/// link's token through the Customers operation and "emails" it (into the mailbox).
final class ResetNotifierPlugin: Plugin {
    let mailbox = ResetMailbox()
    let manifest = PluginManifest(id: "testmail", name: "Test mail", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version), summary: "emails reset links into a mailbox")

    func register(_ registrar: PluginRegistrar) throws {
        let mailbox = self.mailbox
        try registrar.subscribe(Hooks.customerPasswordResetRequested, name: "reset-link") { event, scope in
            let link = try scope.perform("customers.password.reset_token", ["reset": .int(event.resetID)])
            mailbox.post(.init(email: event.email, resetID: event.resetID, token: link["token"]!.stringValue!))
        }
    }
}

/// `customers.password.reset_link`, `storefront.account.request_reset` and
/// `storefront.account.reset_password`, with a notifier installed.
final class PasswordResetTests: StorefrontTestCase {
    let notifier = ResetNotifierPlugin()
    override var extraPlugins: [any Plugin] { [notifier] }
    var mails: [ResetMailbox.Mail] { notifier.mailbox.all }
    static let newPassword = "a brand new passphrase"

    func reset(_ token: String, _ password: String = newPassword, session: String? = nil) throws -> Value {
        try shop("storefront.account.reset_password", ["token": .string(token), "password": .string(password)], token: session)
    }

    func signIn(_ email: String, _ password: String = newPassword) throws -> String {
        try shop("storefront.account.sign_in", ["email": .string(email), "password": .string(password)])["token"]!.stringValue!
    }

    func resetRows() throws -> Int { try count("SELECT COUNT(*) AS n FROM customers_password_resets") }

    func testStaffLinkLetsAStaffCreatedCustomerSetAPasswordAndSignIn() throws {
        let bob = try staff("customers.create", ["email": "bob@example.com", "name": "Bob"], as: .clerk)["id"]!.intValue!
        XCTAssertEqual(refusal("storefront.account.sign_in", ["email": "bob@example.com", "password": .string(Self.newPassword)])?.code,
                       .unauthenticated, "no password yet")

        let answer = try staff("customers.password.reset_link", ["email": "Bob@Example.com"], as: .clerk)
        XCTAssertEqual(answer["customer"], .int(bob))
        XCTAssertNil(answer["token"], "staff never see the token")
        XCTAssertFalse(JSON.encode(answer).contains("reset_"))
        XCTAssertEqual(mails.count, 1)
        let mail = try XCTUnwrap(mails.first)
        XCTAssertEqual(mail.email, "bob@example.com")
        XCTAssertEqual(answer["reset"], .int(mail.resetID))
        XCTAssertTrue(mail.token.hasPrefix("reset_"))

        let signedIn = try reset(mail.token)
        XCTAssertEqual(signedIn["customer"]?["id"], .int(bob))
        let session = try XCTUnwrap(signedIn["token"]?.stringValue)
        XCTAssertEqual(try shop("storefront.account.show", token: session)["email"], "bob@example.com")
        XCTAssertNotNil(signedIn["expires_at"]?.stringValue)
        XCTAssertNoThrow(try signIn("bob@example.com"))

        // By id as well; a customer without an email cannot get a link.
        XCTAssertNoThrow(try staff("customers.password.reset_link", ["customer": .int(bob)]))
        let phoneOnly = try staff("customers.create", ["phone": "+33 6 12 34 56 78"])["id"]!.intValue!
        XCTAssertEqual(try XCTUnwrap({ () -> KernelError? in
            do { try staff("customers.password.reset_link", ["customer": .int(phoneOnly)]); return nil } catch { return error as? KernelError }
        }()).code, .invalidInput)
        // Warehouse staff may not send links; nobody but a notifier may mint a token.
        XCTAssertThrowsError(try staff("customers.password.reset_link", ["customer": .int(bob)], as: .warehouse)) {
            XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied)
        }
        XCTAssertThrowsError(try staff("customers.password.reset_token", ["reset": .int(mail.resetID)], as: .owner)) {
            XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied)
        }
        XCTAssertEqual(try audit("customers.password.reset_link").map(\.entity).prefix(2), ["customer:\(bob)", "customer:\(bob)"])
    }

    func testRequestForAnUnknownEmailAnswersTheSameAndWritesNoToken() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        let unknown = try requestReset(["email": "nobody@example.com"])
        XCTAssertEqual(try resetRows(), 0)
        XCTAssertTrue(mails.isEmpty)
        // The link goes out on the next delivery pass, not inside the request: the answer
        // for a known address does not wait for the notifier.
        let known = try shop("storefront.account.request_reset", ["email": "BOB@example.com"])
        XCTAssertTrue(mails.isEmpty, "delivered before the answer")
        kernel.deliverPendingEvents()
        XCTAssertEqual(known, unknown, "no account enumeration")
        XCTAssertFalse(JSON.encode(known).contains("reset_"), "the token is never in the answer")
        XCTAssertEqual(try resetRows(), 1)
        XCTAssertEqual(mails.map(\.email), ["bob@example.com"])
        // A second request within a minute sends nothing new, and still answers the same.
        XCTAssertEqual(try requestReset(["email": "bob@example.com"]), unknown)
        XCTAssertEqual(mails.count, 1)
        harness.clock.advance(by: 61)
        XCTAssertEqual(try requestReset(["email": "bob@example.com"]), unknown)
        XCTAssertEqual(mails.count, 2)
    }

    func testATokenWorksOnce() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        try requestReset(["email": "bob@example.com"])
        let token = try XCTUnwrap(mails.last?.token)
        XCTAssertNoThrow(try reset(token))
        let again = refusal("storefront.account.reset_password", ["token": .string(token), "password": "another fine password"])
        XCTAssertEqual(again?.code, .unauthenticated)
        XCTAssertEqual(again?.message, invalidResetLink)
        XCTAssertNoThrow(try signIn("bob@example.com"), "the refused second use changed nothing")
        let wrong = refusal("storefront.account.reset_password", ["token": "reset_0123", "password": .string(Self.newPassword)])
        XCTAssertEqual(wrong?.message, invalidResetLink)
        XCTAssertEqual(try audit("storefront.account.reset_password").map(\.outcome), ["ok", "denied", "denied"])
        // The minting operation refuses a second mint of the same request.
        XCTAssertThrowsError(try kernel.perform("customers.password.reset_token", input: ["reset": .int(mails.last!.resetID)],
                                                context: OperationContext(shop: try shopRef(), actor: .system,
                                                                          permissions: [], clock: harness.clock))) {
            XCTAssertEqual(($0 as? KernelError)?.code, .conflict)
        }
    }

    func testAnExpiredTokenIsRefused() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        let token = try XCTUnwrap(mails.last?.token)
        harness.clock.advance(by: 2 * 60 * 60)
        let error = refusal("storefront.account.reset_password", ["token": .string(token), "password": .string(Self.newPassword)])
        XCTAssertEqual(error?.code, .unauthenticated)
        XCTAssertEqual(error?.message, invalidResetLink)
    }

    func testANewerLinkRevokesTheEarlierOnes() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        XCTAssertEqual(mails.count, 2)
        XCTAssertEqual(refusal("storefront.account.reset_password", ["token": .string(mails[0].token), "password": .string(Self.newPassword)])?
            .message, invalidResetLink)
        XCTAssertNoThrow(try reset(mails[1].token))
        // Changing the email address revokes a link on its way to the old one.
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        let id = try count("SELECT id AS n FROM customers_accounts WHERE email = 'bob@example.com'")
        try staff("customers.update", ["id": .int(Int64(id)), "email": "robert@example.com"])
        XCTAssertEqual(refusal("storefront.account.reset_password", ["token": .string(mails[2].token), "password": "yet another password"])?
            .code, .unauthenticated)
    }

    func testAResetEndsEveryOtherSessionAndLiftsTheLockOut() throws {
        let guestCart = try guest()
        let (first, id) = try register("ada@example.com")
        let second = try signIn("ada@example.com", Self.password)
        for _ in 0..<5 { _ = refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": "wrong password"]) }
        XCTAssertEqual(refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)])?.code,
                       .accountLocked)

        try requestReset(["email": "ada@example.com"])
        let answer = try reset(try XCTUnwrap(mails.last?.token), session: guestCart)
        for stolen in [first, second] {
            XCTAssertEqual(refusal("storefront.account.show", token: stolen)?.code, .unauthenticated)
        }
        XCTAssertEqual(refusal("storefront.session.show", token: guestCart)?.code, .unauthenticated, "the guest session became the customer's")
        XCTAssertEqual(try shop("storefront.account.show", token: answer["token"]!.stringValue!)["id"], .int(id))
        XCTAssertNoThrow(try signIn("ada@example.com"), "the lock-out is lifted")
        XCTAssertEqual(refusal("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)])?.code,
                       .unauthenticated, "the old password is gone")
    }

    func testAWeakPasswordIsRefusedAndTheTokenStillWorks() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        let token = try XCTUnwrap(mails.last?.token)
        let weak = refusal("storefront.account.reset_password", ["token": .string(token), "password": "short"])
        XCTAssertEqual(weak?.code, .invalidInput)
        XCTAssertEqual(weak?.field, "password")
        XCTAssertNoThrow(try reset(token))
    }

    func testNoSecretRestsInTheDatabase() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        try staff("customers.password.reset_link", ["email": "bob@example.com"])
        let staffToken = try XCTUnwrap(mails.last?.token)
        // A guest with an idempotency key: the answer holds a session token and is not kept.
        let first = try kernel.perform("storefront.account.reset_password",
                                       input: ["token": .string(staffToken), "password": .string(Self.password)],
                                       context: try visitor(try guest(), key: "reset-1"))
        try requestReset(["email": "bob@example.com"])
        let shopperToken = try XCTUnwrap(mails.last?.token)
        let answer = try reset(shopperToken)
        let sessions = [try XCTUnwrap(first["token"]?.stringValue), try XCTUnwrap(answer["token"]?.stringValue)]
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM souk_idempotency"), 0)

        let text = try kernel.store.read { tx -> String in
            var text = ""
            for table in try tx.query("SELECT name FROM sqlite_master WHERE type = 'table'").map({ try $0.string("name") }) {
                for row in try tx.query("SELECT * FROM \"\(table)\"") {
                    for value in row.values {
                        if case .text(let string) = value { text += string + "\n" }
                        if case .blob(let bytes) = value { text += String(decoding: bytes, as: UTF8.self) + "\n" }
                    }
                }
            }
            return text
        }
        XCTAssertTrue(text.contains(SHA256.hex(shopperToken)), "the scan sees the reset table")
        for secret in [staffToken, shopperToken, Self.password, Self.newPassword] + sessions {
            XCTAssertFalse(text.contains(secret), "a secret rests in the database")
        }
        let payloads = try kernel.store.read { tx in
            try tx.query("SELECT payload FROM souk_outbox WHERE event = ?", [Hooks.customerPasswordResetRequested.name]).map { try $0.string("payload") }
        }
        XCTAssertEqual(payloads.count, 2)
        XCTAssertTrue(payloads.allSatisfy { $0.contains("resetID") && !$0.contains("reset_") })
    }

    func shopRef() throws -> ShopRef {
        try XCTUnwrap(try visitor().shop)
    }
}

/// The refusal message of a wrong, expired, used or replaced token.
let invalidResetLink = "this password-reset link is invalid or has expired; ask for a new one"

/// Without a notifier nobody could deliver a link: staff are told, shoppers are not.
final class PasswordResetWithoutNotifierTests: StorefrontTestCase {
    func testStaffAreToldNoNotifierDeliversLinks() throws {
        try staff("customers.create", ["email": "bob@example.com"])
        XCTAssertThrowsError(try staff("customers.password.reset_link", ["email": "bob@example.com"])) {
            XCTAssertEqual(($0 as? KernelError)?.code, .conflict)
        }
        let known = try requestReset(["email": "bob@example.com"])
        XCTAssertEqual(known, try requestReset(["email": "nobody@example.com"]))
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM souk_outbox"), 0)
    }
}

extension StorefrontTestCase {
    /// The self-service request, then the delivery pass a running host makes within a
    /// second (the request defers it so that its answer takes as long for any address).
    @discardableResult
    func requestReset(_ input: Value.Object) throws -> Value {
        let answer = try shop("storefront.account.request_reset", input)
        kernel.deliverPendingEvents()
        return answer
    }
}
