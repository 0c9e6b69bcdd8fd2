import XCTest
import Kernel
import KernelTesting
import Customers

/// Test-only plugin: runs the checkout guards on an empty cart from an operation of its own
/// (so no Orders plugin is needed) and records `customers.created` events.
final class CustomersCheckoutProbe: Plugin {
    let manifest = PluginManifest(id: "probe", name: "Probe", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
    let created = HookRecorder()

    func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(OperationSpec(
            name: "probe.checkout", summary: "Run the checkout guards for a customer",
            fields: [Field("customer", .int, required: true, help: "customer id")],
            permission: "shop.read", mutates: false
        ) { scope in
            try scope.check(Hooks.checkoutValidate,
                            Cart(currency: Currency(code: "EUR")!, customerID: try scope.input.int("customer"), lines: []))
            return "passed"
        })
        try registrar.subscribe(CustomerEvents.created, name: "seen") { event, _ in
            self.created.add("\(event.customerID):\(event.email ?? "-"):\(event.phone ?? "-")")
        }
    }
}

final class CustomersTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var probe: CustomersCheckoutProbe!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        probe = CustomersCheckoutProbe()
        harness = try KernelHarness(plugins: [CustomersPlugin(), probe])
        shop = try harness.fixtureShop("a")
    }

    // MARK: Helpers

    func ctx(_ role: BuiltInRole, in shop: FixtureShop? = nil) throws -> OperationContext {
        let shop = shop ?? self.shop!
        return try harness.context(as: shop.email(role), shop: shop.code)
    }

    @discardableResult
    func run(_ name: String, _ input: Value.Object = [:], as role: BuiltInRole = .clerk, in shop: FixtureShop? = nil) throws -> Value {
        try kernel.perform(name, input: input, context: try ctx(role, in: shop))
    }

    @discardableResult
    func create(_ input: Value.Object, in shop: FixtureShop? = nil) throws -> Int64 {
        try run("customers.create", input, in: shop)["id"]!.intValue!
    }

    func count(_ table: String) throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM \(table)")[0].int("n") }
    }

    func ids(_ page: Value) -> [Int64] { page["items"]!.arrayValue!.map { $0["id"]!.intValue! } }

    func assertRefused(_ code: ErrorCode, _ message: String? = nil, field: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Value) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? KernelError else { return XCTFail("not a KernelError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, code, error.message, file: file, line: line)
            if let message { XCTAssertEqual(error.message, message, file: file, line: line) }
            if let field { XCTAssertEqual(error.field, field, file: file, line: line) }
        }
    }

    /// Audit entries of this shop, newest first.
    func auditEntries(entity: String? = nil, operation: String) throws -> [Value] {
        var input: Value.Object = ["operation": .string(operation)]
        if let entity { input["entity"] = .string(entity) }
        return try kernel.perform("audit.list", input: input, context: try ctx(.owner))["items"]!.arrayValue!
    }

    // MARK: Accounts

    func testCreateUpdateShowAndListWithSearchAndPages() throws {
        let alice = try run("customers.create", ["email": " Alice@Example.com ", "name": "Alice Martin"])
        XCTAssertEqual(alice.objectValue!.keys, ["id", "email", "phone", "name", "level", "groups", "points", "created_at"])
        XCTAssertEqual(alice["email"], "alice@example.com")
        XCTAssertEqual(alice["phone"], .null)
        XCTAssertEqual(alice["level"], "regular")
        XCTAssertEqual(alice["groups"], "")
        XCTAssertEqual(alice["points"], 0)
        XCTAssertEqual(alice["created_at"], .string(Validation.isoString(millis: harness.clock.millis)))
        let aliceID = alice["id"]!.intValue!
        let bobID = try create(["phone": "+33 6 12 34 56 78", "name": "Bob Durand", "level": "gold"])
        let carolID = try create(["email": "carol@example.com", "phone": "(555) 010-2030", "name": "Carol King"])
        let danID = try create(["email": "dan@shop.test", "name": "Dan Brown"])
        let eveID = try create(["email": "eve@example.com", "name": "Eve Martin"])

        XCTAssertEqual(try run("customers.show", ["id": .int(bobID)], as: .auditor),
                       ["id": .int(bobID), "email": nil, "phone": "+33 6 12 34 56 78", "name": "Bob Durand", "level": "gold",
                        "groups": "", "points": 0, "created_at": alice["created_at"]!])

        // Two pages of three, in id order, the cursor being the last id seen.
        let first = try run("customers.list", ["limit": 3])
        XCTAssertEqual(ids(first), [aliceID, bobID, carolID])
        XCTAssertEqual(first["next_cursor"], .int(carolID))
        let second = try run("customers.list", ["limit": 3, "cursor": first["next_cursor"]!])
        XCTAssertEqual(ids(second), [danID, eveID])
        XCTAssertEqual(second["next_cursor"], .null)
        XCTAssertEqual(ids(try run("customers.list")), [aliceID, bobID, carolID, danID, eveID], "default page holds all five")
        assertRefused(.invalidInput, "limit must be between 1 and 500, got 501", field: "limit") {
            try self.run("customers.list", ["limit": 501])
        }

        // Search in name, email and phone, any case; phone digits match whatever the spacing.
        XCTAssertEqual(ids(try run("customers.list", ["q": "MARTIN"])), [aliceID, eveID])
        XCTAssertEqual(ids(try run("customers.list", ["q": "example.com"])), [aliceID, carolID, eveID])
        XCTAssertEqual(ids(try run("customers.list", ["q": "612345"])), [bobID])
        XCTAssertEqual(ids(try run("customers.list", ["q": "010-2030"])), [carolID])
        XCTAssertEqual(ids(try run("customers.list", ["q": "nobody"])), [])
        XCTAssertEqual(ids(try run("customers.list", ["q": "%"])), [], "LIKE wildcards in the text are literal")
        let searchPage = try run("customers.list", ["q": "example", "limit": 2])
        XCTAssertEqual(ids(searchPage), [aliceID, carolID])
        XCTAssertEqual(ids(try run("customers.list", ["q": "example", "limit": 2, "cursor": searchPage["next_cursor"]!])), [eveID])
        XCTAssertEqual(ids(try run("customers.list", ["level": "gold"])), [bobID])

        // Update: a phone number for Alice, then drop her email; she may not lose both.
        let updated = try run("customers.update", ["id": .int(aliceID), "name": "Alice M. Martin", "phone": "01 23 45 67 89"])
        XCTAssertEqual(updated["name"], "Alice M. Martin")
        XCTAssertEqual(updated["phone"], "01 23 45 67 89")
        XCTAssertEqual(updated["email"], "alice@example.com")
        XCTAssertEqual(try run("customers.update", ["id": .int(aliceID), "email": ""])["email"], .null)
        assertRefused(.invalidInput, "customer \(aliceID) needs an email address or a phone number; it cannot lose both", field: "phone") {
            try self.run("customers.update", ["id": .int(aliceID), "phone": " "])
        }
        assertRefused(.invalidInput, "nothing to change: give email, phone or name") {
            try self.run("customers.update", ["id": .int(aliceID)])
        }
        let shown = try run("customers.show", ["id": .int(aliceID)])
        XCTAssertEqual(shown["phone"], "01 23 45 67 89")
        XCTAssertEqual(shown["email"], .null)
        XCTAssertEqual(shown["name"], "Alice M. Martin")
        let audit = try auditEntries(entity: "customer:\(aliceID)", operation: "customers.update")
        XCTAssertEqual(audit.count, 2, "the refused updates left no entry")
        XCTAssertEqual(audit.last?["change"], ["from": ["phone": nil, "name": "Alice Martin"], "to": ["phone": "01 23 45 67 89", "name": "Alice M. Martin"]])

        assertRefused(.notFound, "no customer 999 in this shop", field: "id") { try self.run("customers.show", ["id": 999]) }
        assertRefused(.notFound, "no customer 999 in this shop", field: "id") {
            try self.run("customers.update", ["id": 999, "name": "Ghost"])
        }
    }

    func testCreationIsPublishedAndAudited() throws {
        let id = try create(["email": "alice@example.com", "name": "Alice"])
        XCTAssertEqual(probe.created.all, ["\(id):alice@example.com:-"])
        let entries = try auditEntries(entity: "customer:\(id)", operation: "customers.create")
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries[0]["change"]?["email"], "alice@example.com")
        XCTAssertEqual(entries[0]["change"]?["level"], "regular")
        XCTAssertEqual(entries[0]["actor"]?.stringValue?.hasSuffix(":clerk@a.test"), true)
    }

    func testDuplicateEmailOrPhoneIsRefusedAndNothingWritten() throws {
        let alice = try create(["email": "alice@example.com", "name": "Alice"])
        let bob = try create(["phone": "+33 6 12 34 56 78", "name": "Bob"])
        assertRefused(.conflict, "email alice@example.com is already used by customer \(alice) in this shop", field: "email") {
            try self.run("customers.create", ["email": "ALICE@example.com", "name": "Another Alice"])
        }
        assertRefused(.conflict, "phone +33612345678 is already used by customer \(bob) in this shop", field: "phone") {
            try self.run("customers.create", ["email": "bob@example.com", "phone": "+33612345678"])
        }
        XCTAssertEqual(try count("customers_accounts"), 2)
        XCTAssertEqual(probe.created.all.count, 2, "no event for a refused customer")
        XCTAssertEqual(try auditEntries(operation: "customers.create").count, 2, "refused creations are not audited as done")

        assertRefused(.conflict, "email alice@example.com is already used by customer \(alice) in this shop", field: "email") {
            try self.run("customers.update", ["id": .int(bob), "email": "alice@example.com", "name": "Bob Renamed"])
        }
        XCTAssertEqual(try run("customers.show", ["id": .int(bob)])["name"], "Bob", "the refused update changed nothing")
        XCTAssertEqual(try run("customers.update", ["id": .int(alice), "email": "alice@example.com"])["email"], "alice@example.com",
                       "keeping one's own email is no clash")
    }

    func testBadEmailPhoneOrMissingContactIsRefusedNamingTheField() throws {
        assertRefused(.invalidInput, "'not-an-email' is not a valid email address", field: "email") {
            try self.run("customers.create", ["email": "not-an-email"])
        }
        let badPhone = "is not a valid phone number: use digits, spaces and + - ( ) only, with at least 5 digits (at most 32 characters)"
        assertRefused(.invalidInput, "'12ab345' \(badPhone)", field: "phone") { try self.run("customers.create", ["phone": "12ab345"]) }
        assertRefused(.invalidInput, "'12-34' \(badPhone)", field: "phone") { try self.run("customers.create", ["phone": "12-34"]) }
        let neither = "a customer needs an email address or a phone number: give email, phone or both"
        assertRefused(.invalidInput, neither, field: "email") { try self.run("customers.create", ["name": "Nobody"]) }
        assertRefused(.invalidInput, neither, field: "email") { try self.run("customers.create") }
        XCTAssertEqual(try count("customers_accounts"), 0)

        let id = try create(["email": "alice@example.com"])
        assertRefused(.invalidInput, "'alice@' is not a valid email address", field: "email") {
            try self.run("customers.update", ["id": .int(id), "email": "alice@"])
        }
        assertRefused(.invalidInput, "'phone' \(badPhone)", field: "phone") {
            try self.run("customers.update", ["id": .int(id), "phone": "phone"])
        }
        XCTAssertEqual(try run("customers.show", ["id": .int(id)])["email"], "alice@example.com")
    }

    func testAddressBookValidatesTheCountry() throws {
        let id = try create(["email": "alice@example.com", "name": "Alice Martin"])
        assertRefused(.invalidInput, "'France' is not a two-letter ISO 3166 country code (e.g. FR, DE, US)", field: "country") {
            try self.run("customers.address.add", ["customer": .int(id), "line1": "1 rue de la Paix", "city": "Paris", "country": "France"])
        }
        assertRefused(.invalidInput, "'F1' is not a two-letter ISO 3166 country code (e.g. FR, DE, US)", field: "country") {
            try self.run("customers.address.add", ["customer": .int(id), "line1": "1 rue de la Paix", "city": "Paris", "country": "F1"])
        }
        assertRefused(.invalidInput, "'x' is not a valid phone number: use digits, spaces and + - ( ) only, with at least 5 digits (at most 32 characters)",
                      field: "phone") {
            try self.run("customers.address.add", ["customer": .int(id), "line1": "1 rue", "city": "Paris", "country": "FR", "phone": "x"])
        }
        assertRefused(.notFound, "no customer 999 in this shop", field: "customer") {
            try self.run("customers.address.add", ["customer": 999, "line1": "1 rue", "city": "Paris", "country": "FR"])
        }
        XCTAssertEqual(try count("customers_addresses"), 0)

        let home = try run("customers.address.add", ["customer": .int(id), "label": "home", "line1": "1 rue de la Paix", "city": "Paris",
                                                     "country": "fr", "postal_code": "75002", "phone": "+33 1 23 45 67 89"])
        XCTAssertEqual(home.objectValue!.keys, ["id", "customer", "label", "name", "line1", "line2", "city", "region", "country",
                                                "postal_code", "phone", "created_at"])
        XCTAssertEqual(home["country"], "FR")
        XCTAssertEqual(home["name"], "Alice Martin", "the recipient defaults to the customer's name")
        let work = try run("customers.address.add", ["customer": .int(id), "label": "work", "name": "A. Martin", "line1": "5 Unter den Linden",
                                                     "city": "Berlin", "country": "DE"])
        let listed = try run("customers.address.list", ["customer": .int(id)], as: .auditor).arrayValue!
        XCTAssertEqual(listed.map { $0["label"]! }, ["home", "work"])
        try run("customers.address.remove", ["address": home["id"]!])
        XCTAssertEqual(try run("customers.address.list", ["customer": .int(id)]).arrayValue!.map { $0["id"]! }, [work["id"]!])
        assertRefused(.notFound, "no customer address \(home["id"]!.intValue!) in this shop", field: "address") {
            try self.run("customers.address.remove", ["address": home["id"]!])
        }
        let audit = try auditEntries(entity: "customer:\(id)", operation: "customers.address.add")
        XCTAssertEqual(audit.count, 2)
        XCTAssertFalse(JSON.encode(audit[0]["change"]!).contains("Unter den Linden"), "the address itself stays out of the audit log")
    }

    // MARK: Shops and permissions

    func testCustomersOfOneShopAreInvisibleFromAnother() throws {
        let b = try harness.fixtureShop("b")
        let alice = try create(["email": "alice@example.com", "name": "Alice"])
        try run("customers.points.add", ["customer": .int(alice), "points": 10, "reason": "welcome"], as: .manager)
        let missing = "no customer \(alice) in this shop"
        assertRefused(.notFound, missing, field: "id") { try self.run("customers.show", ["id": .int(alice)], as: .owner, in: b) }
        assertRefused(.notFound, missing, field: "id") {
            try self.run("customers.update", ["id": .int(alice), "name": "Hijacked"], as: .owner, in: b)
        }
        XCTAssertEqual(ids(try run("customers.list", as: .owner, in: b)), [])
        XCTAssertEqual(ids(try run("customers.list", ["q": "alice"], as: .owner, in: b)), [])
        assertRefused(.notFound, missing, field: "customer") {
            try self.run("customers.points.history", ["customer": .int(alice)], as: .owner, in: b)
        }
        assertRefused(.notFound, missing, field: "customer") {
            try self.run("customers.points.deduct", ["customer": .int(alice), "points": 5, "reason": "theft"], as: .owner, in: b)
        }
        assertRefused(.notFound, missing, field: "customer") {
            try self.run("customers.message.add", ["customer": .int(alice), "body": "hi"], as: .owner, in: b)
        }
        assertRefused(.vetoed, "unknown customer \(alice) (refused by customers)") {
            try self.run("probe.checkout", ["customer": .int(alice)], as: .owner, in: b)
        }
        // Email uniqueness is per shop: shop B may have its own alice@example.com.
        let bAlice = try create(["email": "alice@example.com", "name": "Alice of B"], in: b)
        XCTAssertNotEqual(bAlice, alice)
        XCTAssertEqual(ids(try run("customers.list", as: .owner, in: b)), [bAlice])
        XCTAssertEqual(ids(try run("customers.list")), [alice])
        XCTAssertEqual(try run("customers.show", ["id": .int(alice)])["name"], "Alice")
        XCTAssertEqual(try run("customers.show", ["id": .int(alice)])["points"], 10)
    }

    func testAuditorReadsButCannotWrite() throws {
        let id = try create(["email": "alice@example.com"])
        try run("customers.message.add", ["customer": .int(id), "body": "Hello"])
        let reads: [(String, Value.Object)] = [
            ("customers.show", ["id": .int(id)]), ("customers.list", [:]), ("customers.points.history", ["customer": .int(id)]),
            ("customers.message.list", [:]), ("customers.group.list", [:]), ("customers.address.list", ["customer": .int(id)]),
        ]
        for (name, input) in reads {
            XCTAssertNoThrow(try run(name, input, as: .auditor), name)
            XCTAssertNoThrow(try run(name, input, as: .finance), name)
        }
        assertRefused(.permissionDenied, "auditor@a.test lacks permission 'customers.write' in shop 'a'") {
            try self.run("customers.create", ["email": "bob@example.com"], as: .auditor)
        }
        let writes: [(String, Value.Object)] = [
            ("customers.update", ["id": .int(id), "name": "X"]),
            ("customers.level.set", ["customer": .int(id), "level": "gold"]),
            ("customers.points.add", ["customer": .int(id), "points": 5, "reason": "gift"]),
            ("customers.message.add", ["customer": .int(id), "body": "Hi"]),
            ("customers.group.create", ["name": "vip"]),
            ("customers.address.add", ["customer": .int(id), "line1": "1 rue", "city": "Paris", "country": "FR"]),
        ]
        for (name, input) in writes {
            assertRefused(.permissionDenied) { try self.run(name, input, as: .auditor) }
        }
        // Warehouse staff do not see customers; clerks serve them but do not hand out points.
        assertRefused(.permissionDenied, "warehouse@a.test lacks permission 'customers.read' in shop 'a'") {
            try self.run("customers.list", as: .warehouse)
        }
        assertRefused(.permissionDenied, "clerk@a.test lacks permission 'customers.points.write' in shop 'a'") {
            try self.run("customers.points.add", ["customer": .int(id), "points": 5, "reason": "gift"], as: .clerk)
        }
        XCTAssertEqual(try count("customers_accounts"), 1)
        XCTAssertEqual(try count("customers_points"), 0)
        XCTAssertEqual(try count("customers_groups"), 0)
        XCTAssertEqual(try run("customers.show", ["id": .int(id)])["name"], "")
    }

    // MARK: Points

    func testPointsLedgerNeverGoesNegative() throws {
        let id = try create(["email": "alice@example.com"])
        let added = try run("customers.points.add", ["customer": .int(id), "points": 100, "reason": "welcome"], as: .support)
        XCTAssertEqual(added["delta"], 100)
        XCTAssertEqual(added["balance_after"], 100)
        let deducted = try run("customers.points.deduct", ["customer": .int(id), "points": 30, "reason": "order A-1"], as: .support)
        XCTAssertEqual(deducted["delta"], -30)
        XCTAssertEqual(deducted["balance_after"], 70)
        XCTAssertEqual(try run("customers.show", ["id": .int(id)])["points"], 70)
        XCTAssertEqual(try count("customers_points"), 2)

        assertRefused(.conflict, "cannot deduct 80 points from customer \(id): the balance is 70", field: "points") {
            try self.run("customers.points.deduct", ["customer": .int(id), "points": 80, "reason": "order A-2"], as: .support)
        }
        XCTAssertEqual(try count("customers_points"), 2, "the refused deduction wrote nothing")
        assertRefused(.invalidInput, "points must be a whole number above 0, got 0", field: "points") {
            try self.run("customers.points.add", ["customer": .int(id), "points": 0, "reason": "nothing"], as: .support)
        }
        assertRefused(.invalidInput, "points must be a whole number above 0, got -5", field: "points") {
            try self.run("customers.points.deduct", ["customer": .int(id), "points": -5, "reason": "sneaky add"], as: .support)
        }
        assertRefused(.invalidInput, "reason is empty", field: "reason") {
            try self.run("customers.points.add", ["customer": .int(id), "points": 5, "reason": "  "], as: .support)
        }
        assertRefused(.notFound, "no customer 999 in this shop", field: "customer") {
            try self.run("customers.points.add", ["customer": 999, "points": 5, "reason": "gift"], as: .support)
        }
        XCTAssertEqual(try count("customers_points"), 2)

        let history = try run("customers.points.history", ["customer": .int(id)], as: .auditor)
        XCTAssertEqual(history["balance"], 70)
        let entries = history["entries"]!.arrayValue!
        XCTAssertEqual(entries.map { $0["delta"]! }, [-30, 100], "newest first")
        XCTAssertEqual(entries.map { $0["balance_after"]! }, [70, 100])
        XCTAssertEqual(entries.map { $0["reason"]! }, ["order A-1", "welcome"])
        XCTAssertEqual(entries[0].objectValue!.keys, ["id", "customer", "delta", "reason", "balance_after", "created_at", "actor"])
        XCTAssertEqual(entries[0]["actor"]?.stringValue?.hasSuffix(":support@a.test"), true)
        let page = try run("customers.points.history", ["customer": .int(id), "limit": 1])
        XCTAssertEqual(page["entries"]!.arrayValue!.map { $0["delta"]! }, [-30])
        XCTAssertEqual(try run("customers.points.history", ["customer": .int(id), "cursor": page["next_cursor"]!])["entries"]!
            .arrayValue!.map { $0["delta"]! }, [100])

        // Spending the whole balance is fine; the ledger itself refuses edits and deletions.
        XCTAssertEqual(try run("customers.points.deduct", ["customer": .int(id), "points": 70, "reason": "order A-3"], as: .manager)["balance_after"], 0)
        XCTAssertThrowsError(try kernel.store.write { try $0.execute("UPDATE customers_points SET delta = 1000") })
        XCTAssertThrowsError(try kernel.store.write { try $0.execute("DELETE FROM customers_points") })
        XCTAssertEqual(try count("customers_points"), 3)
        let audit = try auditEntries(entity: "customer:\(id)", operation: "customers.points.deduct")
        XCTAssertEqual(audit.count, 2)
        XCTAssertEqual(audit.last?["change"]?["points"], -30)
        XCTAssertEqual(audit.last?["change"]?["balance_after"], 70)
    }

    // MARK: Messages

    func testMessagesRepliesAndUnansweredFilter() throws {
        let alice = try create(["email": "alice@example.com"])
        let bob = try create(["email": "bob@example.com"])
        let first = try run("customers.message.add", ["customer": .int(alice), "body": "Where is my order?"])
        XCTAssertEqual(first["author"], .string("customer:\(alice)"))
        XCTAssertEqual(first["entered_by"]?.stringValue?.hasSuffix(":clerk@a.test"), true)
        XCTAssertEqual(first["answered"], false)
        let second = try run("customers.message.add", ["customer": .int(bob), "body": "Do you ship to Spain?"])
        let third = try run("customers.message.add", ["customer": .int(alice), "body": "Also: gift wrap please."])

        let thread = try run("customers.message.reply", ["message": first["id"]!, "body": "It left today."], as: .support)
        XCTAssertEqual(thread["answered"], true)
        let reply = thread["replies"]!.arrayValue!
        XCTAssertEqual(reply.count, 1)
        XCTAssertEqual(reply[0]["body"], "It left today.")
        let author = reply[0]["author"]!.stringValue!
        XCTAssertTrue(author.hasPrefix("staff:") && author.hasSuffix(":support@a.test"), author)

        let all = try run("customers.message.list", as: .auditor)
        XCTAssertEqual(ids(all), [third["id"]!.intValue!, second["id"]!.intValue!, first["id"]!.intValue!], "newest first")
        XCTAssertEqual(all["items"]!.arrayValue![2]["replies"]!.arrayValue!.count, 1)
        XCTAssertEqual(ids(try run("customers.message.list", ["unanswered": true])), [third["id"]!.intValue!, second["id"]!.intValue!])
        XCTAssertEqual(ids(try run("customers.message.list", ["unanswered": false])), [first["id"]!.intValue!])
        XCTAssertEqual(ids(try run("customers.message.list", ["customer": .int(alice), "unanswered": true])), [third["id"]!.intValue!])
        let paged = try run("customers.message.list", ["limit": 2])
        XCTAssertEqual(ids(try run("customers.message.list", ["cursor": paged["next_cursor"]!])), [first["id"]!.intValue!])

        let replyID = reply[0]["id"]!.intValue!
        assertRefused(.invalidInput, "message \(replyID) is itself a reply; reply to the customer's message \(first["id"]!.intValue!)",
                      field: "message") {
            try self.run("customers.message.reply", ["message": .int(replyID), "body": "again"], as: .support)
        }
        assertRefused(.notFound, "no customer message 999 in this shop", field: "message") {
            try self.run("customers.message.reply", ["message": 999, "body": "hello"], as: .support)
        }
        assertRefused(.invalidInput, "body is empty", field: "body") {
            try self.run("customers.message.add", ["customer": .int(bob), "body": " \n "])
        }
        XCTAssertEqual(try count("customers_messages"), 4)
        let audit = try auditEntries(entity: "customer:\(alice)", operation: "customers.message.add")
        XCTAssertEqual(audit.count, 2)
        XCTAssertFalse(JSON.encode(audit[0]["change"]!).contains("gift wrap"), "message text stays out of the audit log")
    }

    // MARK: Groups and levels

    func testGroupsAndLevels() throws {
        let alice = try create(["email": "alice@example.com"])
        let bob = try create(["email": "bob@example.com"])
        let vip = try run("customers.group.create", ["name": "vip", "description": "Very important"])
        XCTAssertEqual(vip, ["name": "vip", "description": "Very important", "members": 0, "created_at": vip["created_at"]!])
        try run("customers.group.create", ["name": "wholesale"])
        assertRefused(.conflict, "customer group 'vip' already exists in this shop", field: "name") {
            try self.run("customers.group.create", ["name": "vip"])
        }
        try run("customers.group.add", ["group": "vip", "customer": .int(alice)])
        try run("customers.group.add", ["group": "vip", "customer": .int(bob)])
        XCTAssertEqual(try run("customers.group.add", ["group": "wholesale", "customer": .int(alice)])["groups"], "vip,wholesale")
        assertRefused(.conflict, "customer \(alice) is already in group 'vip'", field: "customer") {
            try self.run("customers.group.add", ["group": "vip", "customer": .int(alice)])
        }
        assertRefused(.notFound, "no customer group 'gold' in this shop; create it with customers.group.create", field: "group") {
            try self.run("customers.group.add", ["group": "gold", "customer": .int(alice)])
        }
        let groups = try run("customers.group.list", as: .auditor)["items"]!.arrayValue!
        XCTAssertEqual(groups.map { $0["name"]! }, ["vip", "wholesale"])
        XCTAssertEqual(groups.map { $0["members"]! }, [2, 1])
        XCTAssertEqual(ids(try run("customers.list", ["group": "vip"])), [alice, bob])
        assertRefused(.notFound, "no customer group 'nope' in this shop", field: "group") {
            try self.run("customers.list", ["group": "nope"])
        }

        XCTAssertEqual(try run("customers.group.remove", ["group": "vip", "customer": .int(bob)])["groups"], "")
        assertRefused(.notFound, "customer \(bob) is not in group 'vip'", field: "customer") {
            try self.run("customers.group.remove", ["group": "vip", "customer": .int(bob)])
        }
        XCTAssertEqual(ids(try run("customers.list", ["group": "vip"])), [alice])
        XCTAssertEqual(try run("customers.group.list")["items"]!.arrayValue!.map { $0["members"]! }, [1, 1])

        let gold = try run("customers.level.set", ["customer": .int(bob), "level": "gold"])
        XCTAssertEqual(gold["level"], "gold")
        XCTAssertEqual(ids(try run("customers.list", ["level": "gold"])), [bob])
        XCTAssertEqual(ids(try run("customers.list", ["level": "regular"])), [alice])
        assertRefused(.invalidInput, field: "level") { try self.run("customers.level.set", ["customer": .int(bob), "level": "Gold!"]) }
        assertRefused(.notFound, "no customer 999 in this shop", field: "customer") {
            try self.run("customers.level.set", ["customer": 999, "level": "gold"])
        }
        XCTAssertEqual(try run("customers.show", ["id": .int(bob)])["level"], "gold")
        let audit = try auditEntries(entity: "customer:\(bob)", operation: "customers.level.set")
        XCTAssertEqual(audit.map { $0["change"]! }, [["level": ["from": "regular", "to": "gold"]]])
        XCTAssertEqual(try auditEntries(entity: "customer:\(bob)", operation: "customers.group.remove").map { $0["change"]! },
                       [["group_removed": "vip"]])
    }

    // MARK: Checkout

    func testCheckoutGuardVetoesAnUnknownCustomer() throws {
        assertRefused(.vetoed, "unknown customer 999 (refused by customers)") {
            try self.run("probe.checkout", ["customer": 999])
        }
        let id = try create(["email": "alice@example.com"])
        XCTAssertEqual(try run("probe.checkout", ["customer": .int(id)]), "passed")
    }

    func testGroupListPagesWithoutRepeatsOrGaps() throws {
        let names = ["vip", "wholesale", "staff", "press", "alumni"]
        for name in names { try run("customers.group.create", ["name": .string(name)], as: .manager) }
        var seen: [String] = []
        var input: Value.Object = ["limit": 2]
        var pages = 0
        while pages < 10 {
            let page = try run("customers.group.list", input, as: .auditor)
            pages += 1
            seen += page["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            if pages == 1 { try run("customers.group.create", ["name": "late"], as: .manager) }   // after the cursor: still seen
            guard let next = page["next_cursor"], next != .null else { break }
            input["cursor"] = next
        }
        XCTAssertEqual(seen, names + ["late"], "oldest first, every group once")
        XCTAssertEqual(pages, 3)
    }
}
