import XCTest
import Kernel
import KernelTesting

/// `storefront.order.pay`: a shopper pays their own order through the back office's payment path.
final class StorefrontPaymentTests: StorefrontTestCase {
    static let visa = "4242424242424242"
    static let declined = "4000000000000002"

    override func setUpWithError() throws {
        try super.setUpWithError()
        try staff("payment.method.configure", ["code": "sandbox"])
        try staff("payment.method.configure", ["code": "cod"])
    }

    /// Checks out a cart of one TEA-1 for `token`; returns the order number.
    func order(_ token: String) throws -> String {
        let cart = try XCTUnwrap(try shop("storefront.cart.create", token: token)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 2], token: token)
        return try XCTUnwrap(try shop("storefront.cart.checkout", ["cart": cart], token: token)["number"]?.stringValue)
    }

    func testAGuestPaysTheirOrderByCard() throws {
        let token = try guest()
        let number = try order(token)
        let paid = try shop("storefront.order.pay", ["order": .string(number), "method": "sandbox", "card": .string(Self.visa)],
                            token: token, key: "pay-1")
        XCTAssertEqual(paid["outcome"], "approved")
        XCTAssertEqual(paid["order_status"], "paid")
        XCTAssertEqual(paid["payment"]?["card_last4"], "4242")
        XCTAssertEqual(try staff("orders.show", ["order": .string(number)])["status"], "paid")
        XCTAssertEqual(try staff("inventory.stock.list", ["sku": "TEA-1"])["items"]?.arrayValue?[0]["on_hand"], 18, "the reserved units were sold")
        // Retrying the same request charges nothing more.
        XCTAssertEqual(try shop("storefront.order.pay", ["order": .string(number), "method": "sandbox", "card": .string(Self.visa)],
                                token: token, key: "pay-1")["outcome"], "approved")
        XCTAssertEqual(try count("SELECT COUNT(*) AS n FROM payment_attempts"), 2, "one authorize, one capture")

        // The whole path is audited with the guest as the actor, the card never.
        let guestActor = "guest:\(try visitor(token).shopperSessionID!)"
        for operation in ["storefront.order.pay", "payment.authorize", "payment.capture", "orders.pay"] {
            XCTAssertEqual(try audit(operation).map(\.actor), [guestActor], operation)
        }
        XCTAssertFalse(try kernel.store.read { try $0.query("SELECT change FROM souk_audit").map { try $0.string("change") }.joined() }
            .contains(Self.visa))
    }

    func testAShopperPaysWhileCheckingOut() throws {
        let token = try guest()
        let cart = try XCTUnwrap(try shop("storefront.cart.create", token: token)["cart"])
        try shop("storefront.cart.add", ["cart": cart, "sku": "TEA-1", "quantity": 2], token: token)
        let order = try shop("storefront.cart.checkout", ["cart": cart, "pay_with": "sandbox", "card": .string(Self.visa)], token: token)
        XCTAssertEqual(order["status"], "paid")
        XCTAssertEqual(order["payment"]?["outcome"], "approved")
        XCTAssertEqual(try staff("inventory.stock.list", ["sku": "TEA-1"])["items"]?.arrayValue?[0]["on_hand"], 18, "sold at once")
        // The order is the guest's own, paid by them, in one audited operation.
        let number = try XCTUnwrap(order["number"])
        XCTAssertEqual(try staff("orders.show", ["order": number])["status"], "paid")
        let guestActor = "guest:\(try visitor(token).shopperSessionID!)"
        XCTAssertEqual(try audit("storefront.cart.checkout").map(\.actor), [guestActor])
        XCTAssertEqual(try audit("payment.authorize").count, 0, "no separate payment step ran")

        // A declined card leaves the shopper's order waiting, its units held.
        let other = try XCTUnwrap(try shop("storefront.cart.create", token: token)["cart"])
        try shop("storefront.cart.add", ["cart": other, "sku": "TEA-1", "quantity": 1], token: token)
        let waiting = try shop("storefront.cart.checkout", ["cart": other, "pay_with": "sandbox", "card": .string(Self.declined)], token: token)
        XCTAssertEqual(waiting["status"], "pending_payment")
        XCTAssertEqual(waiting["payment"]?["reason"], "card declined")
        XCTAssertEqual(try staff("inventory.stock.list", ["sku": "TEA-1"])["items"]?.arrayValue?[0]["reserved"], 1)
    }

    func testADeclineIsAnAnswerAndOnlyTheOwnerMayPay() throws {
        let alice = try guest()
        let number = try order(alice)
        let declined = try shop("storefront.order.pay", ["order": .string(number), "method": "sandbox", "card": .string(Self.declined)],
                                token: alice, key: "a")
        XCTAssertEqual(declined["outcome"], "declined")
        XCTAssertEqual(try staff("orders.show", ["order": .string(number)])["status"], "pending_payment")

        let bob = try guest(), carol = try register("carol@example.com")
        for token in [bob, carol.token] {
            let error = refusal("storefront.order.pay", ["order": .string(number), "method": "sandbox", "card": .string(Self.visa),
                                                         "idempotency_key": "b"], token: token)
            XCTAssertEqual(error?.code, .notFound)
            XCTAssertEqual(error?.message, "no order \(number) in this shop")
        }
        XCTAssertEqual(refusal("storefront.order.pay", ["order": .string(number), "method": "sandbox", "idempotency_key": "c"])?.code,
                       .unauthenticated)
        // A customer pays their own order with an offline method: it waits for the money.
        let own = try order(carol.token)
        let cod = try shop("storefront.order.pay", ["order": .string(own), "method": "cod", "idempotency_key": "cod-1"], token: carol.token)
        XCTAssertEqual(cod["payment"]?["status"], "pending")
        XCTAssertEqual(try staff("orders.show", ["order": .string(own)])["status"], "pending_payment")
    }
}
