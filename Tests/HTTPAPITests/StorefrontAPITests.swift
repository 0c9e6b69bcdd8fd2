import XCTest
import Kernel
import HTTPTestClient

/// The storefront over a real socket: anonymous browsing, guest carts with their own
/// tokens, customer accounts, and the walls between shoppers, staff and shops.
final class StorefrontAPITests: XCTestCase {
    var server: APIServer!
    var client: TestClient!

    override func setUpWithError() throws {
        server = try APIServer()
        client = try server.client()
    }

    override func tearDown() { client = nil; server = nil }

    private func auth(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    private func guestToken(_ shop: String = "north") throws -> String {
        let started = try client.request("POST", "/v1/shops/\(shop)/storefront/session/start")
        XCTAssertEqual(started.status, 200, started.text)
        return try XCTUnwrap(started.json["token"]?.stringValue)
    }

    func testAnonymousVisitorsBrowseListedProductsOnly() throws {
        let page = try client.request("GET", "/v1/shops/north/storefront/products/list")
        XCTAssertEqual(page.status, 200, page.text)
        let items = try XCTUnwrap(page.json["items"]?.arrayValue)
        XCTAssertEqual(items.count, 3)
        XCTAssertFalse(page.text.contains("cost"), "staff-only fields leaked: \(page.text)")
        let teapot = try client.request("GET", "/v1/shops/north/storefront/products/show?product=teapot")
        XCTAssertEqual(teapot.status, 200, teapot.text)
        // Anonymous visitors cannot build carts: they start a guest session first.
        let refused = try client.request("POST", "/v1/shops/north/storefront/cart/create", body: "{}")
        XCTAssertEqual(refused.status, 401, refused.text)
    }

    func testAGuestBuildsACartAndChecksOut() throws {
        let guest = try guestToken()
        let cart = try client.request("POST", "/v1/shops/north/storefront/cart/create", body: "{}", headers: auth(guest))
        XCTAssertEqual(cart.status, 200, cart.text)
        let id = try XCTUnwrap(cart.json["cart"]?.intValue)
        let added = try client.request("POST", "/v1/shops/north/storefront/cart/add", body: #"{"cart":\#(id),"sku":"CUP-STONE","quantity":2}"#, headers: auth(guest))
        XCTAssertEqual(added.status, 200, added.text)
        let negative = try client.request("POST", "/v1/shops/north/storefront/cart/add", body: #"{"cart":\#(id),"sku":"CUP-STONE","quantity":-1}"#, headers: auth(guest))
        XCTAssertEqual(negative.status, 422, negative.text)
        let placed = try client.request("POST", "/v1/shops/north/storefront/cart/checkout", body: #"{"cart":\#(id)}"#, headers: auth(guest))
        XCTAssertEqual(placed.status, 200, placed.text)
        let number = try XCTUnwrap(placed.json["number"]?.stringValue)
        // The order is the shop's like any other: staff see it in the back office.
        let owner = try server.token("amira@demo.souk")
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/orders/show?order=\(number)", headers: auth(owner)).status, 200)
        // The checkout is audited with the guest as the actor.
        let actors = try server.kernel.store.read {
            try $0.query("SELECT DISTINCT actor FROM souk_audit WHERE operation = 'storefront.cart.checkout'").map { try $0.string("actor") }
        }
        XCTAssertEqual(actors.count, 1)
        XCTAssertTrue(actors[0].hasPrefix("guest:"), "\(actors)")
    }

    func testShoppersCannotReachEachOtherStaffOrOtherShops() throws {
        let first = try guestToken()
        let second = try guestToken()
        let cart = try client.request("POST", "/v1/shops/north/storefront/cart/create", body: "{}", headers: auth(first)).json["cart"]!.intValue!
        let peek = try client.request("GET", "/v1/shops/north/storefront/cart/show?cart=\(cart)", headers: auth(second))
        XCTAssertEqual(peek.status, 404, "another guest's cart must look like no cart: \(peek.text)")
        // A shopper token on a back-office route, a staff token on a storefront route.
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/orders/list", headers: auth(first)).status, 401)
        let owner = try server.token("amira@demo.souk")
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/storefront/cart/create", body: "{}", headers: auth(owner)).status, 401)
        // A north token in south.
        let elsewhere = try client.request("GET", "/v1/shops/south/storefront/session/show", headers: auth(first))
        XCTAssertEqual(elsewhere.status, 401, elsewhere.text)
        XCTAssertTrue(elsewhere.json["detail"]?.stringValue?.contains("another shop") ?? false, elsewhere.text)
        // Guests have no account: their order history needs a signed-in customer.
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/storefront/orders/list", headers: auth(first)).status, 403)
        // Expired after the session lifetime.
        server.clock.advance(by: 31 * 24 * 3600)
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/storefront/session/show", headers: auth(first)).status, 401)
    }

    func testCustomersRegisterSignInAndSeeOnlyTheirOrders() throws {
        let registered = try client.request("POST", "/v1/shops/north/storefront/account/register",
                                            body: #"{"email":"nour@example.com","name":"Nour","password":"long-enough-1"}"#)
        XCTAssertEqual(registered.status, 200, registered.text)
        XCTAssertFalse(registered.text.contains("long-enough-1"))
        let again = try client.request("POST", "/v1/shops/north/storefront/account/register",
                                       body: #"{"email":"nour@example.com","password":"long-enough-2"}"#)
        XCTAssertEqual(again.status, 409, again.text)
        let wrong = try client.request("POST", "/v1/shops/north/storefront/account/sign_in", body: #"{"email":"nour@example.com","password":"nope-nope-nope"}"#)
        XCTAssertEqual(wrong.status, 401, wrong.text)
        let signedIn = try client.request("POST", "/v1/shops/north/storefront/account/sign_in", body: #"{"email":"nour@example.com","password":"long-enough-1"}"#)
        XCTAssertEqual(signedIn.status, 200, signedIn.text)
        let token = try XCTUnwrap(signedIn.json["token"]?.stringValue)
        let cart = try client.request("POST", "/v1/shops/north/storefront/cart/create", body: "{}", headers: auth(token)).json["cart"]!.intValue!
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/storefront/cart/add", body: #"{"cart":\#(cart),"sku":"TEA-GREEN-100","quantity":1}"#, headers: auth(token)).status, 200)
        let number = try XCTUnwrap(try client.request("POST", "/v1/shops/north/storefront/cart/checkout", body: #"{"cart":\#(cart)}"#, headers: auth(token)).json["number"]?.stringValue)
        let mine = try client.request("GET", "/v1/shops/north/storefront/orders/list", headers: auth(token))
        XCTAssertEqual(mine.status, 200, mine.text)
        XCTAssertEqual(mine.json["items"]?.arrayValue?.compactMap { $0["number"]?.stringValue }, [number])
        // An order of the demo's customers is not this customer's.
        let demoOrder = try client.request("GET", "/v1/shops/north/storefront/orders/show?order=NORTH-1001", headers: auth(token))
        XCTAssertEqual(demoOrder.status, 404, demoOrder.text)
        XCTAssertEqual(try client.request("POST", "/v1/shops/north/storefront/session/end", body: "{}", headers: auth(token)).status, 200)
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/storefront/orders/list", headers: auth(token)).status, 401)
    }

    func testSessionTokensNeverRestInTheIdempotencyTable() throws {
        // Anonymous visitors are all one actor: a key could replay one visitor's token to
        // another, so it is refused.
        let anonymous = try client.request("POST", "/v1/shops/north/storefront/session/start", headers: ["Idempotency-Key": "start-0"])
        XCTAssertEqual(anonymous.status, 422, anonymous.text)
        let guest = try guestToken()
        let key = ["Idempotency-Key": "start-1", "Authorization": "Bearer \(guest)"]
        let first = try client.request("POST", "/v1/shops/north/storefront/session/start", headers: key)
        let second = try client.request("POST", "/v1/shops/north/storefront/session/start", headers: key)
        let token = try XCTUnwrap(first.json["token"]?.stringValue)
        XCTAssertNotEqual(second.json["token"]?.stringValue, token, "a repeated start must not replay a token")
        let stored = try server.kernel.store.read { try $0.query("SELECT response FROM souk_idempotency").map { try $0.string("response") } }
        XCTAssertFalse(stored.contains { $0.contains(token) }, "a session token was kept in the idempotency table")
    }

    func testSignUpsAndSignInsAreThrottledPerAddress() throws {
        server = try APIServer(anonymousWriteLimit: (perSecond: 0.01, burst: 3))
        client = try server.client()
        for _ in 0..<3 { XCTAssertEqual(try client.request("POST", "/v1/shops/north/storefront/session/start").status, 200) }
        let refused = try client.request("POST", "/v1/shops/north/storefront/session/start")
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.json["code"]?.stringValue, "rate_limited")
        XCTAssertNotNil(refused.header("Retry-After").flatMap(Int.init))
        let signIn = try client.request("POST", "/v1/auth/sign-in", body: #"{"email":"amira@demo.souk","password":"guess-guess"}"#)
        XCTAssertEqual(signIn.status, 429, "staff sign-in shares the per-address budget: \(signIn.text)")
        // Browsing is not throttled.
        XCTAssertEqual(try client.request("GET", "/v1/shops/north/storefront/products/list").status, 200)
    }
}
