import Foundation
import XCTest
import Kernel
import KernelTesting
import Orders
import Payment

/// A card gateway for tests (`testpay`): approves everything unless told to fail, and counts
/// what it was asked.
final class CountingGateway: PaymentProvider, @unchecked Sendable {
    let code = "testpay"
    let name = "Counting test gateway"
    let isOffline = false
    private let lock = NSLock()
    private var requests: [PaymentRequest] = []
    private var scripted: [PaymentRequest.Action: [PaymentOutcome]] = [:]

    /// The next answers to `action`, before it approves again.
    func answer(_ action: PaymentRequest.Action, with outcomes: [PaymentOutcome]) {
        lock.withLock { scripted[action, default: []] += outcomes }
    }

    func asked(_ action: PaymentRequest.Action) -> [PaymentRequest] {
        lock.withLock { requests.filter { $0.action == action } }
    }

    func perform(_ request: PaymentRequest) -> PaymentOutcome {
        lock.withLock {
            requests.append(request)
            if var queue = scripted[request.action], !queue.isEmpty {
                let outcome = queue.removeFirst()
                scripted[request.action] = queue
                return outcome
            }
            return .approved(reference: "tp_\(request.idempotencyKey)")
        }
    }
}

final class CountingGatewayPlugin: Plugin {
    let manifest = PluginManifest(id: "testgateway", name: "Test gateway", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version))
    let gateway = CountingGateway()

    func register(_ registrar: PluginRegistrar) throws {
        let gateway = self.gateway
        try registrar.filter(Hooks.paymentProviders) { providers, _ in providers.append(gateway) }
    }
}

/// Money going back when Orders cancels an order or approves a refund: Payment's outbox
/// subscribers void or refund through the provider, once, and retry what fails.
final class PaymentSettlementTests: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var gateway: CountingGateway!
    var contexts: [BuiltInRole: OperationContext] = [:]
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        let plugin = CountingGatewayPlugin()
        gateway = plugin.gateway
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), PaymentPlugin(), plugin])
        shop = try harness.fixtureShop()
        try perform("payment.method.configure", ["code": "testpay"], as: .manager)
        try perform("payment.method.configure", ["code": "sandbox"], as: .manager)
    }

    func ctx(_ role: BuiltInRole) throws -> OperationContext {
        if let context = contexts[role] { return context }
        let context = try harness.context(as: shop.email(role), shop: shop.code)
        contexts[role] = context
        return context
    }

    @discardableResult
    func perform(_ name: String, _ input: Value.Object = [:], as role: BuiltInRole) throws -> Value {
        try kernel.perform(name, input: input, context: try ctx(role))
    }

    /// A 9.00 EUR order (TEA x2), authorized with `method` and, when `capture`, captured (paid).
    func order(method: String = "testpay", capture: Bool = true) throws -> String {
        let number = try XCTUnwrap(perform("orders.place", ["lines": ["TEA:2"]], as: .clerk)["number"]?.stringValue)
        try perform("payment.authorize", ["order": .string(number), "method": .string(method), "card": "4242424242424242",
                                          "idempotency_key": .string("auth-\(number)")], as: .clerk)
        if capture {
            try perform("payment.capture", ["order": .string(number), "idempotency_key": .string("cap-\(number)")], as: .finance)
        }
        return number
    }

    func payment(_ number: String) throws -> Value { try perform("payment.show", ["order": .string(number)], as: .auditor) }

    func requestRefund(_ number: String, _ amount: Int64) throws -> Int64 {
        let request = try perform("orders.refund.request", ["order": .string(number), "amount": .int(amount), "reason": "damaged"],
                                  as: .clerk)
        return try XCTUnwrap(request["id"]?.intValue)
    }

    func approve(_ request: Int64) throws { try perform("orders.refund.approve", ["request": .int(request)], as: .finance) }

    func outbox() throws -> [Value] {
        try XCTUnwrap(kernel.perform("outbox.list", context: try harness.operatorContext())["items"]?.arrayValue)
    }

    // MARK: Cancellation

    func testCancellingAPaidOrderRefundsWhatWasCapturedOnce() throws {
        let number = try order()
        try perform("orders.cancel", ["order": .string(number)], as: .manager)

        let shown = try payment(number)
        XCTAssertEqual(shown["status"], "refunded")
        XCTAssertEqual(shown["refunded"]?["amount"], 900)
        XCTAssertEqual(shown["refund_pending"]?["amount"], 0)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.count, 1)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["source"], .string("cancel:\(number)"))
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["status"], "settled")
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["action"], "refund")
        XCTAssertEqual(shown["attempts"]?.arrayValue?.last?["action"], "refund")
        XCTAssertEqual(shown["attempts"]?.arrayValue?.last?["outcome"], "approved")
        XCTAssertEqual(shown["attempts"]?.arrayValue?.last?["reason"], .string("order \(number) cancelled"))

        let refunds = gateway.asked(.refund)
        XCTAssertEqual(refunds.count, 1, "the provider is asked once")
        XCTAssertEqual(refunds.first?.amount.minorUnits, 900)
        XCTAssertEqual(refunds.first?.reference, "tp_auth-\(number)")
        XCTAssertEqual(gateway.asked(.void).count, 0)

        let audit = try XCTUnwrap(perform("audit.list", ["entity": .string("payment:\(number)")], as: .owner)["items"]?.arrayValue)
        XCTAssertEqual(audit.first?["change"]?["action"], "refund")
        XCTAssertEqual(audit.first?["change"]?["amount"], 900)
        XCTAssertEqual(audit.first?["change"]?["source"], .string("cancel:\(number)"))
        XCTAssertEqual(audit.first?["change"]?["status"], "refunded")
        XCTAssertEqual(try outbox().count, 0, "delivered")
        // Orders booked the cancelled order's money as refunded, so the books agree.
        XCTAssertEqual(try perform("orders.show", ["order": .string(number)], as: .auditor)["refunded"]?["amount"], 900)
        XCTAssertEqual(try perform("payment.reconcile", [:], as: .auditor)["reconciled"], true)
    }

    func testCancellingAnAuthorizedOrderVoidsTheAuthorization() throws {
        let number = try order(capture: false)
        try perform("orders.cancel", ["order": .string(number)], as: .manager)
        let shown = try payment(number)
        XCTAssertEqual(shown["status"], "voided")
        XCTAssertEqual(shown["refunded"]?["amount"], 0)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["action"], "void")
        XCTAssertEqual(gateway.asked(.void).count, 1)
        XCTAssertEqual(gateway.asked(.refund).count, 0)
    }

    func testCancellingAfterAPartialCaptureRefundsItAndReleasesTheRestOfTheHold() throws {
        let number = try order(capture: false)
        try perform("payment.capture", ["order": .string(number), "amount": 400, "idempotency_key": "cap-part"], as: .finance)
        XCTAssertEqual(try payment(number)["status"], "authorized", "400 of 900 captured: still authorized for the rest")
        try perform("orders.cancel", ["order": .string(number)], as: .manager)

        let shown = try payment(number)
        XCTAssertEqual(shown["status"], "refunded")
        XCTAssertEqual(shown["refunded"]?["amount"], 400)
        XCTAssertEqual(shown["authorized"]?["amount"], 400, "the uncaptured 500 is no longer held")
        XCTAssertEqual(shown["attempts"]?.arrayValue?.suffix(2).map { $0["action"] }, ["refund", "void"])
        XCTAssertEqual(shown["settlements"]?.arrayValue?.compactMap { $0["source"]?.stringValue }.sorted(),
                       ["cancel:\(number)", "release:\(number)"])
        XCTAssertEqual(shown["refund_pending"]?["amount"], 0)
        XCTAssertEqual(gateway.asked(.refund).map(\.amount.minorUnits), [400])
        XCTAssertEqual(gateway.asked(.void).map(\.amount.minorUnits), [500])
        XCTAssertEqual(gateway.asked(.void).first?.idempotencyKey, "settlement-\(try XCTUnwrap(ctx(.owner).shop?.id))-release:\(number)")
        XCTAssertThrowsError(try perform("payment.capture", ["order": .string(number), "idempotency_key": "cap-more"], as: .finance))
        let reconcile = try perform("payment.reconcile", [:], as: .auditor)
        XCTAssertEqual(reconcile["reconciled"], true, JSON.encode(reconcile))
    }

    func testAReleaseTheGatewayRefusesNeverHoldsBackTheRefund() throws {
        let number = try order(capture: false)
        try perform("payment.capture", ["order": .string(number), "amount": 400, "idempotency_key": "cap-part"], as: .finance)
        gateway.answer(.void, with: [.declined(reason: "no void after a partial capture")])
        try perform("orders.cancel", ["order": .string(number)], as: .manager)

        let shown = try payment(number)
        XCTAssertEqual(shown["status"], "refunded", "the refund went through on its own")
        XCTAssertEqual(shown["refunded"]?["amount"], 400)
        XCTAssertEqual(shown["authorized"]?["amount"], 900, "the gateway keeps the hold until it lapses")
        let release = try XCTUnwrap(shown["settlements"]?.arrayValue?.first { $0["source"] == .string("release:\(number)") })
        XCTAssertEqual(release["status"], "nothing_to_do")
        XCTAssertEqual(release["note"], "testpay declined to release 5.00 EUR early (no void after a partial capture); the hold lapses when the authorization expires")
        XCTAssertEqual(gateway.asked(.refund).count, 1)
        XCTAssertEqual(try outbox().count, 0, "a refusal is final: nothing to retry")
    }

    func testAReleaseThatTimesOutIsRetriedAlone() throws {
        let number = try order(capture: false)
        try perform("payment.capture", ["order": .string(number), "amount": 400, "idempotency_key": "cap-part"], as: .finance)
        gateway.answer(.void, with: [.timedOut])
        try perform("orders.cancel", ["order": .string(number)], as: .manager)
        XCTAssertEqual(try payment(number)["refunded"]?["amount"], 400, "the refund is not held back")
        XCTAssertEqual(try outbox().count, 1, "the release waits in the outbox")

        harness.clock.advance(by: 3600)
        _ = kernel.deliverPendingEvents()
        XCTAssertEqual(try payment(number)["authorized"]?["amount"], 400)
        XCTAssertEqual(gateway.asked(.refund).count, 1, "the refund is never asked again")
        XCTAssertEqual(gateway.asked(.void).count, 2)
        XCTAssertEqual(Set(gateway.asked(.void).map(\.idempotencyKey)).count, 1, "the retry sends the same key")
        XCTAssertEqual(try outbox().count, 0)
    }

    func testCancellingAnUnpaidOrderMovesNoMoney() throws {
        let unpaid = try XCTUnwrap(perform("orders.place", ["lines": ["TEA:2"]], as: .clerk)["number"]?.stringValue)
        try perform("orders.cancel", ["order": .string(unpaid)], as: .manager)
        // A declined authorization holds nothing either.
        let declined = try XCTUnwrap(perform("orders.place", ["lines": ["TEA:1"]], as: .clerk)["number"]?.stringValue)
        try perform("payment.authorize", ["order": .string(declined), "method": "sandbox", "card": "4000000000000002",
                                          "idempotency_key": "declined"], as: .clerk)
        try perform("orders.cancel", ["order": .string(declined)], as: .manager)

        XCTAssertEqual(try payment(declined)["status"], "failed")
        XCTAssertEqual(try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM payment_settlements")[0].int("n") }, 0)
        XCTAssertEqual(gateway.asked(.refund).count + gateway.asked(.void).count, 0)
        XCTAssertEqual(try outbox().count, 0)
    }

    // MARK: After-sales refunds

    func testAnApprovedPartialRefundRefundsExactlyThatAmount() throws {
        let number = try order()
        let request = try requestRefund(number, 300)
        XCTAssertEqual(gateway.asked(.refund).count, 0, "a request moves no money")
        try approve(request)

        let shown = try payment(number)
        XCTAssertEqual(shown["status"], "partially_refunded")
        XCTAssertEqual(shown["refunded"]?["amount"], 300)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["source"], .string("aftersales:\(request)"))
        XCTAssertEqual(gateway.asked(.refund).map(\.amount.minorUnits), [300])
        XCTAssertEqual(try perform("payment.reconcile", [:], as: .auditor)["reconciled"], true)
    }

    func testApprovalsNeverRefundMoreThanWasCaptured() throws {
        let number = try order()
        // Staff refund 5.00 directly, without naming a request: Orders' books do not know.
        try perform("payment.refund", ["order": .string(number), "amount": 500, "idempotency_key": "direct"], as: .finance)
        let first = try requestRefund(number, 600), second = try requestRefund(number, 300)
        try approve(first)
        try approve(second)

        let shown = try payment(number)
        XCTAssertEqual(shown["refunded"]?["amount"], 900, "never more than captured")
        XCTAssertEqual(shown["status"], "refunded")
        // The first approval books 6.00, of which 5.00 went back already; the second books 3.00 more.
        XCTAssertEqual(gateway.asked(.refund).map(\.amount.minorUnits), [500, 100, 300])
        let settlements = try XCTUnwrap(shown["settlements"]?.arrayValue)
        XCTAssertEqual(settlements.map { $0["status"] }, ["settled", "settled"])
        XCTAssertEqual(settlements.map { $0["settled"]?["amount"] }, [100, 300])
        XCTAssertEqual(try perform("payment.reconcile", [:], as: .auditor)["reconciled"], true)

        // A third request finds nothing to refund: Orders' books refuse it (paid 9.00, refunded 9.00)
        // and Payment holds nothing more.
        XCTAssertThrowsError(try requestRefund(number, 1))
        XCTAssertEqual(try payment(number)["refunded"]?["amount"], 900)
    }

    func testAnApprovalAfterADirectRefundIsNotPaidTwice() throws {
        let number = try order()
        // The older way: staff refund in Payment first, then book it in Orders.
        try perform("payment.refund", ["order": .string(number), "amount": 400, "idempotency_key": "direct"], as: .finance)
        try approve(try requestRefund(number, 400))
        XCTAssertEqual(gateway.asked(.refund).map(\.amount.minorUnits), [400])
        let shown = try payment(number)
        XCTAssertEqual(shown["refunded"]?["amount"], 400)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["status"], "nothing_to_do")
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["note"], """
            nothing left to give back: the payment is partially_refunded (captured 9.00 EUR, refunded 4.00 EUR); \
            Orders booked 4.00 EUR refunded
            """)
    }

    func testARefundMadeInPaymentForARequestIsNotRepeated() throws {
        let number = try order()
        let request = try requestRefund(number, 300)
        try perform("payment.refund", ["order": .string(number), "amount": 300, "request": .int(request), "idempotency_key": "r1"],
                    as: .finance)
        try approve(request)
        XCTAssertEqual(gateway.asked(.refund).count, 1)
        let shown = try payment(number)
        XCTAssertEqual(shown["refunded"]?["amount"], 300)
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["status"], "settled")
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["note"]?.stringValue?.hasPrefix("refunded with payment.refund by staff:"), true)

        // Paying the same request out again is refused, before or after its approval.
        XCTAssertThrowsError(try perform("payment.refund", ["order": .string(number), "amount": 300, "request": .int(request),
                                                            "idempotency_key": "r2"], as: .finance)) { error in
            XCTAssertEqual((error as? KernelError)?.code, .conflict)
            XCTAssertEqual((error as? KernelError)?.message,
                           "after-sales request \(request) of order \(number) was already settled (settled); it is not refunded twice")
        }
        let other = try requestRefund(number, 200)
        try approve(other)
        XCTAssertThrowsError(try perform("payment.refund", ["order": .string(number), "amount": 200, "request": .int(other),
                                                            "idempotency_key": "r3"], as: .finance))
        XCTAssertEqual(gateway.asked(.refund).map(\.amount.minorUnits), [300, 200])
        XCTAssertEqual(try payment(number)["refunded"]?["amount"], 500)
    }

    // MARK: Failures and redelivery

    func testAProviderFailureIsRetriedByTheOutboxVisiblyThenSucceeds() throws {
        let number = try order()
        gateway.answer(.refund, with: [.declined(reason: "gateway busy"), .timedOut])
        try perform("orders.cancel", ["order": .string(number)], as: .manager)
        XCTAssertEqual(try perform("orders.show", ["order": .string(number)], as: .auditor)["status"], "cancelled",
                       "the cancellation stands whatever the gateway says")

        var shown = try payment(number)
        XCTAssertEqual(shown["status"], "captured")
        XCTAssertEqual(shown["refund_pending"]?["amount"], 900, "queued and visible")
        XCTAssertEqual(shown["settlements"]?.arrayValue?.first?["status"], "pending")
        var pending = try outbox()
        XCTAssertEqual(pending.count, 1)
        XCTAssertEqual(pending.first?["event"], "order.status_changed")
        XCTAssertEqual(pending.first?["attempts"], 1)
        XCTAssertEqual(pending.first?["state"], "pending")
        XCTAssertEqual(try perform("payment.reconcile", [:], as: .auditor)["reconciled"], false, "the books show money still owed")
        XCTAssertEqual(pending.first?["last_error"], .string("""
            payment.settle-cancellation: refund of 9.00 EUR on order \(number) (order \(number) cancelled) was not approved by \
            testpay: declined, gateway busy; it stays pending and is retried
            """))

        harness.clock.advance(by: 3)
        kernel.deliverPendingEvents()
        pending = try outbox()
        XCTAssertEqual(pending.first?["attempts"], 2)
        XCTAssertEqual(pending.first?["last_error"]?.stringValue?.contains("timed_out"), true)
        XCTAssertEqual(try payment(number)["status"], "captured")

        harness.clock.advance(by: 5)
        kernel.deliverPendingEvents()
        XCTAssertEqual(try outbox().count, 0)
        shown = try payment(number)
        XCTAssertEqual(shown["status"], "refunded")
        XCTAssertEqual(shown["refunded"]?["amount"], 900)
        XCTAssertEqual(shown["refund_pending"]?["amount"], 0)
        let refunds = gateway.asked(.refund)
        XCTAssertEqual(refunds.count, 3)
        XCTAssertEqual(Set(refunds.map(\.idempotencyKey)).count, 1, "every retry uses the same key, so a gateway never refunds twice")
        XCTAssertEqual(shown["attempts"]?.arrayValue?.filter { $0["action"] == "refund" }.count, 1, "failed tries leave no half-written rows")
        XCTAssertEqual(try perform("payment.reconcile", [:], as: .auditor)["reconciled"], true)
    }

    func testARedeliveredEventRefundsOnce() throws {
        let number = try order()
        let request = try requestRefund(number, 300)
        try approve(request)
        let other = try order()
        try perform("orders.cancel", ["order": .string(other)], as: .manager)
        XCTAssertEqual(gateway.asked(.refund).count, 2)

        // As if every delivery record were lost: each event runs through every subscriber again.
        try kernel.store.write { tx in
            try tx.execute("DELETE FROM souk_outbox_deliveries", [])
            try tx.execute("UPDATE souk_outbox SET delivered_at = NULL", [])
        }
        let report = kernel.deliverPendingEvents()
        XCTAssertGreaterThanOrEqual(report.delivered, 2)
        XCTAssertEqual(report.retrying + report.failed, 0)
        XCTAssertEqual(gateway.asked(.refund).count, 2, "no money moves twice")
        XCTAssertEqual(try payment(number)["refunded"]?["amount"], 300)
        XCTAssertEqual(try payment(other)["refunded"]?["amount"], 900)
    }
}
