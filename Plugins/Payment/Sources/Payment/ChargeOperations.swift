import Foundation
import Kernel

/// Card-style payments through a provider: authorize the order's amount, then capture it
/// (the order becomes paid with the last capture), void an uncaptured authorization, or
/// refund what was captured. Each asks the provider once per idempotency key; declines and
/// timeouts are results (recorded, returned), not errors.
enum ChargeOperations {
    static let all = [authorize, capture, void, refund]

    static let orderField = Field("order", required: true, help: "order number, e.g. NORTH-1001", positional: true)

    static let authorize = OperationSpec(
        name: "payment.authorize",
        summary: "Authorize an order's payment (order total plus the method's fee); a decline or timeout is returned, not thrown",
        fields: [
            orderField,
            Field("method", .code, required: true, help: "payment method code, e.g. sandbox, cod, bank_transfer"),
            Field("card", help: "card number for card methods (offline methods take none); only its last 4 digits are kept",
                  secret: true),
            PaymentRequestKey.field,
        ],
        permission: "payment.charge", mutates: true
    ) { scope in
        // (An empty card is no card.) The kernel leaves secret fields such as this one out of
        // its idempotency fingerprint, so a request-level key is safe with a card.
        let cardText = scope.input.optionalString("card").flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let number = try scope.input.string("order"), code = try scope.input.string("method")
        let key = try PaymentRequestKey.input(scope)
        let order = try OrderLookup.order(number, scope)
        guard let configured = try PaymentMethod.find(code, scope) else {
            throw KernelError(.notFound, "no payment method '\(code)' in this shop; configure it with payment.method.configure", field: "method")
        }
        let amount = try order.total.adding(Money(minorUnits: configured.fee, currency: order.total.currency))
        let request = PaymentRequestKey(key: key, action: .authorize, order: number, method: code, amount: amount.minorUnits,
                                        currency: amount.currency)
        if let first = try request.replay(scope) { return replayed(first, request, scope) }

        try OrderLookup.requirePendingPayment(order, doing: "be charged")
        let (method, provider) = try PaymentMethod.usable(code, scope)
        try method.check(amount)
        let existing = try PaymentRecord.find(order: number, scope)
        if let existing { try refuseUnlessReplaceable(existing, scope) }
        var card: CardNumber?
        if !provider.isOffline {
            guard let text = cardText else {
                throw KernelError.invalid("card", "payment method '\(code)' takes a card: give its number in the card field")
            }
            card = try CardNumber(text)
        }

        // A provider's message never carries the card number into the log.
        let outcome = Outcome(provider.perform(PaymentRequest(action: .authorize, amount: amount, orderNumber: number, reference: nil,
                                                              instrument: card?.digits, idempotencyKey: key)), redacting: card)

        var payment = existing ?? PaymentRecord(order: order, method: code, amount: amount, fee: method.fee, now: scope.now)
        payment.method = code
        payment.amount = amount.minorUnits
        payment.fee = method.fee
        payment.captured = 0
        payment.refunded = 0
        payment.cardLast4 = card?.last4
        switch outcome.kind {
        case .approved:
            payment.status = .authorized
            payment.authorized = amount.minorUnits
            payment.reference = outcome.reference
        case .pending:
            payment.status = .pending
            payment.authorized = 0
            payment.reference = outcome.reference
        case .declined, .timedOut:
            payment.status = .failed
            payment.authorized = 0
            payment.reference = nil
        }
        try payment.save(scope)
        try Attempts.append(payment: payment, action: .authorize, amount: amount.minorUnits, key: key, outcome: outcome, scope)
        let response = result(outcome, payment)
        try request.remember(amount: amount.minorUnits, outcome: outcome.kind, response: response, scope)
        audit(.authorize, amount: amount.minorUnits, key: key, outcome: outcome, payment, scope)
        return response
    }

    static let capture = OperationSpec(
        name: "payment.capture",
        summary: "Capture an authorized payment (all that remains by default); the order becomes paid once all is captured",
        fields: [
            orderField,
            Field("amount", .int, help: "amount to capture in minor units (1250 = 12.50 in a 2-decimal currency); default: all that remains authorized"),
            PaymentRequestKey.field,
        ],
        permission: "payment.capture", mutates: true
    ) { scope in
        let number = try scope.input.string("order")
        let key = try PaymentRequestKey.input(scope)
        let payment = try PaymentRecord.require(order: number, scope)
        let asked = scope.input.optionalInt("amount")
        let request = PaymentRequestKey(key: key, action: .capture, order: number, method: nil, amount: asked, currency: payment.currency)
        if let first = try request.replay(scope) { return replayed(first, request, scope) }

        let provider = try Providers.require(payment.method, scope)
        guard !provider.isOffline else {
            throw KernelError(.conflict, "order \(number) uses \(provider.name.lowercased()): record the money received with payment.mark-paid",
                              field: "order")
        }
        guard payment.status == .authorized else {
            throw KernelError(.conflict, "the payment of order \(number) is \(payment.status.rawValue); only an authorized payment can be captured",
                              field: "order")
        }
        let amount = asked ?? payment.capturable
        guard amount > 0 else { throw KernelError.invalid("amount", "the capture amount must be positive, got \(amount)") }
        guard amount <= payment.capturable else {
            throw KernelError.invalid("amount", """
                cannot capture \(payment.money(amount)) on order \(number): only \(payment.money(payment.capturable)) of the \
                authorization is left (authorized \(payment.money(payment.authorized)), captured \(payment.money(payment.captured)))
                """)
        }
        let order = try OrderLookup.order(number, scope)
        try OrderLookup.requirePendingPayment(order, doing: "be captured (void the authorization instead)")

        let outcome = Outcome(provider.perform(PaymentRequest(action: .capture, amount: payment.money(amount), orderNumber: number,
                                                              reference: payment.reference, instrument: nil, idempotencyKey: key)))
        var updated = payment
        if outcome.kind == .approved {
            updated.captured += amount
            if updated.captured == updated.authorized { updated.status = .captured }
            try updated.save(scope)
        }
        try Attempts.append(payment: updated, action: .capture, amount: amount, key: key, outcome: outcome, scope)
        var orderStatus = order.status
        if outcome.kind == .approved && updated.status == .captured {
            orderStatus = try payOrder(number, because: "payment captured (\(updated.method), \(updated.reference ?? "no reference"))", scope)
        }
        let response = result(outcome, updated, orderStatus: orderStatus)
        try request.remember(amount: amount, outcome: outcome.kind, response: response, scope)
        audit(.capture, amount: amount, key: key, outcome: outcome, updated, orderStatus: orderStatus, scope)
        return response
    }

    static let void = OperationSpec(
        name: "payment.void", summary: "Cancel an authorization nothing was captured from",
        fields: [orderField, PaymentRequestKey.field],
        permission: "payment.capture", mutates: true
    ) { scope in
        let number = try scope.input.string("order")
        let key = try PaymentRequestKey.input(scope)
        let payment = try PaymentRecord.require(order: number, scope)
        let request = PaymentRequestKey(key: key, action: .void, order: number, method: nil, amount: nil, currency: payment.currency)
        if let first = try request.replay(scope) { return replayed(first, request, scope) }

        let provider = try Providers.require(payment.method, scope)
        let voidable = (payment.status == .authorized && payment.captured == 0) || (payment.status == .pending && provider.isOffline)
        guard voidable else {
            if payment.captured > 0 {
                throw KernelError(.conflict, "\(payment.money(payment.captured)) of the payment of order \(number) is already captured; refund it instead of voiding",
                                  field: "order")
            }
            throw KernelError(.conflict, "the payment of order \(number) is \(payment.status.rawValue); only an uncaptured authorization can be voided",
                              field: "order")
        }
        let amount = payment.status == .authorized ? payment.authorized : payment.amount
        let outcome = Outcome(provider.perform(PaymentRequest(action: .void, amount: payment.money(amount), orderNumber: number,
                                                              reference: payment.reference, instrument: nil, idempotencyKey: key)))
        var updated = payment
        if outcome.kind == .approved {
            updated.status = .voided
            try updated.save(scope)
        }
        try Attempts.append(payment: updated, action: .void, amount: amount, key: key, outcome: outcome, scope)
        let response = result(outcome, updated)
        try request.remember(amount: amount, outcome: outcome.kind, response: response, scope)
        audit(.void, amount: amount, key: key, outcome: outcome, updated, scope)
        return response
    }

    static let refund = OperationSpec(
        name: "payment.refund", summary: "Give back part or all of what was captured",
        fields: [
            orderField,
            Field("amount", .int, required: true, help: "amount to refund in minor units (1250 = 12.50 in a 2-decimal currency)"),
            Field("request", .int, help: "the after-sales request (orders.refund.request / orders.return.request id) this refund pays out: its approval in Orders then refunds nothing more"),
            PaymentRequestKey.field,
        ],
        permission: "payment.capture", mutates: true
    ) { scope in
        let number = try scope.input.string("order")
        let key = try PaymentRequestKey.input(scope)
        let payment = try PaymentRecord.require(order: number, scope)
        let amount = try scope.input.int("amount")
        let request = PaymentRequestKey(key: key, action: .refund, order: number, method: nil, amount: amount, currency: payment.currency)
        if let first = try request.replay(scope) { return replayed(first, request, scope) }

        let provider = try Providers.require(payment.method, scope)
        guard [.captured, .partiallyRefunded].contains(payment.status) else {
            throw KernelError(.conflict, """
                the payment of order \(number) is \(payment.status.rawValue); only a captured payment can be refunded \
                (an uncaptured authorization is voided instead)
                """, field: "order")
        }
        guard amount > 0 else { throw KernelError.invalid("amount", "the refund amount must be positive, got \(amount)") }
        guard amount <= payment.refundable else {
            throw KernelError.invalid("amount", """
                cannot refund \(payment.money(amount)) on order \(number): only \(payment.money(payment.refundable)) is refundable \
                (captured \(payment.money(payment.captured)), refunded \(payment.money(payment.refunded)))
                """)
        }
        let settles = try scope.input.optionalInt("request").map {
            try Settlements.checkDirectRefund(request: $0, order: number, amount: amount, scope)
        }
        let outcome = Outcome(provider.perform(PaymentRequest(action: .refund, amount: payment.money(amount), orderNumber: number,
                                                              reference: payment.reference, instrument: nil, idempotencyKey: key)))
        var updated = payment
        if outcome.kind == .approved {
            updated.refunded += amount
            updated.status = updated.refunded == updated.captured ? .refunded : .partiallyRefunded
            try updated.save(scope)
            if let settles { try Settlements.recordDirectRefund(settles, amount: amount, reference: outcome.reference, scope) }
        }
        try Attempts.append(payment: updated, action: .refund, amount: amount, key: key, outcome: outcome, scope)
        let response = result(outcome, updated)
        try request.remember(amount: amount, outcome: outcome.kind, response: response, scope)
        audit(.refund, amount: amount, key: key, outcome: outcome, updated, source: settles?.key, scope)
        return response
    }

    // MARK: Shared steps

    /// An existing payment may be replaced by a new authorization only when nothing is held:
    /// it failed, was voided, or is an offline method still waiting for the money.
    static func refuseUnlessReplaceable(_ payment: PaymentRecord, _ scope: OperationScope) throws {
        let number = payment.orderNumber
        if try isOfflinePending(payment, scope) { return }
        switch payment.status {
        case .failed, .voided:
            return
        case .pending:
            throw KernelError(.conflict, """
                order \(number) has a payment awaiting the confirmation of \(payment.method) (reference \(payment.reference ?? "none")); \
                wait for the gateway's callback before trying again
                """, field: "order")
        case .authorized:
            throw KernelError(.conflict, """
                order \(number) already has an authorized payment of \(payment.money(payment.authorized)) (\(payment.method)); \
                capture or void it first
                """, field: "order")
        case .captured, .partiallyRefunded, .refunded:
            throw KernelError(.conflict, "order \(number) already has a \(payment.status.rawValue) payment", field: "order")
        }
    }

    /// Whether `payment` waits for money an offline method (cash on delivery...) will bring:
    /// pending (the built-in offline providers) or authorized by an offline provider, nothing captured.
    static func isOfflinePending(_ payment: PaymentRecord, _ scope: OperationScope) throws -> Bool {
        guard payment.status == .pending || payment.status == .authorized, payment.captured == 0 else { return false }
        return try Providers.find(payment.method, scope)?.isOffline ?? false
    }

    /// Moves the order to paid through the Orders plugin, inside this transaction and with
    /// the caller's permissions; returns its new status.
    static func payOrder(_ number: String, because reason: String, _ scope: OperationScope) throws -> String {
        let order = try scope.perform("orders.pay", ["order": .string(number), "reason": .string(reason)])
        return order["status"]?.stringValue ?? OrderStatus.paid.rawValue
    }

    /// What every payment action returns: the outcome as data, and the payment after it.
    static func result(_ outcome: Outcome, _ payment: PaymentRecord, orderStatus: String? = nil) -> Value {
        var object: Value.Object = ["outcome": .string(outcome.kind.rawValue), "reason": Value(outcome.reason), "payment": payment.value]
        if let orderStatus { object["order_status"] = .string(orderStatus) }
        return .object(object)
    }

    static func replayed(_ first: Value, _ request: PaymentRequestKey, _ scope: OperationScope) -> Value {
        scope.audit(entity: "payment:\(request.order)", change: [
            "action": .string(request.action.rawValue), "replayed": true, "idempotency_key": .string(request.key),
            "outcome": first["outcome"] ?? .null,
        ])
        return first
    }

    static func audit(_ action: Attempts.Action, amount: Int64, key: String, outcome: Outcome, _ payment: PaymentRecord,
                      orderStatus: String? = nil, source: String? = nil, _ scope: OperationScope) {
        var change: Value.Object = [
            "action": .string(action.rawValue), "method": .string(payment.method), "amount": .int(amount),
            "currency": .string(payment.currency.code), "idempotency_key": .string(key), "outcome": .string(outcome.kind.rawValue),
            "reason": Value(outcome.reason), "reference": Value(outcome.reference), "status": .string(payment.status.rawValue),
            "authorized": .int(payment.authorized), "captured": .int(payment.captured), "refunded": .int(payment.refunded),
            "card_last4": Value(payment.cardLast4),
        ]
        if let orderStatus { change["order_status"] = .string(orderStatus) }
        if let source { change["source"] = .string(source) }
        scope.audit(entity: "payment:\(payment.orderNumber)", change: .object(change))
    }
}
