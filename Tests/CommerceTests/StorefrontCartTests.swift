import XCTest
import Kernel
import KernelTesting

/// `storefront.cart.*` and `storefront.orders.*`: carts owned by their storefront session,
/// checkout through the back office's pipeline, and each customer's own orders.
final class StorefrontCartTests: StorefrontTestCase {
    func available(_ sku: String) throws -> Int64 {
        try staff("inventory.stock.list", ["sku": .string(sku)])["items"]!.arrayValue![0]["available"]!.intValue!
    }

    func testGuestBuildsACartAndChecksOutThroughTheCheckoutPipeline() throws {
        let token = try guest()
        let cart = try XCTUnwrap(try shop("storefront.cart.create", ["destination": ["country=FR"]], token: token)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 2], token: token)
        let priced = try shop("storefront.cart.add", ["cart": cart, "sku": "CUP-1", "quantity": 1], token: token)
        XCTAssertEqual(priced["total"]?["amount"], .int(2 * 450 + 1200))
        let removed = try shop("storefront.cart.remove", ["cart": cart, "sku": "CUP-1"], token: token)
        XCTAssertEqual(removed["total"]?["amount"], 900)
        XCTAssertEqual(try shop("storefront.cart.show", token: token)["cart"], cart, "the newest open cart by default")

        let order = try shop("storefront.cart.checkout", ["cart": cart], token: token, key: "pay-once")
        XCTAssertEqual(order["number"], "NORTH-1001")
        XCTAssertEqual(order["status"], "pending_payment")
        XCTAssertEqual(order["customer"], .null)
        XCTAssertEqual(try available("TEA-1"), 18, "Inventory reserved the stock at checkout")
        // The same request with the same key is answered from the record, not placed twice.
        XCTAssertEqual(try shop("storefront.cart.checkout", ["cart": cart], token: token, key: "pay-once")["number"], "NORTH-1001")
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM orders_orders"), 1)
        XCTAssertEqual(refusal("storefront.cart.checkout", ["cart": cart], token: token)?.code, .conflict, "a cart is checked out once")
        let placed = try staff("orders.show", ["order": "NORTH-1001"])
        XCTAssertEqual(placed["placed_by"], .string("guest:\(try visitor(token).shopperSessionID!)"))

        // Every mutation is audited with the guest as the actor.
        let guestActor = "guest:\(try visitor(token).shopperSessionID!)"
        for operation in ["storefront.cart.create", "storefront.cart.add", "storefront.cart.remove", "storefront.cart.checkout"] {
            XCTAssertEqual(Set(try audit(operation).map(\.actor)), [guestActor], operation)
        }
    }

    func testBadInputChangesNothing() throws {
        let token = try guest()
        let cart = try XCTUnwrap(try shop("storefront.cart.create", token: token)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 1], token: token)
        let before = try shop("storefront.cart.show", ["cart": cart], token: token)
        let auditBefore = try count("SELECT COUNT(*) AS n FROM souk_audit")
        XCTAssertEqual(refusal("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": -3], token: token)?.code, .invalidInput)
        XCTAssertEqual(refusal("storefront.cart.add", ["cart": cart, "sku": "NOPE", "quantity": 1], token: token)?.code, .invalidInput)
        XCTAssertEqual(refusal("storefront.cart.add", ["cart": cart, "sku": "DRAFT-1", "quantity": 1], token: token)?.code, .invalidInput,
                       "an unlisted product cannot be bought")
        XCTAssertEqual(refusal("storefront.cart.remove", ["cart": cart, "sku": "CUP-1"], token: token)?.code, .notFound)
        XCTAssertEqual(try shop("storefront.cart.show", ["cart": cart], token: token), before)
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM souk_audit"), auditBefore)
        // Too many for the stock: the order is refused whole, the cart stays open.
        try shop("storefront.cart.add", ["cart": cart, "sku": "CUP-1", "quantity": 50], token: token)
        XCTAssertEqual(refusal("storefront.cart.checkout", ["cart": cart], token: token)?.code, .insufficientStock)
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM orders_orders"), 0)
        XCTAssertEqual(try available("TEA-1"), 20)
        XCTAssertEqual(try shop("storefront.cart.show", ["cart": cart], token: token)["status"], "open")
    }

    func testAnotherShoppersCartIsNotFound() throws {
        let alice = try guest(), bob = try guest()
        let cart = try XCTUnwrap(try shop("storefront.cart.create", token: alice)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 1], token: alice)
        let customer = try register("carol@example.com")
        for token in [bob, customer.token] {
            for (operation, input) in [("storefront.cart.show", ["cart": cart]),
                                       ("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 1] as Value.Object),
                                       ("storefront.cart.remove", ["cart": cart, "sku": "TEA-1"] as Value.Object),
                                       ("storefront.cart.checkout", ["cart": cart])] {
                let error = refusal(operation, input, token: token)
                XCTAssertEqual(error?.code, .notFound, operation)
                XCTAssertEqual(error?.message, "no cart \(cart.intValue!) in this shop", operation)
            }
        }
        XCTAssertEqual(refusal("storefront.cart.show", ["cart": 999], token: bob)?.message, "no cart 999 in this shop")
        XCTAssertEqual(refusal("storefront.cart.create")?.code, .unauthenticated, "anonymous visitors start a session first")
        XCTAssertEqual(try shop("storefront.cart.show", ["cart": cart], token: alice)["lines"]?.arrayValue?.count, 1)
    }

    func testAGuestsCartsFollowThemWhenTheyRegisterOrSignIn() throws {
        let guestToken = try guest()
        let cart = try XCTUnwrap(try shop("storefront.cart.create", token: guestToken)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 2], token: guestToken)
        let ada = try register("ada@example.com", token: guestToken)
        XCTAssertThrowsError(try visitor(guestToken), "the guest session became the customer's")
        XCTAssertEqual(try shop("storefront.cart.show", token: ada.token)["cart"], cart)
        let order = try shop("storefront.cart.checkout", ["cart": cart], token: ada.token)
        XCTAssertEqual(order["customer"], .int(ada.id))

        // Signing in from another guest session brings that cart along too, and the orders
        // placed as that guest.
        let second = try guest()
        let other = try XCTUnwrap(try shop("storefront.cart.create", token: second)["cart"])
        let earlier = try XCTUnwrap(try shop("storefront.cart.create", token: second)["cart"])
        try shop("storefront.cart.add", ["cart": earlier, "sku": "TEA-1", "quantity": 1], token: second)
        let guestOrder = try XCTUnwrap(try shop("storefront.cart.checkout", ["cart": earlier], token: second)["number"]?.stringValue)
        let secondSession = try XCTUnwrap(try visitor(second).shopperSessionID)
        let signedIn = try shop("storefront.account.sign_in", ["email": "ada@example.com", "password": .string(Self.password)], token: second)
        let token = try XCTUnwrap(signedIn["token"]?.stringValue)
        XCTAssertEqual(try shop("storefront.cart.show", ["cart": other], token: token)["cart"], other)
        XCTAssertEqual(try shop("storefront.cart.show", ["cart": other], token: ada.token)["cart"], other, "every session of the customer")
        XCTAssertEqual(try audit("storefront.account.sign_in").last?.actor, "guest:\(secondSession)")
        let history = try shop("storefront.orders.list", token: token)["items"]?.arrayValue?.compactMap { $0["number"]?.stringValue } ?? []
        XCTAssertTrue(history.contains(guestOrder), "the order placed as a guest is in the account's history: \(history)")
        XCTAssertEqual(try shop("storefront.orders.show", ["order": .string(guestOrder)], token: token)["number"]?.stringValue, guestOrder)
    }

    func testCustomersSeeOnlyTheirOwnOrders() throws {
        let ada = try register("ada@example.com"), bob = try register("bob@example.com")
        func buy(_ token: String) throws -> String {
            let cart = try XCTUnwrap(try shop("storefront.cart.create", token: token)["cart"])
            try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 1], token: token)
            return try XCTUnwrap(try shop("storefront.cart.checkout", ["cart": cart], token: token)["number"]?.stringValue)
        }
        let adas = try buy(ada.token), bobs = try buy(bob.token)
        try staff("orders.place", ["lines": ["CUP-1:1"], "customer": .int(ada.id)])  // placed by staff for Ada
        let list = try shop("storefront.orders.list", token: ada.token)
        XCTAssertEqual(list["items"]?.arrayValue?.map { $0["number"] }, ["NORTH-1003", .string(adas)])
        XCTAssertEqual(try shop("storefront.orders.show", ["order": .string(adas)], token: ada.token)["number"], .string(adas))
        let error = refusal("storefront.orders.show", ["order": .string(bobs)], token: ada.token)
        XCTAssertEqual(error?.code, .notFound)
        XCTAssertEqual(error?.message, "no order \(bobs) in this shop")
        XCTAssertEqual(try shop("storefront.orders.list", ["limit": 1], token: ada.token)["next_cursor"]?.intValue != nil, true)
        XCTAssertEqual(refusal("storefront.orders.list", token: try guest())?.code, .permissionDenied, "guests have no order history")
    }

    func testShoppersAndStaffStayOnTheirSide() throws {
        let ada = try register("ada@example.com")
        XCTAssertEqual(refusal("orders.list", token: ada.token)?.code, .permissionDenied)
        XCTAssertEqual(refusal("orders.cart.create", token: try guest())?.code, .permissionDenied)
        XCTAssertEqual(refusal("orders.list")?.code, .unauthenticated)
        XCTAssertThrowsError(try kernel.perform("storefront.cart.create", context: try harness.context(as: shop.owner, shop: shop.code))) {
            XCTAssertEqual(($0 as? KernelError)?.code, .permissionDenied)
        }
        XCTAssertEqual(try audit("orders.list").first?.outcome, "denied", "the refusal is audited")
    }
}
