import XCTest
import Kernel
import KernelTesting
import Orders
import Payment

/// The Payment plugin through its operations, with Orders placing the orders and the test
/// pricing table (TEA 4.50, CUP 12.00, POT 33.33 EUR) pricing them.
final class PaymentTests: XCTestCase {
    static let secret = "whsec_fixture_0123456789"
    static let visa = "4242424242424242"
    static let declined = "4000000000000002"
    static let insufficient = "4000000000009995"
    static let timeout = "4000000000000119"
    static let pending = "4000000000003220"

    var harness: KernelHarness!
    var shop: FixtureShop!
    var contexts: [BuiltInRole: OperationContext] = [:]
    var kernel: Kernel { harness.kernel }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), PaymentPlugin()])
        shop = try harness.fixtureShop()
        try perform("payment.method.configure", ["code": "sandbox"], as: .manager)
        try perform("payment.method.configure", ["code": "cod", "fee": 150], as: .manager)
        try perform("payment.method.configure", ["code": "bank_transfer", "display_order": 1], as: .manager)
        try perform("settings.set", ["plugin": "payment", "key": "webhook_secret", "value": .string(Self.secret)], as: .owner)
    }

    // MARK: Helpers

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

    /// Places an order as the clerk and returns its number.
    func place(_ lines: [Value] = ["TEA:2"]) throws -> String {
        let order = try kernel.perform("orders.place", input: ["lines": .array(lines)], context: try ctx(.clerk))
        return try XCTUnwrap(order["number"]?.stringValue)
    }

    @discardableResult
    func authorize(_ order: String, card: String? = visa, key: String, method: String = "sandbox", as role: BuiltInRole = .clerk) throws -> Value {
        var input: Value.Object = ["order": .string(order), "method": .string(method), "idempotency_key": .string(key)]
        if let card { input["card"] = .string(card) }
        return try perform("payment.authorize", input, as: role)
    }

    @discardableResult
    func capture(_ order: String, amount: Int64? = nil, key: String, as role: BuiltInRole = .finance) throws -> Value {
        var input: Value.Object = ["order": .string(order), "idempotency_key": .string(key)]
        if let amount { input["amount"] = .int(amount) }
        return try perform("payment.capture", input, as: role)
    }

    func orderStatus(_ order: String) throws -> String? {
        try perform("orders.show", ["order": .string(order)], as: .auditor)["status"]?.stringValue
    }

    func count(_ table: String) throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM \(table)")[0].int("n") }
    }

    func assertRefused(_ name: String, _ input: Value.Object, as role: BuiltInRole, _ code: ErrorCode, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try perform(name, input, as: role), file: file, line: line) { error in
            let error = error as? KernelError
            XCTAssertEqual(error?.code, code, file: file, line: line)
            XCTAssertEqual(error?.message, message, file: file, line: line)
        }
    }

    var nowSeconds: Int64 { Int64(harness.clock.now().timeIntervalSince1970) }

    /// A gateway callback: the payload and its signature with `secret`.
    func signed(reference: String, event: String, amount: Int64, timestamp: Int64? = nil,
                secret: String = secret) -> (payload: String, signature: String) {
        let timestamp = timestamp ?? nowSeconds
        let payload = #"{"reference":"\#(reference)","event":"\#(event)","amount":\#(amount),"timestamp":\#(timestamp)}"#
        let signature = Hex.encode(HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).\(payload)".utf8)))
        return (payload, signature)
    }

    @discardableResult
    func webhook(_ callback: (payload: String, signature: String), as role: BuiltInRole = .owner) throws -> Value {
        try perform("payment.webhook", ["payload": .string(callback.payload), "signature": .string(callback.signature)], as: role)
    }

    // MARK: Methods

    func testMethodsAreListedByGroupThenDisplayOrderWithProviderNames() throws {
        try perform("payment.method.configure", ["code": "cod", "display_order": 5], as: .manager)
        let methods = try XCTUnwrap(perform("payment.method.list", as: .clerk).arrayValue)
        XCTAssertEqual(methods.map { $0["code"] }, ["sandbox", "bank_transfer", "cod"])
        XCTAssertEqual(methods.map { $0["group"] }, ["mainstream", "other", "other"])
        XCTAssertEqual(methods[0]["name"], "Card sandbox (test cards)")
        XCTAssertEqual(methods[0]["offline"], false)
        XCTAssertEqual(methods[2]["name"], "Cash on delivery")
        XCTAssertEqual(methods[2]["offline"], true)
        XCTAssertEqual(methods[2]["fee"]?["amount"], 150, "fields left out keep their value")

        try perform("payment.method.configure", ["code": "bank_transfer", "group": "mainstream", "display_order": 0, "enabled": false],
                    as: .manager)
        let again = try XCTUnwrap(perform("payment.method.list", as: .clerk).arrayValue)
        XCTAssertEqual(again.map { $0["code"] }, ["bank_transfer", "sandbox", "cod"], "same group: display order, then code")
        XCTAssertEqual(try perform("payment.method.list", ["enabled": true], as: .clerk).arrayValue?.map { $0["code"] }, ["sandbox", "cod"])
        let audit = try perform("audit.list", ["operation": "payment.method.configure", "limit": 1], as: .owner)
        XCTAssertEqual(audit["items"]?.arrayValue?.first?["entity"], "payment_method:bank_transfer")
        XCTAssertEqual(audit["items"]?.arrayValue?.first?["change"]?["after"]?["enabled"], false)
    }

    func testMethodConfigurationIsValidatedAndChangesNothingWhenRefused() throws {
        let before = try perform("payment.method.list", as: .manager)
        assertRefused("payment.method.configure", ["code": "paypal"], as: .manager, .notFound,
                      "no payment provider 'paypal' is available in this shop (available: bank_transfer, cod, sandbox)")
        assertRefused("payment.method.configure", ["code": "cod", "fee": -1], as: .manager, .invalidInput,
                      "the fee must be 0 or more minor units, got -1")
        assertRefused("payment.method.configure", ["code": "cod", "group": "premium"], as: .manager, .invalidInput,
                      "'premium' is not a payment method group: use mainstream or other")
        assertRefused("payment.method.configure", ["code": "cod", "min_amount": 5000, "max_amount": 1000], as: .manager, .invalidInput,
                      "min_amount (50.00 EUR) must not exceed max_amount (10.00 EUR)")
        try perform("payment.method.configure", ["code": "cod", "max_amount": 1000], as: .manager)
        assertRefused("payment.method.configure", ["code": "cod", "min_amount": 2000], as: .manager, .invalidInput,
                      "min_amount (20.00 EUR) must not exceed max_amount (10.00 EUR)")
        assertRefused("payment.method.configure", ["code": "cod", "min_amount": -5], as: .manager, .invalidInput,
                      "min_amount must be 0 or more minor units, got -5")
        assertRefused("payment.method.configure", ["code": "cod", "fee": 0], as: .clerk, .permissionDenied,
                      "clerk@fixture.test lacks permission 'payment.manage' in shop 'fixture'")
        let after = try perform("payment.method.list", as: .manager)
        XCTAssertEqual(after.arrayValue?.count, before.arrayValue?.count)
        let cod = after.arrayValue?.first { $0["code"] == "cod" }
        XCTAssertEqual(cod?["max_amount"]?["amount"], 1000)
        XCTAssertEqual(cod?["min_amount"], .null)
        XCTAssertEqual(cod?["fee"]?["amount"], 150, "refused changes wrote nothing")
        try perform("payment.method.configure", ["code": "cod", "clear_limits": true], as: .manager)
        XCTAssertEqual(try perform("payment.method.list", as: .manager).arrayValue?.first { $0["code"] == "cod" }?["max_amount"], .null)
    }

    func testMethodLimitsAndDisabledOrUnknownMethodsAreRefused() throws {
        let order = try place()  // 9.00 EUR
        try perform("payment.method.configure", ["code": "sandbox", "min_amount": 1000], as: .manager)
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "the amount 9.00 EUR is below the minimum of 10.00 EUR for payment method 'sandbox'")
        try perform("payment.method.configure", ["code": "sandbox", "clear_limits": true, "max_amount": 500], as: .manager)
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "the amount 9.00 EUR is above the maximum of 5.00 EUR for payment method 'sandbox'")
        // The fee counts: cod adds 1.50 EUR.
        try perform("payment.method.configure", ["code": "cod", "max_amount": 1000], as: .manager)
        assertRefused("payment.authorize", ["order": .string(order), "method": "cod", "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "the amount 10.50 EUR is above the maximum of 10.00 EUR for payment method 'cod'")
        try perform("payment.method.configure", ["code": "sandbox", "clear_limits": true, "enabled": false], as: .manager)
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "payment method 'sandbox' is disabled in this shop; choose another method or enable it")
        assertRefused("payment.authorize", ["order": .string(order), "method": "crypto", "idempotency_key": "a"],
                      as: .clerk, .notFound, "no payment method 'crypto' in this shop; configure it with payment.method.configure")
        assertRefused("payment.authorize", ["order": "FIXTURE-9999", "method": "cod", "idempotency_key": "a"],
                      as: .clerk, .notFound, "no order FIXTURE-9999 in this shop")
        XCTAssertEqual(try count("payment_payments"), 0)
        XCTAssertEqual(try count("payment_attempts"), 0)
        XCTAssertEqual(try count("payment_requests"), 0)
        // Enabled again, the same key is free to use: refused requests do not take it.
        try perform("payment.method.configure", ["code": "sandbox", "enabled": true], as: .manager)
        XCTAssertEqual(try authorize(order, key: "a")["outcome"], "approved")
    }

    // MARK: Authorize and capture

    func testApprovedAuthorizationThenFullCapturePaysTheOrder() throws {
        let order = try place()
        let authorized = try authorize(order, key: "auth-1")
        XCTAssertEqual(authorized["outcome"], "approved")
        XCTAssertEqual(authorized["reason"], .null)
        XCTAssertEqual(authorized["payment"]?["status"], "authorized")
        XCTAssertEqual(authorized["payment"]?["authorized"]?["amount"], 900)
        XCTAssertEqual(authorized["payment"]?["captured"]?["amount"], 0)
        XCTAssertEqual(authorized["payment"]?["card_last4"], "4242")
        XCTAssertEqual(authorized["payment"]?["reference"], .string("sbx_" + SHA256.hex("auth-1").prefix(16)))
        XCTAssertEqual(try orderStatus(order), "pending_payment", "authorizing does not pay the order")

        let captured = try capture(order, key: "cap-1")
        XCTAssertEqual(captured["outcome"], "approved")
        XCTAssertEqual(captured["order_status"], "paid")
        XCTAssertEqual(captured["payment"]?["status"], "captured")
        XCTAssertEqual(captured["payment"]?["captured"]?["amount"], 900)
        let shown = try perform("orders.show", ["order": .string(order)], as: .auditor)
        XCTAssertEqual(shown["status"], "paid")
        XCTAssertEqual(shown["paid"]?["amount"], 900)

        let payment = try perform("payment.show", ["order": .string(order)], as: .auditor)
        XCTAssertEqual(payment["attempts"]?.arrayValue?.map { $0["action"] }, ["authorize", "capture"])
        XCTAssertEqual(payment["attempts"]?.arrayValue?.map { $0["outcome"] }, ["approved", "approved"])
        XCTAssertEqual(payment["order_status"], "paid")
        // Every mutation is audited with amounts and outcome; orders.pay ran inside the capture.
        let audit = try XCTUnwrap(perform("audit.list", ["entity": .string("payment:\(order)")], as: .owner)["items"]?.arrayValue)
        XCTAssertEqual(audit.map { $0["operation"] }, ["payment.capture", "payment.authorize"])
        XCTAssertEqual(audit[1]["change"]?["amount"], 900)
        XCTAssertEqual(audit[1]["change"]?["outcome"], "approved")
        XCTAssertEqual(audit[1]["change"]?["card_last4"], "4242")
        XCTAssertEqual(audit[0]["change"]?["order_status"], "paid")
        let history = try perform("orders.history", ["order": .string(order)], as: .auditor)
        XCTAssertEqual(history.arrayValue?.last?["to"], "paid")
        XCTAssertEqual(history.arrayValue?.last?["by"]?.stringValue?.hasSuffix("finance@fixture.test"), true)
    }

    func testPartialCapturesPayTheOrderOnlyOnceEverythingIsCaptured() throws {
        let order = try place(["TEA:2", "CUP:1"])  // 21.00 EUR
        try authorize(order, key: "a")
        let first = try capture(order, amount: 1000, key: "c1")
        XCTAssertEqual(first["payment"]?["status"], "authorized")
        XCTAssertEqual(first["order_status"], "pending_payment", "never half-paid")
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        let rest = try capture(order, key: "c2")
        XCTAssertEqual(rest["payment"]?["captured"]?["amount"], 2100)
        XCTAssertEqual(rest["order_status"], "paid")
        XCTAssertEqual(try orderStatus(order), "paid")
    }

    func testCaptureAboveTheAuthorizedAmountIsRefusedAndWritesNothing() throws {
        let order = try place()
        try authorize(order, key: "a")
        let attempts = try count("payment_attempts")
        assertRefused("payment.capture", ["order": .string(order), "amount": 901, "idempotency_key": "c"], as: .finance, .invalidInput,
                      "cannot capture 9.01 EUR on order \(order): only 9.00 EUR of the authorization is left (authorized 9.00 EUR, captured 0.00 EUR)")
        try capture(order, amount: 600, key: "c1")
        assertRefused("payment.capture", ["order": .string(order), "amount": 301, "idempotency_key": "c2"], as: .finance, .invalidInput,
                      "cannot capture 3.01 EUR on order \(order): only 3.00 EUR of the authorization is left (authorized 9.00 EUR, captured 6.00 EUR)")
        assertRefused("payment.capture", ["order": .string(order), "amount": 0, "idempotency_key": "c3"], as: .finance, .invalidInput,
                      "the capture amount must be positive, got 0")
        XCTAssertEqual(try count("payment_attempts"), attempts + 1)
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .finance)["captured"]?["amount"], 600)
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        // The key of a refused request was not taken.
        XCTAssertEqual(try capture(order, amount: 300, key: "c2")["order_status"], "paid")
    }

    func testRefundsNeverExceedWhatWasCapturedLessRefunded() throws {
        let order = try place()
        try authorize(order, key: "a")
        try capture(order, key: "c")
        let partial = try perform("payment.refund", ["order": .string(order), "amount": 300, "idempotency_key": "r1"], as: .finance)
        XCTAssertEqual(partial["outcome"], "approved")
        XCTAssertEqual(partial["payment"]?["status"], "partially_refunded")
        XCTAssertEqual(partial["payment"]?["refunded"]?["amount"], 300)
        assertRefused("payment.refund", ["order": .string(order), "amount": 700, "idempotency_key": "r2"], as: .finance, .invalidInput,
                      "cannot refund 7.00 EUR on order \(order): only 6.00 EUR is refundable (captured 9.00 EUR, refunded 3.00 EUR)")
        assertRefused("payment.refund", ["order": .string(order), "amount": -5, "idempotency_key": "r2"], as: .finance, .invalidInput,
                      "the refund amount must be positive, got -5")
        assertRefused("payment.refund", ["order": .string(order), "amount": 100, "idempotency_key": "r2"], as: .clerk, .permissionDenied,
                      "clerk@fixture.test lacks permission 'payment.capture' in shop 'fixture'")
        let full = try perform("payment.refund", ["order": .string(order), "amount": 600, "idempotency_key": "r2"], as: .finance)
        XCTAssertEqual(full["payment"]?["status"], "refunded")
        assertRefused("payment.refund", ["order": .string(order), "amount": 1, "idempotency_key": "r3"], as: .finance, .conflict,
                      "the payment of order \(order) is refunded; only a captured payment can be refunded (an uncaptured authorization is voided instead)")

        let unpaid = try place()
        try authorize(unpaid, key: "a2")
        assertRefused("payment.refund", ["order": .string(unpaid), "amount": 100, "idempotency_key": "r4"], as: .finance, .conflict,
                      "the payment of order \(unpaid) is authorized; only a captured payment can be refunded (an uncaptured authorization is voided instead)")
    }

    func testVoidCancelsAnUncapturedAuthorizationOnly() throws {
        let order = try place()
        try authorize(order, key: "a")
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "a-again"],
                      as: .clerk, .conflict, "order \(order) already has an authorized payment of 9.00 EUR (sandbox); capture or void it first")
        let voided = try perform("payment.void", ["order": .string(order), "idempotency_key": "v"], as: .finance)
        XCTAssertEqual(voided["outcome"], "approved")
        XCTAssertEqual(voided["payment"]?["status"], "voided")
        assertRefused("payment.capture", ["order": .string(order), "idempotency_key": "c"], as: .finance, .conflict,
                      "the payment of order \(order) is voided; only an authorized payment can be captured")
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        // A voided authorization can be replaced.
        XCTAssertEqual(try authorize(order, key: "a2")["payment"]?["status"], "authorized")
        try capture(order, amount: 100, key: "c1")
        assertRefused("payment.void", ["order": .string(order), "idempotency_key": "v2"], as: .finance, .conflict,
                      "1.00 EUR of the payment of order \(order) is already captured; refund it instead of voiding")
        // A cancelled order is not captured: its authorization is voided (by Payment's
        // subscriber to the cancellation, see PaymentSettlementTests).
        let cancelled = try place()
        try authorize(cancelled, key: "a3")
        try perform("orders.cancel", ["order": .string(cancelled)], as: .manager)
        XCTAssertEqual(try perform("payment.show", ["order": .string(cancelled)], as: .finance)["status"], "voided")
        assertRefused("payment.capture", ["order": .string(cancelled), "idempotency_key": "c3"], as: .finance, .conflict,
                      "the payment of order \(cancelled) is voided; only an authorized payment can be captured")

        let unpaid = try place()
        assertRefused("payment.show", ["order": .string(unpaid)], as: .clerk, .notFound,
                      "order \(unpaid) has no payment yet; authorize one first (payment.authorize)")
    }

    // MARK: Sandbox outcomes

    func testDeclinesAreResultsNotErrorsAndLeaveTheOrderRetryable() throws {
        let order = try place()
        let cases: [(String, String)] = [(Self.declined, "card declined"), (Self.insufficient, "insufficient funds")]
        for (index, (card, reason)) in cases.enumerated() {
            let result = try authorize(order, card: card, key: "d\(index)")
            XCTAssertEqual(result["outcome"], "declined")
            XCTAssertEqual(result["reason"], .string(reason))
            XCTAssertEqual(result["payment"]?["status"], "failed")
            XCTAssertEqual(result["payment"]?["authorized"]?["amount"], 0)
        }
        // The amount rule: 9.00 + a 0.13 fee ends in 13 minor units.
        try perform("payment.method.configure", ["code": "sandbox", "fee": 13], as: .manager)
        let rule = try authorize(order, key: "d-amount")
        XCTAssertEqual(rule["outcome"], "declined")
        XCTAssertEqual(rule["reason"], "amount rejected by sandbox rule")
        XCTAssertEqual(rule["payment"]?["amount"]?["amount"], 913)
        XCTAssertEqual(try orderStatus(order), "pending_payment")

        let attempts = try XCTUnwrap(perform("payment.show", ["order": .string(order)], as: .clerk)["attempts"]?.arrayValue)
        XCTAssertEqual(attempts.map { $0["outcome"] }, ["declined", "declined", "declined"])
        XCTAssertEqual(attempts.map { $0["reason"] }, ["card declined", "insufficient funds", "amount rejected by sandbox rule"])
        let audit = try perform("audit.list", ["operation": "payment.authorize", "limit": 1], as: .owner)
        XCTAssertEqual(audit["items"]?.arrayValue?.first?["outcome"], "ok")
        XCTAssertEqual(audit["items"]?.arrayValue?.first?["change"]?["outcome"], "declined")

        try perform("payment.method.configure", ["code": "sandbox", "fee": 0], as: .manager)
        XCTAssertEqual(try authorize(order, key: "ok")["outcome"], "approved", "a declined order stays retryable")
    }

    func testTimeoutLeavesTheOrderPendingAndANewKeyCanApprove() throws {
        let order = try place()
        let timedOut = try authorize(order, card: Self.timeout, key: "t1")
        XCTAssertEqual(timedOut["outcome"], "timed_out")
        XCTAssertEqual(timedOut["payment"]?["status"], "failed")
        XCTAssertEqual(timedOut["payment"]?["captured"]?["amount"], 0)
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        // A timeout settles nothing: the same key asks the provider again.
        XCTAssertEqual(try authorize(order, card: Self.timeout, key: "t1")["outcome"], "timed_out")
        XCTAssertEqual(try count("payment_attempts"), 2)
        // The same through the request-level key (what `souk --idempotency-key K` sends): the
        // kernel does not replay a timeout either.
        var keyed = try ctx(.clerk)
        keyed.idempotencyKey = "t-request"
        let input: Value.Object = ["order": .string(order), "method": "sandbox", "card": .string(Self.timeout)]
        XCTAssertEqual(try kernel.perform("payment.authorize", input: input, context: keyed)["outcome"], "timed_out")
        XCTAssertEqual(try kernel.perform("payment.authorize", input: input, context: keyed)["outcome"], "timed_out")
        XCTAssertEqual(try count("payment_attempts"), 4, "the provider was asked both times")
        XCTAssertEqual(try count("souk_idempotency"), 0)

        let retried = try authorize(order, key: "t2")
        XCTAssertEqual(retried["outcome"], "approved")
        XCTAssertEqual(try capture(order, key: "c")["order_status"], "paid")
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["attempts"]?.arrayValue?.map { $0["outcome"] },
                       ["timed_out", "timed_out", "timed_out", "timed_out", "approved", "approved"])
    }

    func testCardInputIsCheckedWithoutRepeatingTheNumber() throws {
        let order = try place()
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "idempotency_key": "a"], as: .clerk, .invalidInput,
                      "payment method 'sandbox' takes a card: give its number in the card field")
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": "4242424242424241", "idempotency_key": "a"],
                      as: .clerk, .invalidInput,
                      "the card number ending 4241 is not valid (its check digit is wrong); check it was typed correctly")
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": "4242-4242-abcd", "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "the card number must contain only digits (spaces and dashes are allowed between them)")
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": "42424242", "idempotency_key": "a"],
                      as: .clerk, .invalidInput, "the card number must have 12 to 19 digits, got 8")
        XCTAssertEqual(try count("payment_payments"), 0)
        let spaced = try authorize(order, card: "4242 4242 4242 4242", key: "a")
        XCTAssertEqual(spaced["payment"]?["card_last4"], "4242")
    }

    // MARK: Idempotency

    func testRepeatingARequestWithItsKeyReturnsTheFirstResult() throws {
        let order = try place()
        let first = try authorize(order, key: "same")
        let attempts = try count("payment_attempts")
        let second = try authorize(order, key: "same")
        XCTAssertEqual(second, first)
        XCTAssertEqual(try count("payment_attempts"), attempts, "the provider was not asked again")

        let declinedOrder = try place()
        let declined = try authorize(declinedOrder, card: Self.declined, key: "dec")
        XCTAssertEqual(try authorize(declinedOrder, card: Self.declined, key: "dec"), declined)

        let captured = try capture(order, amount: 400, key: "cap")
        XCTAssertEqual(try capture(order, amount: 400, key: "cap"), captured)
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["captured"]?["amount"], 400, "captured once")
        XCTAssertEqual(try count("payment_attempts"), attempts + 2)
    }

    func testAKeyReusedForADifferentRequestIsAConflictAndWritesNothing() throws {
        let order = try place()
        try authorize(order, key: "k-auth")
        try capture(order, amount: 400, key: "k-cap")
        let attempts = try count("payment_attempts"), audit = try count("souk_audit")
        assertRefused("payment.capture", ["order": .string(order), "amount": 500, "idempotency_key": "k-cap"], as: .finance, .conflict, """
            idempotency key 'k-cap' was already used to capture 4.00 EUR on order \(order); this request is to capture 5.00 EUR \
            on order \(order): use a new key for a different request
            """)
        assertRefused("payment.refund", ["order": .string(order), "amount": 400, "idempotency_key": "k-auth"], as: .finance, .conflict, """
            idempotency key 'k-auth' was already used to authorize 9.00 EUR on order \(order) with sandbox; this request is to refund 4.00 EUR \
            on order \(order): use a new key for a different request
            """)
        // The amount to authorize follows the method's fee: a changed fee makes it another request.
        try perform("payment.method.configure", ["code": "sandbox", "fee": 50], as: .manager)
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "k-auth"],
                      as: .clerk, .conflict, """
            idempotency key 'k-auth' was already used to authorize 9.00 EUR on order \(order) with sandbox; this request is to authorize \
            9.50 EUR on order \(order) with sandbox: use a new key for a different request
            """)
        XCTAssertEqual(try count("payment_attempts"), attempts)
        XCTAssertEqual(try count("souk_audit"), audit + 1, "only the method change was written")
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["captured"]?["amount"], 400)
    }

    func testTheRequestIdempotencyKeyStandsInForTheFieldAndKeepsNoTraceOfTheCard() throws {
        let carded = try place()
        var cardKeyed = try ctx(.clerk)
        cardKeyed.idempotencyKey = "request-key-card"
        let input: Value.Object = ["order": .string(carded), "method": "sandbox", "card": .string(Self.visa)]
        XCTAssertEqual(try kernel.perform("payment.authorize", input: input, context: cardKeyed)["outcome"], "approved")
        // The kernel's idempotency fingerprint leaves the secret card field out.
        let stored = try kernel.store.read { try $0.query("SELECT request_hash FROM souk_idempotency WHERE key = 'request-key-card'")[0].string("request_hash") }
        let withoutCard: Value.Object = ["order": .string(carded), "method": "sandbox"]
        // (The actor is part of the request since keys are bound to who sent them.)
        let actor = cardKeyed.actor.description
        XCTAssertEqual(stored, SHA256.hex("payment.authorize\u{0}" + actor + "\u{0}" + JSON.encode(.object(withoutCard))))
        XCTAssertNotEqual(stored, SHA256.hex("payment.authorize\u{0}" + actor + "\u{0}" + JSON.encode(.object(input))))
        let order = try place()
        var keyed = try ctx(.clerk)
        keyed.idempotencyKey = "request-key"
        XCTAssertEqual(try count("souk_idempotency"), 1)
        assertRefused("payment.authorize", ["order": .string(order), "method": "cod"], as: .clerk, .invalidInput, """
            payment requests need an idempotency key: give idempotency_key (CLI: the global --idempotency-key KEY) \
            so that a retry never charges twice
            """)
        // Without a card, the request's key is the payment's key (as `souk --idempotency-key K payment ...` sends it).
        let first = try kernel.perform("payment.authorize", input: ["order": .string(order), "method": "cod", "card": ""], context: keyed)
        XCTAssertEqual(first["outcome"], "pending")
        XCTAssertEqual(try kernel.perform("payment.authorize", input: ["order": .string(order), "method": "cod", "card": ""], context: keyed), first)
        XCTAssertEqual(try count("payment_attempts"), 2, "the card authorization above, and this one once")
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["attempts"]?.arrayValue?.first?["idempotency_key"],
                       "request-key")
    }

    // MARK: Offline methods

    func testCashOnDeliveryIsMarkedPaidByFinanceNotByClerk() throws {
        let order = try place()
        let authorized = try authorize(order, card: nil, key: "cod-1", method: "cod")
        XCTAssertEqual(authorized["outcome"], "pending")
        XCTAssertEqual(authorized["payment"]?["amount"]?["amount"], 1050, "order total plus the 1.50 EUR fee")
        XCTAssertEqual(authorized["payment"]?["card_last4"], .null)
        assertRefused("payment.capture", ["order": .string(order), "idempotency_key": "c"], as: .finance, .conflict,
                      "order \(order) uses cash on delivery: record the money received with payment.mark-paid")
        assertRefused("payment.mark-paid", ["order": .string(order), "idempotency_key": "m"], as: .clerk, .permissionDenied,
                      "clerk@fixture.test lacks permission 'payment.capture' in shop 'fixture'")
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        let denied = try perform("audit.list", ["operation": "payment.mark-paid", "outcome": "denied"], as: .owner)
        XCTAssertEqual(denied["items"]?.arrayValue?.count, 1)

        let paid = try perform("payment.mark-paid", ["order": .string(order), "idempotency_key": "m"], as: .finance)
        XCTAssertEqual(paid["outcome"], "approved")
        XCTAssertEqual(paid["order_status"], "paid")
        XCTAssertEqual(paid["payment"]?["status"], "captured")
        XCTAssertEqual(paid["payment"]?["method"], "cod")
        XCTAssertEqual(paid["payment"]?["captured"]?["amount"], 1050)
        XCTAssertEqual(try orderStatus(order), "paid")
        XCTAssertEqual(try perform("payment.mark-paid", ["order": .string(order), "idempotency_key": "m"], as: .finance), paid)

        // Bank transfer without a prior authorization, with the bank's reference.
        let transfer = try place(["CUP:1"])
        let received = try perform("payment.mark-paid", ["order": .string(transfer), "method": "bank_transfer", "reference": "BANK-77",
                                                         "idempotency_key": "m2"], as: .finance)
        XCTAssertEqual(received["payment"]?["reference"], "BANK-77")
        XCTAssertEqual(try orderStatus(transfer), "paid")

        let card = try place()
        assertRefused("payment.mark-paid", ["order": .string(card), "method": "sandbox", "idempotency_key": "m3"], as: .finance, .invalidInput,
                      "payment method 'sandbox' is not an offline method; card payments are captured with payment.capture")
        assertRefused("payment.mark-paid", ["order": .string(card), "idempotency_key": "m3"], as: .finance, .invalidInput,
                      "order \(card) has no offline payment yet: say which method was paid (e.g. cod or bank_transfer)")
        assertRefused("payment.mark-paid", ["order": .string(order), "method": "cod", "idempotency_key": "m4"], as: .finance, .conflict,
                      "order \(order) is paid; only an order pending payment can be marked paid")
    }

    // MARK: Webhooks

    func testSignedWebhookConfirmsAPendingPaymentAndPaysTheOrder() throws {
        let order = try place()
        let pending = try authorize(order, card: Self.pending, key: "p1")
        XCTAssertEqual(pending["outcome"], "pending")
        XCTAssertEqual(pending["payment"]?["status"], "pending")
        let reference = try XCTUnwrap(pending["payment"]?["reference"]?.stringValue)
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        assertRefused("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": "p2"],
                      as: .clerk, .conflict,
                      "order \(order) has a payment awaiting the confirmation of sandbox (reference \(reference)); wait for the gateway's callback before trying again")

        let result = try webhook(signed(reference: reference, event: "payment.succeeded", amount: 900))
        XCTAssertEqual(result["result"], "captured")
        XCTAssertEqual(result["order_status"], "paid")
        XCTAssertEqual(result["payment"]?["captured"]?["amount"], 900)
        XCTAssertEqual(try orderStatus(order), "paid")
        XCTAssertEqual(try count("payment_webhooks"), 1)
        let attempts = try perform("payment.show", ["order": .string(order)], as: .clerk)["attempts"]?.arrayValue
        XCTAssertEqual(attempts?.map { $0["action"] }, ["authorize", "webhook"])

        // A gateway's resend (new timestamp, so a new signature) of a settled payment changes nothing.
        harness.clock.advance(by: 5)
        let resend = try webhook(signed(reference: reference, event: "payment.succeeded", amount: 900))
        XCTAssertEqual(resend["result"], "ignored")
        XCTAssertEqual(resend["payment"]?["captured"]?["amount"], 900)
    }

    func testCancellingWhileTheGatewayHasNotConfirmedCallsTheChargeOffAndALateConfirmationIsRefunded() throws {
        let order = try place()
        let pending = try authorize(order, card: Self.pending, key: "p1")
        let reference = try XCTUnwrap(pending["payment"]?["reference"]?.stringValue)
        try perform("orders.cancel", ["order": .string(order)], as: .manager)
        let voided = try perform("payment.show", ["order": .string(order)], as: .clerk)
        XCTAssertEqual(voided["status"], "voided", "the pending charge is called off at the gateway")
        XCTAssertEqual(voided["attempts"]?.arrayValue?.last?["action"], "void")

        // The gateway took the money anyway: it is recorded, then given back by the outbox.
        let result = try webhook(signed(reference: reference, event: "payment.succeeded", amount: 900))
        XCTAssertEqual(result["result"], "captured")
        XCTAssertEqual(result["order_status"], "cancelled")
        XCTAssertEqual(result["note"], .string("order \(order) is cancelled: the money taken is refunded (settlement late:\(reference))"))
        let settled = try perform("payment.show", ["order": .string(order)], as: .clerk)
        XCTAssertEqual(settled["status"], "refunded")
        XCTAssertEqual(settled["captured"]?["amount"], 900)
        XCTAssertEqual(settled["refunded"]?["amount"], 900)
        XCTAssertEqual(settled["attempts"]?.arrayValue?.map { $0["action"] }, ["authorize", "void", "webhook", "refund"])
        XCTAssertEqual(settled["settlements"]?.arrayValue?.compactMap { $0["source"]?.stringValue }.sorted(),
                       ["cancel:\(order)", "late:\(reference)"])
        XCTAssertEqual(try orderStatus(order), "cancelled")

        // The gateway's resend changes nothing more.
        harness.clock.advance(by: 5)
        XCTAssertEqual(try webhook(signed(reference: reference, event: "payment.succeeded", amount: 900))["result"], "ignored")
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["refunded"]?["amount"], 900)
    }

    func testALateConfirmationOfACardAuthorizedAtOnceAndVoidedMovesNothing() throws {
        let order = try place()
        let authorized = try authorize(order, key: "a1")
        let reference = try XCTUnwrap(authorized["payment"]?["reference"]?.stringValue)
        try perform("orders.cancel", ["order": .string(order)], as: .manager)
        XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: .clerk)["status"], "voided")
        // The gateway's (re)sent confirmation of the original authorization is not a capture.
        let result = try webhook(signed(reference: reference, event: "payment.succeeded", amount: 900))
        XCTAssertEqual(result["result"], "ignored")
        let shown = try perform("payment.show", ["order": .string(order)], as: .clerk)
        XCTAssertEqual(shown["status"], "voided")
        XCTAssertEqual(shown["captured"]?["amount"], 0)
        XCTAssertEqual(try count("payment_settlements"), 1, "only the cancellation's void")
    }

    func testFailedWebhookLeavesTheOrderPendingPaymentAndRetryable() throws {
        let order = try place()
        let reference = try XCTUnwrap(authorize(order, card: Self.pending, key: "p1")["payment"]?["reference"]?.stringValue)
        let result = try webhook(signed(reference: reference, event: "payment.failed", amount: 900))
        XCTAssertEqual(result["result"], "failed")
        XCTAssertEqual(result["payment"]?["status"], "failed")
        XCTAssertEqual(result["order_status"], "pending_payment")
        XCTAssertEqual(try orderStatus(order), "pending_payment")
        XCTAssertEqual(try authorize(order, key: "p2")["outcome"], "approved")
    }

    func testForgedStaleAndReplayedWebhooksAreRefusedAndAudited() throws {
        let order = try place()
        let reference = try XCTUnwrap(authorize(order, card: Self.pending, key: "p1")["payment"]?["reference"]?.stringValue)

        let forged = signed(reference: reference, event: "payment.succeeded", amount: 900, secret: "not-the-secret")
        assertRefused("payment.webhook", ["payload": .string(forged.payload), "signature": .string(forged.signature)], as: .owner,
                      .permissionDenied, "webhook refused: the signature does not match the payload and the shop's webhook secret")
        let good = signed(reference: reference, event: "payment.succeeded", amount: 900)
        let tampered = good.payload.replacingOccurrences(of: "\"amount\":900", with: "\"amount\":1")
        XCTAssertNotEqual(tampered, good.payload)
        assertRefused("payment.webhook", ["payload": .string(tampered), "signature": .string(good.signature)], as: .owner,
                      .permissionDenied, "webhook refused: the signature does not match the payload and the shop's webhook secret")
        assertRefused("payment.webhook", ["payload": .string(good.payload), "signature": "zz-not-hex"], as: .owner,
                      .permissionDenied, "webhook refused: the signature does not match the payload and the shop's webhook secret")
        let stale = signed(reference: reference, event: "payment.succeeded", amount: 900, timestamp: nowSeconds - 301)
        assertRefused("payment.webhook", ["payload": .string(stale.payload), "signature": .string(stale.signature)], as: .owner,
                      .permissionDenied, "webhook refused: its timestamp \(nowSeconds - 301) is 301 s from now; at most 300 s is accepted (stale or replayed callback)")
        let future = signed(reference: reference, event: "payment.succeeded", amount: 900, timestamp: nowSeconds + 400)
        assertRefused("payment.webhook", ["payload": .string(future.payload), "signature": .string(future.signature)], as: .owner,
                      .permissionDenied, "webhook refused: its timestamp \(nowSeconds + 400) is 400 s from now; at most 300 s is accepted (stale or replayed callback)")
        XCTAssertEqual(try orderStatus(order), "pending_payment", "refused callbacks change nothing")
        XCTAssertEqual(try count("payment_webhooks"), 0)

        // Just inside the window is fine; the same callback again is a replay.
        let edge = signed(reference: reference, event: "payment.succeeded", amount: 900, timestamp: nowSeconds - 300)
        XCTAssertEqual(try webhook(edge)["result"], "captured")
        assertRefused("payment.webhook", ["payload": .string(edge.payload), "signature": .string(edge.signature.uppercased())], as: .owner,
                      .permissionDenied, "webhook refused: this signature was already received (replayed callback)")

        let denied = try XCTUnwrap(perform("audit.list", ["operation": "payment.webhook", "outcome": "denied"], as: .auditor)["items"]?.arrayValue)
        XCTAssertEqual(denied.count, 6)
        XCTAssertEqual(denied.first?["change"]?["reason"], "webhook refused: this signature was already received (replayed callback)")
        XCTAssertEqual(Set(denied.compactMap { $0["change"]?["reason"]?.stringValue }).count, 4)
        XCTAssertTrue(denied.allSatisfy { $0["actor"]?.stringValue?.contains("owner@fixture.test") == true })
    }

    func testWebhooksNeedASecretAndThePermission() throws {
        let order = try place()
        let reference = try XCTUnwrap(authorize(order, card: Self.pending, key: "p1")["payment"]?["reference"]?.stringValue)
        let callback = signed(reference: reference, event: "payment.succeeded", amount: 900)
        assertRefused("payment.webhook", ["payload": .string(callback.payload), "signature": .string(callback.signature)], as: .manager,
                      .permissionDenied, "manager@fixture.test lacks permission 'payment.webhook' in shop 'fixture'")
        try perform("settings.set", ["plugin": "payment", "key": "webhook_secret", "value": ""], as: .owner)
        let unsigned = signed(reference: reference, event: "payment.succeeded", amount: 900, secret: "")
        assertRefused("payment.webhook", ["payload": .string(unsigned.payload), "signature": .string(unsigned.signature)], as: .owner,
                      .permissionDenied, """
            webhooks are refused in shop 'fixture': no webhook secret is set; set one with: \
            souk settings set --shop fixture --plugin payment --key webhook_secret --value SECRET
            """)
        try perform("settings.set", ["plugin": "payment", "key": "webhook_secret", "value": .string(Self.secret)], as: .owner)
        // The secret is a secret setting: masked when shown, kept out of the audit log.
        let shown = try perform("settings.show", ["plugin": "payment"], as: .owner).arrayValue?.first { $0["key"] == "webhook_secret" }
        XCTAssertEqual(shown?["value"], "(set, hidden)")
        let changes = try kernel.store.read { try $0.query("SELECT change FROM souk_audit WHERE entity = 'setting:payment.webhook_secret'").map { try $0.string("change") } }
        XCTAssertFalse(changes.isEmpty)
        XCTAssertFalse(changes.contains { $0.contains(Self.secret) })
        let wrongAmount = signed(reference: reference, event: "payment.succeeded", amount: 800)
        assertRefused("payment.webhook", ["payload": .string(wrongAmount.payload), "signature": .string(wrongAmount.signature)], as: .owner,
                      .invalidInput, "the webhook confirms 8.00 EUR but the pending payment of order \(order) is 9.00 EUR")
        let unknown = signed(reference: "sbx_0000000000000000", event: "payment.succeeded", amount: 900)
        assertRefused("payment.webhook", ["payload": .string(unknown.payload), "signature": .string(unknown.signature)], as: .owner,
                      .notFound, "no payment with reference sbx_0000000000000000 in this shop")
        XCTAssertEqual(try count("payment_webhooks"), 0, "a callback that failed is not remembered: the gateway may send it again")
        XCTAssertEqual(try webhook(callback)["result"], "captured")
    }

    // MARK: Card data

    func testTheCardNumberIsNeverStoredAnywhere() throws {
        let cards = [Self.visa, Self.declined, Self.insufficient, Self.timeout, Self.pending]
        for (index, card) in cards.enumerated() {
            let order = try place()
            try authorize(order, card: card, key: "scan-\(index)")
            try authorize(order, card: card, key: "scan-\(index)")  // replayed
        }
        try capture("FIXTURE-1001", key: "scan-capture")
        // Refused attempts: bad check digit, a key conflict, a permission denial.
        XCTAssertThrowsError(try authorize("FIXTURE-1002", card: "4242424242424241", key: "scan-bad"))
        XCTAssertThrowsError(try authorize("FIXTURE-1001", card: Self.visa, key: "scan-capture"))
        XCTAssertThrowsError(try authorize("FIXTURE-1002", card: Self.visa, key: "scan-denied", as: .warehouse))
        XCTAssertEqual(try count("payment_attempts"), 7, "five authorizations, the timeout asked twice, one capture")

        var texts = 0
        try kernel.store.read { tx in
            let tables = try tx.query("SELECT name FROM sqlite_master WHERE type = 'table'").map { try $0.string("name") }
            XCTAssertTrue(tables.contains("payment_payments"))
            for table in tables {
                for row in try tx.query("SELECT * FROM \"\(table)\"") {
                    for (column, value) in zip(row.columns, row.values) {
                        guard case .text(let text) = value else { continue }
                        texts += 1
                        for card in cards + ["4242424242424241"] {
                            XCTAssertFalse(text.contains(card), "\(table).\(column) holds a card number")
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(texts, 100)
        // And not in the file's bytes either (main database and write-ahead log).
        for file in ["souk.sqlite", "souk.sqlite-wal"] {
            guard let data = FileManager.default.contents(atPath: harness.directory.file(file)) else { continue }
            for card in cards {
                XCTAssertNil(data.range(of: Data(card.utf8)), "\(file) holds a card number")
            }
        }
        let audit = try perform("audit.list", ["operation": "payment.authorize", "limit": 100], as: .owner)
        XCTAssertTrue(audit["items"]?.arrayValue?.contains { $0["change"]?["card_last4"] == "4242" } == true, "the last four digits are kept")
    }

    // MARK: Reconciliation

    func testReconciliationComparesPaymentsWithTheOrdersBooks() throws {
        let card = try place(["TEA:2", "CUP:1"])  // 21.00 EUR by card, 5.00 refunded on both sides
        try authorize(card, key: "a1")
        try capture(card, key: "c1")
        try perform("payment.refund", ["order": .string(card), "amount": 500, "idempotency_key": "r1"], as: .finance)
        let request = try perform("orders.refund.request", ["order": .string(card), "amount": 500, "reason": "chipped cup"], as: .clerk)
        try perform("orders.refund.approve", ["request": try XCTUnwrap(request["id"])], as: .finance)
        let cash = try place(["POT:1"])  // 33.33 EUR + 1.50 EUR fee in cash
        try authorize(cash, card: nil, key: "a2", method: "cod")
        try perform("payment.mark-paid", ["order": .string(cash), "idempotency_key": "m2"], as: .finance)
        let waiting = try place()  // authorized only
        try authorize(waiting, key: "a3")

        let report = try perform("payment.reconcile", as: .auditor)
        XCTAssertEqual(report["reconciled"], true)
        let rows = try XCTUnwrap(report["orders"]?.arrayValue)
        XCTAssertEqual(rows.map { $0["order"] }, [.string(card), .string(cash), .string(waiting)])
        XCTAssertEqual(rows.map { $0["reconciled"] }, [true, true, true])
        XCTAssertEqual(rows[0]["captured"]?["amount"], 2100)
        XCTAssertEqual(rows[0]["refunded"]?["amount"], 500)
        XCTAssertEqual(rows[0]["order_refunded"]?["amount"], 500)
        XCTAssertEqual(rows[1]["captured"]?["amount"], 3483)
        XCTAssertEqual(rows[1]["order_paid"]?["amount"], 3333)
        XCTAssertEqual(rows[1]["fee"]?["amount"], 150)
        XCTAssertEqual(rows[2]["authorized"]?["amount"], 900)
        XCTAssertEqual(rows[2]["captured"]?["amount"], 0)
        let totals = try XCTUnwrap(report["totals"])
        XCTAssertEqual(totals["orders"], 3)
        XCTAssertEqual(totals["order_total"]?["amount"], .int(2100 + 3333 + 900))
        XCTAssertEqual(totals["authorized"]?["amount"], .int(2100 + 3483 + 900))
        XCTAssertEqual(totals["captured"]?["amount"], .int(2100 + 3483))
        XCTAssertEqual(totals["refunded"]?["amount"], 500)
        XCTAssertEqual(totals["difference"]?["amount"], 0)

        // An order paid in Orders with no payment behind it, and a refund Orders has not booked.
        let unbacked = try place(["CUP:1"])
        try perform("orders.pay", ["order": .string(unbacked)], as: .finance)
        try perform("payment.refund", ["order": .string(card), "amount": 100, "idempotency_key": "r2"], as: .finance)
        let after = try perform("payment.reconcile", ["mismatched_only": true], as: .finance)
        XCTAssertEqual(after["reconciled"], false)
        XCTAssertEqual(after["totals"]?["mismatched"], 2)
        XCTAssertEqual(after["totals"]?["orders"], 4)
        let mismatched = try XCTUnwrap(after["orders"]?.arrayValue)
        XCTAssertEqual(mismatched.map { $0["order"] }, [.string(card), .string(unbacked)])
        XCTAssertEqual(mismatched[0]["difference"]?["amount"], -100)
        XCTAssertEqual(mismatched[0]["note"], "payments hold 1.00 EUR less than the order's books")
        XCTAssertEqual(mismatched[1]["difference"]?["amount"], -1200)
        XCTAssertEqual(mismatched[1]["payment_status"], .null)
        XCTAssertEqual(after["totals"]?["difference"]?["amount"], -1300)
        let captured = try XCTUnwrap(perform("payment.list", ["status": "captured"], as: .auditor)["items"]?.arrayValue)
        XCTAssertEqual(Set(captured.compactMap { $0["order"]?.stringValue }), [cash])
        XCTAssertEqual(try perform("payment.list", ["method": "sandbox"], as: .auditor)["items"]?.arrayValue?.count, 2)
        assertRefused("payment.reconcile", ["status": "lost"], as: .finance, .invalidInput,
                      "'lost' is not an order status (pending_payment, paid, shipped, delivered, completed, cancelled)")
    }

    // MARK: Permissions

    func testRolesGetWhatTheirJobNeeds() throws {
        let order = try place()
        assertRefused("payment.authorize", ["order": .string(order), "method": "cod", "idempotency_key": "a"], as: .auditor,
                      .permissionDenied, "auditor@fixture.test lacks permission 'payment.charge' in shop 'fixture'")
        assertRefused("payment.authorize", ["order": .string(order), "method": "cod", "idempotency_key": "a"], as: .support,
                      .permissionDenied, "support@fixture.test lacks permission 'payment.charge' in shop 'fixture'")
        try authorize(order, key: "a", as: .finance)
        assertRefused("payment.capture", ["order": .string(order), "idempotency_key": "c"], as: .clerk,
                      .permissionDenied, "clerk@fixture.test lacks permission 'payment.capture' in shop 'fixture'")
        assertRefused("payment.void", ["order": .string(order), "idempotency_key": "v"], as: .clerk,
                      .permissionDenied, "clerk@fixture.test lacks permission 'payment.capture' in shop 'fixture'")
        assertRefused("payment.reconcile", [:], as: .warehouse,
                      .permissionDenied, "warehouse@fixture.test lacks permission 'payment.read' in shop 'fixture'")
        for role in [BuiltInRole.manager, .finance, .auditor, .clerk] {
            XCTAssertEqual(try perform("payment.show", ["order": .string(order)], as: role)["status"], "authorized")
        }
        XCTAssertEqual(try capture(order, key: "c", as: .manager)["order_status"], "paid")
    }

    func testPaymentListPagesNewestFirstWithoutRepeatsOrGaps() throws {
        var orders: [String] = []
        for index in 1...5 {
            let order = try place()
            try authorize(order, key: "page-\(index)")
            orders.append(order)
        }
        let (rows, pages) = try pageThrough(limit: 2) { try perform("payment.list", $0, as: .auditor) }
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(rows.map { $0["order"]!.display }, orders.reversed(), "newest first, each payment once")
        XCTAssertEqual(try perform("payment.list", ["limit": 500], as: .auditor)["items"]?.arrayValue, rows)
    }
}

extension PaymentTests {
    /// Payment migration 3 moves attempts found by an index on their payment to row ids in
    /// their payment's range: the log of a payment made before reads the same, and new
    /// attempts follow it.
    func testAttemptsWrittenBeforeTheyWereKeyedByRowIDAreKept() throws {
        let first = try place(), second = try place()
        for (order, key) in [(first, "a1"), (second, "a2")] {
            try perform("payment.authorize", ["order": .string(order), "method": "sandbox", "card": .string(Self.visa), "idempotency_key": .string(key)],
                        as: .manager)
        }
        try perform("payment.capture", ["order": .string(first), "idempotency_key": "c1"], as: .manager)
        let before = try perform("payment.show", ["order": .string(first)], as: .auditor)["attempts"]!
        try kernel.store.write { tx in
            try tx.execute("""
                CREATE TABLE payment_attempts_old (
                    id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, action TEXT NOT NULL,
                    method TEXT NOT NULL, amount INTEGER NOT NULL, idempotency_key TEXT, outcome TEXT NOT NULL,
                    reason TEXT, reference TEXT, actor TEXT NOT NULL, at INTEGER NOT NULL)
                """)
            // The old layout: one sequence for all payments, interleaved.
            try tx.execute("""
                INSERT INTO payment_attempts_old (shop_id, payment_id, action, method, amount, idempotency_key, outcome, reason, reference, actor, at)
                SELECT shop_id, payment_id, action, method, amount, idempotency_key, outcome, reason, reference, actor, at FROM payment_attempts ORDER BY at, id
                """)
            try tx.execute("DROP TABLE payment_attempts")
            try tx.execute("ALTER TABLE payment_attempts_old RENAME TO payment_attempts")
            try tx.execute("CREATE INDEX payment_attempts_by_payment ON payment_attempts (shop_id, payment_id, id)")
            try tx.execute("DELETE FROM souk_schema WHERE module = 'payment' AND version = 3")
        }
        let reopened = try harness.reopen(plugins: [TablePricing(), OrdersPlugin(), PaymentPlugin()])
        XCTAssertEqual(reopened.failures.count, 0)
        let after = try reopened.perform("payment.show", input: ["order": .string(first)], context: try ctx(.auditor))["attempts"]!
        XCTAssertEqual(after.arrayValue?.map { $0["action"]! }, before.arrayValue?.map { $0["action"]! })
        XCTAssertEqual(after.arrayValue?.map { $0["idempotency_key"]! }, before.arrayValue?.map { $0["idempotency_key"]! })
        // The log is append-only again, and the next attempt follows the old ones.
        XCTAssertThrowsError(try reopened.store.write { try $0.execute("DELETE FROM payment_attempts") })
        // A row written without its key (as older code would) cannot land in a payment's range.
        XCTAssertThrowsError(try reopened.store.write {
            try $0.execute("""
                INSERT INTO payment_attempts (shop_id, payment_id, action, method, amount, outcome, actor, at)
                SELECT shop_id, payment_id, 'capture', method, 1, 'approved', 'x', 0 FROM payment_attempts LIMIT 1
                """)
        }) { XCTAssertTrue("\($0)".contains("an attempt's row id must be in its payment's range"), "\($0)") }
        try reopened.perform("payment.refund", input: ["order": .string(first), "amount": 100, "idempotency_key": "r1"], context: try ctx(.manager))
        let refunded = try reopened.perform("payment.show", input: ["order": .string(first)], context: try ctx(.auditor))["attempts"]!
        XCTAssertEqual(refunded.arrayValue?.map { $0["action"]!.stringValue! }, ["authorize", "capture", "refund"])
        XCTAssertEqual(try reopened.perform("payment.show", input: ["order": .string(second)], context: try ctx(.auditor))["attempts"]?.arrayValue?.count, 1)
    }
}
