import Foundation
import XCTest
import Kernel
import KernelTesting
import Orders
import Payment
import Inventory

/// `orders.place` with `pay_with`: one operation places the order, sells its stock and takes
/// the card payment in one transaction (the kernel's `order.paying` hook); anything short of
/// a full capture leaves the order waiting for payment with its stock held.
final class PayWhilePlacingTests: CheckoutPaymentTestCase {
    let watcher = LowStockWatcher()
    override var extraPlugins: [any Plugin] { [EchoingGatewayPlugin(), watcher] }

    func place(_ lines: [Value], with method: String? = "sandbox", card: String? = "4242424242424242",
               attributes: [Value] = [], as role: BuiltInRole = .manager) throws -> Value {
        var input: Value.Object = ["lines": .array(lines)]
        if let method { input["pay_with"] = .string(method) }
        if let card { input["card"] = .string(card) }
        if !attributes.isEmpty { input["attributes"] = .array(attributes) }
        return try kernel.perform("orders.place", input: input, context: try ctx(role))
    }

    func payment(_ number: Value) throws -> Value {
        try kernel.perform("payment.show", input: ["order": number], context: try ctx(.auditor))
    }

    func testAnApprovedCardPlacesTheOrderPaidWithItsStockSold() throws {
        let order = try place(["TEA:2", "CUP:1"])
        let number = try XCTUnwrap(order["number"])
        XCTAssertEqual(order["status"], "paid")
        XCTAssertEqual(order["paid"], order["total"])
        XCTAssertEqual(order["payment"]?["outcome"], "approved")
        XCTAssertEqual(order["payment"]?["record"]?["status"], "captured")
        XCTAssertEqual(order["payment"]?["record"]?["card_last4"], "4242")
        // The answer is what is stored (apart from the payment, which payment.show reads).
        var answered = try XCTUnwrap(order.objectValue)
        answered["payment"] = nil
        let stored = try kernel.perform("orders.show", input: ["order": number], context: try ctx(.auditor))
        XCTAssertEqual(JSON.encode(.object(answered)), JSON.encode(stored))
        // Sold at once: on hand goes down, nothing is held, no reservation to settle later.
        XCTAssertEqual(try stock("TEA")["on_hand"], 8)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
        XCTAssertEqual(try stock("CUP")["on_hand"], 2)
        XCTAssertEqual(try count("inventory_reservations"), 0)
        let ledger = try kernel.perform("inventory.movements", input: ["sku": "TEA"], context: try ctx(.auditor))["items"]!.arrayValue!
        XCTAssertEqual(ledger.first?["kind"], "sale")
        XCTAssertEqual(ledger.first?["on_hand"], -2)
        // The payment keeps its event log: the authorization and the capture.
        let recorded = try payment(number)
        XCTAssertEqual(recorded["status"], "captured")
        XCTAssertEqual(recorded["captured"], order["total"])
        XCTAssertEqual(recorded["attempts"]?.arrayValue?.map { $0["action"]!.stringValue! }, ["authorize", "capture"])
        XCTAssertEqual(try count("payment_payments", "card_last4 = '4242'"), 1)
        // The card number is nowhere in the data folder (database and write-ahead log).
        let folder = harness.directory.path
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            XCTAssertNil(data.range(of: Data("4242424242424242".utf8)), "\(name) holds the card number")
        }
        // History: placed, then paid at checkout by the same person at the same moment.
        let history = try kernel.perform("orders.history", input: ["order": number], context: try ctx(.auditor)).arrayValue!
        XCTAssertEqual(history.map { $0["to"]!.stringValue! }, ["pending_payment", "paid"])
        XCTAssertEqual(history[1]["reason"], "paid at checkout (sandbox)")
        // One operation, one audit entry, which records the payment's outcome.
        let audited = try kernel.store.read {
            try $0.query("SELECT operation, change FROM souk_audit WHERE entity = ? OR entity = ?", ["order:\(number.stringValue!)", "payment:\(number.stringValue!)"])
        }
        XCTAssertEqual(audited.count, 1)
        XCTAssertEqual(try audited[0].string("operation"), "orders.place")
        let change = try JSON.decode(try audited[0].string("change"))
        XCTAssertEqual(change["status"], "paid")
        XCTAssertEqual(change["payment"]?["outcome"], "approved")
        // Paid while placed, nothing is left for the reservation subscriber to settle.
        XCTAssertEqual(try count("souk_outbox", "delivered_at IS NULL AND failed_at IS NULL"), 0)
    }

    func testASaleAtCheckoutRaisesLowStockOnceAndPicksTheLocationWithMostToSpare() throws {
        try kernel.perform("inventory.safety.set", input: ["sku": "TEA", "quantity": 2], context: try ctx(.manager))
        _ = try place(["TEA:5"])
        kernel.deliverPendingEvents()
        XCTAssertEqual(watcher.seen.all, [], "available 3, still above the safety stock")
        _ = try place(["TEA:1"])
        kernel.deliverPendingEvents()
        XCTAssertEqual(watcher.seen.all, ["TEA@main:2"], "available fell to the safety stock")
        _ = try place(["TEA:1"])
        kernel.deliverPendingEvents()
        XCTAssertEqual(watcher.seen.all, ["TEA@main:2"], "once per crossing")
        _ = try place(["TEA:1"])
        kernel.deliverPendingEvents()
        XCTAssertEqual(watcher.seen.all, ["TEA@main:2"], "below the safety stock already: no second event")
        XCTAssertEqual(try stock("TEA")["available"], 0)
        XCTAssertThrowsError(try place(["TEA:1"]), "the safety stock is not for sale") {
            XCTAssertEqual(($0 as? KernelError)?.code, .insufficientStock)
        }
        // A second location (the one-location shortcut must notice): each line is sold where
        // most is available, here the depot.
        _ = try place(["CUP:1"])
        try kernel.perform("inventory.location.create", input: ["code": "depot", "name": "Depot"], context: try ctx(.manager))
        try kernel.perform("inventory.adjust", input: ["sku": "CUP", "quantity": 6, "reason": "received", "location": "depot"],
                           context: try ctx(.manager))
        _ = try place(["CUP:1"])
        let levels = try kernel.perform("inventory.stock.list", input: ["sku": "CUP"], context: try ctx(.auditor))["items"]!.arrayValue!
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: levels.map { ($0["location"]!.stringValue!, $0["on_hand"]!) }),
                       ["main": 2, "depot": 5])
    }

    func testADeclinedCardLeavesTheOrderWaitingWithItsStockHeld() throws {
        let order = try place(["TEA:1"], card: "4000000000000002")
        let number = try XCTUnwrap(order["number"])
        XCTAssertEqual(order["status"], "pending_payment")
        XCTAssertEqual(order["paid"]?["amount"], 0)
        XCTAssertEqual(order["payment"]?["outcome"], "declined")
        XCTAssertEqual(order["payment"]?["reason"], "card declined")
        // The sale was undone and the units are held instead, as for any unpaid order.
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
        XCTAssertEqual(try stock("TEA")["reserved"], 1)
        XCTAssertEqual(try count("inventory_reservations", "status = 'active'"), 1)
        XCTAssertEqual(try count("inventory_movements", "kind = 'sale'"), 0)
        // The decline is on record once: the provider was asked once.
        let recorded = try payment(number)
        XCTAssertEqual(recorded["status"], "failed")
        XCTAssertEqual(recorded["attempts"]?.arrayValue?.map { $0["outcome"]!.stringValue! }, ["declined"])
        let history = try kernel.perform("orders.history", input: ["order": number], context: try ctx(.auditor)).arrayValue!
        XCTAssertEqual(history.count, 1, "placed, not paid")
        let stored = try kernel.perform("orders.show", input: ["order": number], context: try ctx(.auditor))
        XCTAssertEqual(stored["status"], "pending_payment")
        // Another card pays it with the separate steps, and the held units are sold.
        let authorized = try kernel.perform("payment.authorize", input: ["order": number, "method": "sandbox", "card": "4242424242424242",
                                                                         "idempotency_key": "retry-1"], context: try ctx(.manager))
        XCTAssertEqual(authorized["outcome"], "approved")
        try kernel.perform("payment.capture", input: ["order": number, "idempotency_key": "retry-2"], context: try ctx(.manager))
        kernel.deliverPendingEvents()
        XCTAssertEqual(try stock("TEA")["on_hand"], 9)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
    }

    func testAGatewayRepeatingTheCardNumberNeverGetsItStored() throws {
        try kernel.perform("payment.method.configure", input: ["code": "echo"], context: try ctx(.manager))
        let order = try place(["TEA:1"], with: "echo", card: "4242 4242 4242 4242")
        XCTAssertEqual(order["payment"]?["outcome"], "declined")
        XCTAssertEqual(order["payment"]?["reason"], "card card ending 4242 refused")
        let attempts = try payment(order["number"]!)["attempts"]!.arrayValue!
        XCTAssertEqual(attempts.map { $0["reason"]! }, ["card card ending 4242 refused"])
        let folder = harness.directory.path
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            XCTAssertNil(data.range(of: Data("4242424242424242".utf8)), "\(name) holds the card number")
        }
    }

    func testATimeoutOrAPendingConfirmationLeavesTheOrderWaiting() throws {
        let timedOut = try place(["TEA:1"], card: "4000000000000119")
        XCTAssertEqual(timedOut["status"], "pending_payment")
        XCTAssertEqual(timedOut["payment"]?["outcome"], "timed_out")
        XCTAssertEqual(try payment(timedOut["number"]!)["attempts"]?.arrayValue?.count, 1)
        let pending = try place(["CUP:1"], card: "4000000000003220")
        XCTAssertEqual(pending["status"], "pending_payment")
        XCTAssertEqual(pending["payment"]?["outcome"], "pending")
        XCTAssertEqual(try payment(pending["number"]!)["status"], "pending")
        XCTAssertNotEqual(pending["payment"]?["record"]?["reference"], .null, "the webhook will confirm it by this reference")
        // The attempt records the key the provider was given (the sandbox derives its
        // reference from it), although it was recorded on the second run.
        let attempt = try XCTUnwrap(try payment(pending["number"]!)["attempts"]?.arrayValue?.first)
        let key = try XCTUnwrap(attempt["idempotency_key"]?.stringValue)
        XCTAssertEqual(attempt["reference"]?.stringValue, "sbx_" + String(SHA256.hex(key).prefix(16)))
        XCTAssertEqual(try stock("TEA")["reserved"], 1)
        XCTAssertEqual(try stock("CUP")["reserved"], 1)
        XCTAssertEqual(try count("orders_orders", "status = 'pending_payment'"), 2)
    }

    func testAnOfflineMethodPlacesTheOrderWaitingForTheMoney() throws {
        // A clerk may take cash on delivery (authorizing needs payment.charge, which clerks hold).
        let order = try place(["TEA:3"], with: "cod", card: nil, as: .clerk)
        XCTAssertEqual(order["status"], "pending_payment")
        XCTAssertEqual(order["payment"]?["outcome"], "pending")
        XCTAssertEqual(try payment(order["number"]!)["method"], "cod")
        XCTAssertEqual(try stock("TEA")["reserved"], 3)
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
    }

    func testCancellingAnOrderPaidWhilePlacedPutsItsStockBackAndRefunds() throws {
        let order = try place(["TEA:2", "CUP:1"])
        XCTAssertEqual(try stock("TEA")["on_hand"], 8)
        let cancelled = try kernel.perform("orders.cancel", input: ["order": order["number"]!, "reason": "changed mind"], context: try ctx(.manager))
        XCTAssertEqual(cancelled["status"], "cancelled")
        kernel.deliverPendingEvents()
        // Sold with no reservation, yet back on hand where it left, once.
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
        XCTAssertEqual(try stock("CUP")["on_hand"], 3)
        XCTAssertEqual(try count("inventory_movements", "kind = 'restocked'"), 2)
        kernel.deliverPendingEvents()
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
        // The captured money goes back through the provider.
        let recorded = try payment(order["number"]!)
        XCTAssertEqual(recorded["status"], "refunded")
        // An order placed waiting for payment and then cancelled is not "restocked" twice.
        let waiting = try place(["TEA:1"], card: "4000000000000002")
        try kernel.perform("orders.cancel", input: ["order": waiting["number"]!], context: try ctx(.manager))
        kernel.deliverPendingEvents()
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
    }

    func testRefusalsWriteNothingAndAskNoProvider() throws {
        let audit = try count("souk_audit")
        func refused(_ lines: [Value], with method: String? = "sandbox", card: String? = "4242424242424242",
                     attributes: [Value] = [], as role: BuiltInRole = .manager) -> KernelError? {
            do {
                _ = try place(lines, with: method, card: card, attributes: attributes, as: role)
                XCTFail("placing succeeded")
                return nil
            } catch { return error as? KernelError }
        }
        XCTAssertEqual(refused(["TEA:11"])?.code, .insufficientStock)
        XCTAssertEqual(refused(["TEA:1"], card: "4242424242424241")?.field, "card", "the check digit is wrong")
        XCTAssertEqual(refused(["TEA:1"], card: nil)?.message, "payment method 'sandbox' takes a card: give its number in the card field")
        XCTAssertEqual(refused(["TEA:1"], with: "wire")?.message, "no plugin enabled in this shop takes payment method 'wire' at checkout")
        XCTAssertEqual(refused(["TEA:1"], with: nil)?.field, "card", "a card without pay_with is refused, not ignored")
        XCTAssertEqual(refused(["TEA:1"], with: "cod")?.message, "payment method 'cod' takes no card; leave the card out")
        // A clerk places orders but may not capture a card.
        XCTAssertEqual(refused(["TEA:1"], as: .clerk)?.code, .permissionDenied)
        // An order.transition guard refuses paying this order: the whole checkout is refused.
        XCTAssertEqual(refused(["TEA:1"], attributes: ["hold=yes"])?.code, .vetoed)
        XCTAssertEqual(try count("orders_orders"), 0)
        XCTAssertEqual(try count("payment_payments"), 0)
        XCTAssertEqual(try count("payment_attempts"), 0, "no provider was asked, or its answer was never kept")
        XCTAssertEqual(try count("inventory_movements", "order_number IS NOT NULL"), 0)
        XCTAssertEqual(try stock("TEA")["on_hand"], 10)
        XCTAssertEqual(try stock("TEA")["reserved"], 0)
        // Only the denied permission is audited, as a refusal; numbers were not used up.
        XCTAssertEqual(try count("souk_audit") - audit, try count("souk_audit", "outcome <> 'ok'"))
        let next = try place(["TEA:1"])
        XCTAssertEqual(next["number"], .string("\(shop.code.uppercased())-1001"))
    }

    func testARequestKeyReplaysTheCheckoutInsteadOfPayingTwice() throws {
        var context = try ctx(.manager)
        context.idempotencyKey = "till-7"
        let input: Value.Object = ["lines": ["TEA:1"], "pay_with": "sandbox", "card": "4242424242424242"]
        let first = try kernel.perform("orders.place", input: input, context: context)
        let again = try kernel.perform("orders.place", input: input, context: context)
        XCTAssertEqual(again["number"], first["number"])
        XCTAssertEqual(try count("orders_orders"), 1)
        XCTAssertEqual(try count("payment_attempts"), 2)
        XCTAssertEqual(try stock("TEA")["on_hand"], 9)
    }

    /// Threads race to pay for the last units: exactly as many orders are paid as there are
    /// units, the others are refused whole, and nothing is oversold.
    func testARaceForTheLastUnitsSellsEachUnitOnce() throws {
        let context = try ctx(.manager), kernel = self.kernel
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            do {
                let order = try kernel.perform("orders.place", input: ["lines": ["CUP:1"], "pay_with": "sandbox", "card": "4242424242424242"],
                                               context: context)
                outcomes.add(order["status"]?.stringValue ?? "?")
            } catch let error as KernelError {
                outcomes.add(error.code.rawValue)
            } catch {
                outcomes.add("\(error)")
            }
        }
        XCTAssertEqual(outcomes.all.filter { $0 == "paid" }.count, 3)
        XCTAssertEqual(outcomes.all.filter { $0 == "insufficient_stock" }.count, 9)
        XCTAssertEqual(try stock("CUP")["on_hand"], 0)
        XCTAssertEqual(try count("payment_payments", "status = 'captured'"), 3)
    }
}

/// A gateway that repeats the card number in its decline, as careless gateways do.
struct EchoingGateway: PaymentProvider {
    let code = "echo"
    let name = "Echoing gateway"
    let isOffline = false
    func perform(_ request: PaymentRequest) -> PaymentOutcome {
        .declined(reason: "card \(request.instrument ?? "none") refused")
    }
}

final class EchoingGatewayPlugin: Plugin {
    let manifest = PluginManifest(id: "echogateway", name: "Echoing gateway", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))
    func register(_ registrar: PluginRegistrar) throws {
        try registrar.filter(Hooks.paymentProviders) { providers, _ in providers.append(EchoingGateway()) }
    }
}

/// Results gathered from several threads.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func add(_ value: String) { lock.lock(); values.append(value); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return values }
}
