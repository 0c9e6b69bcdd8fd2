import XCTest
import Kernel
import KernelTesting
import Catalog

/// The kernel's read cache: reusable answers, sessions and permissions are handed out again
/// only while the database is unchanged, whoever changed it.
final class ReadCacheTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [CatalogPlugin()])
        shop = try harness.fixtureShop("north")
        let manager = try harness.context(as: shop.manager, shop: "north")
        try kernel.perform("catalog.product.create", input: ["handle": "tea", "title": "Green tea", "listed": true], context: manager)
    }

    /// A context the way the HTTP host builds one for every request: from a bearer token.
    func tokenContext(_ token: String) throws -> OperationContext {
        try kernel.context(token: token, shopCode: "north")
    }

    func show(_ token: String, kernel other: Kernel? = nil) throws -> Answer {
        try (other ?? kernel).answer("catalog.product.show", input: ["handle": "tea"], context: try tokenContext(token))
    }

    func testAnAnswerIsReusedUntilAWriteInThisProcess() throws {
        let token = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        let first = try show(token)
        XCTAssertEqual(first.value["title"], "Green tea")
        XCTAssertTrue(try show(token) === first, "nothing changed: the same answer object is handed out again")
        XCTAssertEqual(kernel.reusableAnswerCount, 1)

        try kernel.perform("catalog.product.update", input: ["handle": "tea", "title": "Sencha"],
                           context: try harness.context(as: shop.manager, shop: "north"))
        let second = try show(token)
        XCTAssertFalse(second === first)
        XCTAssertEqual(second.value["title"], "Sencha")
        XCTAssertNotEqual(second.hash, first.hash, "the entity tag changes with the body")
        XCTAssertEqual(second.value, try kernel.perform("catalog.product.show", input: ["handle": "tea"], context: try tokenContext(token)),
                       "answer() and perform() agree")
    }

    func testACommitOnAnotherConnectionIsSeenAtOnce() throws {
        XCTAssertEqual(kernel.readCacheStats.changeProbe, "wal_header")
        try assertCommitOnAnotherConnectionIsSeen()
    }

    /// The same through `PRAGMA data_version`, the fallback when the WAL index cannot be mapped.
    func testTheDataVersionFallbackSeesCommitsToo() throws {
        setenv("SOUK_CHANGE_PROBE", "data_version", 1)
        defer { unsetenv("SOUK_CHANGE_PROBE") }
        try setUpWithError()
        XCTAssertEqual(kernel.readCacheStats.changeProbe, "data_version")
        try assertCommitOnAnotherConnectionIsSeen()
    }

    func assertCommitOnAnotherConnectionIsSeen() throws {
        let token = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        _ = try show(token)
        let first = try show(token)
        XCTAssertTrue(try show(token) === first)
        // A second kernel on the same folder has its own SQLite connections, as another
        // process (a `souk` command) would.
        let other = try harness.reopen(plugins: [CatalogPlugin()])
        try other.perform("catalog.product.update", input: ["handle": "tea", "title": "Changed elsewhere"],
                          context: try other.context(for: try other.verifyPassword(email: shop.manager, password: KernelHarness.password),
                                                     shopCode: "north"))
        XCTAssertEqual(try show(token).value["title"], "Changed elsewhere")
    }

    func testAListingWindowEndsReuseWithoutAnyWrite() throws {
        let manager = try harness.context(as: shop.manager, shop: "north")
        let end = harness.clock.millis + 3_600_000
        try kernel.perform("catalog.product.schedule", input: ["handle": "tea", "unlist_at": .string(Validation.isoString(millis: end))],
                           context: manager)
        let token = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        XCTAssertEqual(try show(token).value["listed_now"], true)
        XCTAssertEqual(try show(token).value["listed_now"], true)
        harness.clock.advance(by: 2 * 3600)
        XCTAssertEqual(try show(token).value["listed_now"], false, "the answer said it holds only until unlist_at")
    }

    func testSignOutRevokedRolesAndExpiryApplyToTheVeryNextRequest() throws {
        let token = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        _ = try show(token)
        _ = try show(token)
        // A role taken away: the next read is refused (and audited), not served from memory.
        try kernel.perform("staff.revoke", input: ["email": .string(shop.clerk), "role": "clerk"],
                           context: try harness.context(as: shop.owner, shop: "north"))
        XCTAssertThrowsError(try show(token)) { XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied) }
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": "tea"], token: token, shopCode: "north"))

        // Sign-out ends the session for the cache too.
        let auditor = try kernel.signIn(email: shop.auditor, password: KernelHarness.password).token
        _ = try show(auditor)
        try kernel.signOut(token: auditor)
        XCTAssertThrowsError(try show(auditor)) { XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated) }

        // Expiry needs no write at all.
        let manager = try kernel.signIn(email: shop.manager, password: KernelHarness.password).token
        _ = try show(manager)
        _ = try show(manager)  // the first request after a commit (the sign-in) keeps nothing
        XCTAssertNotNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": "tea"], token: manager, shopCode: "north"))
        harness.clock.advance(by: Double(SignInPolicy.sessionMillis / 1000) + 1)
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": "tea"], token: manager, shopCode: "north"))
        XCTAssertThrowsError(try tokenContext(manager)) { XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated) }
    }

    func testReusedAnswerRunsEveryCheckAndOnlyAnswersFromMemory() throws {
        let clerk = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        // Signed in first: a sign-in is a write, which would empty the cache.
        let auditor = try kernel.signIn(email: shop.auditor, password: KernelHarness.password).token
        let input: Value.Object = ["handle": "tea"]
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: clerk, shopCode: "north"),
                     "nothing known yet: the host must take the ordinary path")
        // The first request after a commit (here the sign-ins) reads the database without
        // keeping anything; the next one fills the cache.
        _ = try show(clerk)
        let answer = try show(clerk)
        XCTAssertTrue(kernel.reusedAnswer("catalog.product.show", input: input, token: clerk, shopCode: "north") === answer)

        // Another staff member of the shop, whose session and permissions are not known yet.
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: auditor, shopCode: "north"))
        XCTAssertTrue(try show(auditor) === answer, "the answer does not depend on who asks: it is shared")
        XCTAssertTrue(kernel.reusedAnswer("catalog.product.show", input: input, token: auditor, shopCode: "north") === answer)

        // Wrong token, wrong shop, bad input, a mutation, no token: never answered from memory.
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: "souk_nope", shopCode: "north"))
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: clerk, shopCode: "south"))
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": .int(5)], token: clerk, shopCode: "north"))
        XCTAssertNil(kernel.reusedAnswer("catalog.product.publish", input: input, token: clerk, shopCode: "north"))
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: nil, shopCode: "north"))

        // A staff member with no role in the shop is refused by `perform`, never by the cache.
        try harness.addStaff("outsider@north.test")
        let outsider = try kernel.signIn(email: "outsider@north.test", password: KernelHarness.password).token
        XCTAssertThrowsError(try show(outsider)) { XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied) }
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: input, token: outsider, shopCode: "north"))

        // Errors are never kept: an unknown product is looked up again each time.
        XCTAssertThrowsError(try kernel.answer("catalog.product.show", input: ["handle": "nope"], context: try tokenContext(clerk)))
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": "nope"], token: clerk, shopCode: "north"))
    }

    func testReadsThatDoNotDeclareReuseAreNeverKept() throws {
        let clerk = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        let first = try kernel.answer("catalog.category.list", context: try tokenContext(clerk))
        XCTAssertFalse(try kernel.answer("catalog.category.list", context: try tokenContext(clerk)) === first)
        XCTAssertEqual(kernel.reusableAnswerCount, 0)
    }

    func testDisablingThePluginIsSeenByTheCache() throws {
        let clerk = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        _ = try show(clerk)
        try kernel.perform("plugin.disable", input: ["id": "catalog"], context: try harness.context(as: shop.owner, shop: "north"))
        XCTAssertThrowsError(try show(clerk)) { XCTAssertEqual(($0 as? KernelError)?.code, .pluginDisabled) }
        XCTAssertNil(kernel.reusedAnswer("catalog.product.show", input: ["handle": "tea"], token: clerk, shopCode: "north"))
    }

    func testStorefrontReadsReuseAnswersForAnonymousVisitorsAndGuestSessions() throws {
        let manager = try harness.context(as: shop.manager, shop: "north")
        try kernel.perform("catalog.sku.add", input: ["product": "tea", "code": "TEA-1", "price": 450], context: manager)
        let anonymous = try kernel.shopperContext(token: nil, shopCode: "north")
        let guestToken = try XCTUnwrap(kernel.perform("storefront.session.start", context: anonymous)["token"]?.stringValue)
        func show(_ token: String?) throws -> Answer {
            try kernel.answer("storefront.products.show", input: ["product": "tea"],
                              context: try kernel.shopperContext(token: token, shopCode: "north"))
        }
        _ = try show(guestToken)
        let first = try show(guestToken)
        XCTAssertEqual(first.value["skus"], [["code": "TEA-1", "price": ["amount": 450, "currency": "EUR", "display": "4.50 EUR"]]])
        XCTAssertTrue(try show(nil) === first, "one answer for every shopper: it depends on the shop's data alone")
        XCTAssertTrue(kernel.reusedAnswer("storefront.products.show", input: ["product": "tea"], token: guestToken, shopCode: "north") === first)
        XCTAssertTrue(kernel.reusedAnswer("storefront.products.show", input: ["product": "tea"], token: nil, shopCode: "north") === first)
        XCTAssertNil(kernel.reusedAnswer("storefront.products.show", input: ["product": "tea"], token: "shopper_unknown", shopCode: "north"))
        let staff = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        XCTAssertNil(kernel.reusedAnswer("storefront.products.show", input: ["product": "tea"], token: staff, shopCode: "north"),
                     "a staff token never reads the storefront")

        // The guest signs out: the session is gone for the cache too.
        try kernel.perform("storefront.session.end", context: try kernel.shopperContext(token: guestToken, shopCode: "north"))
        XCTAssertNil(kernel.reusedAnswer("storefront.products.show", input: ["product": "tea"], token: guestToken, shopCode: "north"))
        XCTAssertThrowsError(try show(guestToken)) { XCTAssertEqual(($0 as? KernelError)?.code, .unauthenticated) }

        // Unlisting the product takes it off the storefront at once.
        try kernel.perform("catalog.product.unpublish", input: ["handle": "tea"], context: manager)
        XCTAssertThrowsError(try show(nil)) { XCTAssertEqual(($0 as? KernelError)?.code, .notFound) }
    }

    func testABrowsedListChangesWhenAnyProductsScheduleComesDue() throws {
        let manager = try harness.context(as: shop.manager, shop: "north")
        try kernel.perform("catalog.sku.add", input: ["product": "tea", "code": "TEA-1", "price": 450], context: manager)
        try kernel.perform("catalog.product.create", input: ["handle": "mooncake", "title": "Mooncake"], context: manager)
        try kernel.perform("catalog.sku.add", input: ["product": "mooncake", "code": "MOON-1", "price": 800], context: manager)
        let opens = harness.clock.millis + 3_600_000
        try kernel.perform("catalog.product.schedule", input: ["handle": "mooncake", "list_at": .string(Validation.isoString(millis: opens))],
                           context: manager)
        func browse() throws -> [String] {
            try kernel.answer("storefront.products.list", context: try kernel.shopperContext(token: nil, shopCode: "north"))
                .value["items"]!.arrayValue!.map { $0["handle"]!.stringValue! }
        }
        XCTAssertEqual(try browse(), ["tea"])
        XCTAssertEqual(try browse(), ["tea"])
        XCTAssertGreaterThan(kernel.readCacheStats.answerHits, 0, "kept while nothing changes")
        harness.clock.advance(by: 2 * 3600)
        XCTAssertEqual(try browse(), ["tea", "mooncake"], "the mooncake's listing window opened: no write needed")
    }

    /// Readers racing a writer never see an answer older than a commit that finished before
    /// they asked, whether they go through `answer` or `reusedAnswer`.
    func testReadersRacingAWriterNeverSeeAnOlderAnswer() throws {
        let token = try kernel.signIn(email: shop.clerk, password: KernelHarness.password).token
        let manager = try harness.context(as: shop.manager, shop: "north")
        let race = Race()
        let kernel = self.kernel
        // Threads of their own: concurrentPerform runs only as many at once as there are cores.
        let group = DispatchGroup()
        for worker in 0..<4 {
            group.enter()
            Thread { defer { group.leave() }; Self.race(worker, race, kernel, manager, token) }.start()
        }
        group.wait()
        XCTAssertEqual(race.violations, [])
        XCTAssertGreaterThan(race.served, 100, "the readers ran between the commits")
        XCTAssertEqual(try show(token).value["title"], "v150")
    }

    final class Race: @unchecked Sendable {
        let lock = NSLock()
        var committed = 0
        var done = false
        var violations: [String] = []
        var served = 0
    }

    static func race(_ worker: Int, _ race: Race, _ kernel: Kernel, _ manager: OperationContext, _ token: String) {
            if worker == 0 {
                for version in 1...150 {
                    _ = try? kernel.perform("catalog.product.update", input: ["handle": "tea", "title": .string("v\(version)")],
                                            context: manager)
                    race.lock.lock(); race.committed = version; race.lock.unlock()
                    usleep(500)  // let the readers in between commits
                }
                race.lock.lock(); race.done = true; race.lock.unlock()
                return
            }
            while true {
                race.lock.lock()
                let floor = race.committed, finished = race.done
                race.lock.unlock()
                let answer = worker == 1
                    ? kernel.reusedAnswer("catalog.product.show", input: ["handle": "tea"], token: token, shopCode: "north")
                    : try? kernel.answer("catalog.product.show", input: ["handle": "tea"],
                                         context: try kernel.context(token: token, shopCode: "north"))
                guard let title = answer?.value["title"]?.stringValue else {
                    if finished { return }
                    continue
                }
                let seen = title.hasPrefix("v") ? Int(title.dropFirst()) ?? 0 : 0
                race.lock.lock()
                race.served += 1
                if seen < floor { race.violations.append("worker \(worker) saw \(title) after v\(floor) committed") }
                race.lock.unlock()
                if finished { return }
            }
    }
}
