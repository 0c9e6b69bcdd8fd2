import XCTest
import Kernel
import KernelTesting
import Orders
import Payment
import Inventory

/// Vetoes an order becoming paid while it asks for `hold=yes` (a risk review, say).
final class PaidHold: Plugin {
    let manifest = PluginManifest(id: "paidhold", name: "Paid hold", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))

    func register(_ registrar: PluginRegistrar) throws {
        try registrar.guard(Hooks.orderTransition) { change, _ in
            change.to == .paid && change.order.attributes["hold"] == "yes" ? .veto("held for review") : .allow
        }
    }
}

/// `payment.checkout`: the order, its stock reservation and the card payment in one
/// transaction, through the same operations as the separate steps.
final class PayAtCheckoutTests: CheckoutPaymentTestCase {
    func checkout(_ lines: [Value], card: String? = "4242424242424242", method: String = "sandbox", key: String,
                  as role: BuiltInRole = .manager) throws -> Value {
        var input: Value.Object = ["lines": .array(lines), "method": .string(method), "idempotency_key": .string(key)]
        if let card { input["card"] = .string(card) }
        return try kernel.perform("payment.checkout", input: input, context: try ctx(role))
    }

    func testAnApprovedCardPaysTheOrderAndSellsTheStockInOneCheckout() throws {
        let paid = try checkout(["TEA:2", "CUP:1"], key: "till-1")
        XCTAssertEqual(paid["outcome"], "approved")
        let number = try XCTUnwrap(paid["order"]?["number"]?.stringValue)
        XCTAssertEqual(paid["order"]?["status"], "paid")
        XCTAssertEqual(paid["payment"]?["status"], "captured")
        XCTAssertEqual(paid["payment"]?["captured"], paid["order"]?["total"])
        // The answer is what is stored.
        let stored = try kernel.perform("orders.show", input: ["order": .string(number)], context: try ctx(.auditor))
        XCTAssertEqual(JSON.encode(paid["order"]!), JSON.encode(stored))
        // The stock was reserved in the order's transaction and sold once it was paid.
        XCTAssertEqual(try stock("TEA")["on_hand"], 8)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
        XCTAssertEqual(try stock("CUP")["on_hand"], 2)
        let attempts = try kernel.perform("payment.show", input: ["order": .string(number)], context: try ctx(.auditor))["attempts"]!
        XCTAssertEqual(attempts.arrayValue?.map { $0["action"]!.stringValue! }, ["authorize", "capture"])
        // One audit entry per step, as when the steps run one by one.
        let audited = try kernel.store.read {
            try $0.query("SELECT operation FROM souk_audit WHERE entity = ? OR entity = ? ORDER BY id", ["order:\(number)", "payment:\(number)"])
                .map { try $0.string("operation") }
        }
        XCTAssertEqual(Set(audited), ["orders.place", "payment.authorize", "orders.pay", "payment.capture", "payment.checkout"])
    }

    func testADeclineLeavesAPlacedOrderWaitingForPayment() throws {
        let declined = try checkout(["TEA:1"], card: "4000000000000002", key: "till-2")
        XCTAssertEqual(declined["outcome"], "declined")
        XCTAssertEqual(declined["reason"], "card declined")
        XCTAssertEqual(declined["order"]?["status"], "pending_payment")
        XCTAssertEqual(try stock("TEA")["reserved"], 1, "held for the order until it is paid, cancelled or the hold expires")
        // Another card on the same order, with the separate step.
        let number = declined["order"]!["number"]!
        let retried = try kernel.perform("payment.authorize", input: ["order": number, "method": "sandbox", "card": "4242424242424242",
                                                                      "idempotency_key": "till-2b"], context: try ctx(.manager))
        XCTAssertEqual(retried["outcome"], "approved")
    }

    func testARetryWithTheSameKeyNeverPlacesASecondOrder() throws {
        let first = try checkout(["TEA:1"], card: "4000000000000119", key: "till-3")
        XCTAssertEqual(first["outcome"], "timed_out")
        XCTAssertEqual(first["order"]?["status"], "pending_payment")
        XCTAssertEqual(try count("orders_orders"), 1)
        // The retry asks the provider again (a timeout settled nothing) for the same order.
        let retried = try checkout(["TEA:1"], card: "4242424242424242", key: "till-3")
        XCTAssertEqual(retried["outcome"], "approved")
        XCTAssertEqual(retried["order"]?["number"], first["order"]?["number"])
        XCTAssertEqual(retried["order"]?["status"], "paid")
        XCTAssertEqual(try count("orders_orders"), 1)
        // Once settled, the same key answers the first result again and charges nothing more.
        let again = try checkout(["TEA:1"], key: "till-3")
        XCTAssertEqual(again["order"]?["number"], first["order"]?["number"])
        XCTAssertEqual(again["outcome"], "approved")
        XCTAssertEqual(try count("orders_orders"), 1)
        XCTAssertEqual(try count("payment_attempts"), 3, "authorize timed out, authorize approved, capture")
        XCTAssertEqual(try stock("TEA")["on_hand"], 9)
    }

    func testRefusalsWriteNothing() throws {
        let orders = try count("orders_orders"), audit = try count("souk_audit")
        func refused(_ lines: [Value], card: String? = "4242424242424242", method: String = "sandbox", key: String = "k",
                     as role: BuiltInRole = .manager) -> KernelError? {
            do {
                _ = try checkout(lines, card: card, method: method, key: key, as: role)
                XCTFail("checkout succeeded")
                return nil
            } catch { return error as? KernelError }
        }
        XCTAssertEqual(refused(["TEA:11"])?.code, .insufficientStock)
        XCTAssertEqual(refused(["NOPE:1"])?.message, "unknown SKU 'NOPE'")
        XCTAssertEqual(refused(["TEA:1"], method: "wire")?.message,
                       "no payment method 'wire' in this shop; configure it with payment.method.configure")
        XCTAssertEqual(refused(["TEA:1"], card: nil)?.message, "payment method 'sandbox' takes a card: give its number in the card field")
        XCTAssertEqual(refused(["TEA:1"], key: " ")?.message, "the idempotency key is empty")
        XCTAssertEqual(try count("orders_orders"), orders)
        XCTAssertEqual(try count("payment_payments"), 0)
        XCTAssertEqual(try count("souk_audit"), audit, "bad input is not audited")
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
        // A clerk places orders but cannot capture: refused before anything runs, and audited.
        XCTAssertEqual(refused(["TEA:1"], as: .clerk)?.code, .permissionDenied)
        XCTAssertEqual(try count("orders_orders"), orders)
        XCTAssertEqual(try count("souk_audit"), audit + 1)
    }

    func testAKeyNamesOneCheckout() throws {
        let first = try checkout(["TEA:1"], key: "till-5")
        let orders = try count("orders_orders")
        // Other lines under the same key: a conflict, not the first order, and nothing written.
        XCTAssertThrowsError(try checkout(["CUP:3"], key: "till-5")) {
            XCTAssertEqual(($0 as? KernelError)?.code, .conflict)
            XCTAssertEqual(($0 as? KernelError)?.message, """
                idempotency key 'till-5' was already used for the checkout of order \(first["order"]!["number"]!.stringValue!) with other lines, \
                customer, destination or method: use a new key for a different checkout
                """)
        }
        XCTAssertThrowsError(try checkout(["TEA:1"], card: nil, method: "cod", key: "till-5")) {
            XCTAssertEqual(($0 as? KernelError)?.code, .conflict)
        }
        XCTAssertEqual(try count("orders_orders"), orders)
        // The steps add ":authorize" and ":capture" to the key: longer keys are refused up front.
        XCTAssertThrowsError(try checkout(["TEA:1"], key: String(repeating: "k", count: 195))) {
            XCTAssertEqual(($0 as? KernelError)?.message, "the idempotency key has 195 characters; payment.checkout takes at most 190")
        }
        XCTAssertEqual(try checkout(["TEA:1"], key: String(repeating: "k", count: 190))["outcome"], "approved")
    }

    func testTheRequestKeyRunsATimedOutCheckoutAgainInsteadOfReplayingIt() throws {
        var context = try ctx(.manager)
        context.idempotencyKey = "request-7"
        func run(_ card: String) throws -> Value {
            try kernel.perform("payment.checkout", input: ["lines": ["TEA:1"], "method": "sandbox", "card": .string(card)], context: context)
        }
        let first = try run("4000000000000119")
        XCTAssertEqual(first["outcome"], "timed_out")
        let second = try run("4242424242424242")
        XCTAssertEqual(second["outcome"], "approved", "a timeout settled nothing: the provider is asked again")
        XCTAssertEqual(second["order"]?["number"], first["order"]?["number"])
        XCTAssertEqual(try count("orders_orders"), 1)
        // Settled now: the request key replays it.
        XCTAssertEqual(try run("4242424242424242"), second)
        XCTAssertEqual(try count("payment_attempts"), 3)
    }

    func testACaptureRefusedAfterAuthorizationKeepsTheOrderAndItsAuthorization() throws {
        var input: Value.Object = ["lines": ["TEA:1"], "attributes": ["hold=yes"], "method": "sandbox", "card": "4242424242424242",
                                   "idempotency_key": "till-6"]
        let held = try kernel.perform("payment.checkout", input: input, context: try ctx(.manager))
        XCTAssertEqual(held["outcome"], "approved")
        XCTAssertEqual(held["capture_error"], "vetoed: held for review (refused by paidhold)")
        XCTAssertEqual(held["order"]?["status"], "pending_payment")
        XCTAssertEqual(held["payment"]?["status"], "authorized")
        let number = try XCTUnwrap(held["order"]?["number"]?.stringValue)
        XCTAssertEqual(try kernel.perform("payment.show", input: ["order": .string(number)], context: try ctx(.auditor))["status"], "authorized")
        // Still held: the same key tries the capture again and says so again.
        XCTAssertEqual(try kernel.perform("payment.checkout", input: input, context: try ctx(.manager))["capture_error"], held["capture_error"])
        XCTAssertEqual(try count("orders_orders"), 1)
        input["attributes"] = ["hold=yes"]
    }

    func testOfflineMethodsPlaceTheOrderAndWaitForTheMoney() throws {
        let cod = try checkout(["CUP:1"], card: nil, method: "cod", key: "till-4")
        XCTAssertEqual(cod["outcome"], "pending")
        XCTAssertEqual(cod["order"]?["status"], "pending_payment")
        XCTAssertEqual(cod["payment"]?["status"], "pending")
    }
}
