import Kernel

/// Payment taken while the order is placed (`orders.place` with `pay_with`, through the
/// kernel's `Hooks.orderPaying`): authorize the order's amount and, for a card approved at
/// once, capture it, writing the payment and its attempts in the order's own transaction.
/// The order is then placed paid, with its stock sold, in one commit.
///
/// Anything short of a full capture (a decline, a timeout, a pending confirmation, an
/// offline method, a refused capture) leaves the order waiting for payment: checkout rolls
/// back to the order, reserves its stock instead and asks this handler again with the first
/// answer in `decided`, which it records without asking the provider twice. The order can
/// then be paid as any other (`payment.authorize`, `payment.mark-paid`, a webhook).
enum PayAtPlacement {
    static func register(_ registrar: PluginRegistrar) throws {
        try registrar.filter(Hooks.orderPaying) { request, scope in
            // Another plugin's method, or already answered by the plugin that owns it.
            guard request.result == nil, let provider = try Providers.find(request.method, scope) else { return }
            request.result = try pay(request, provider: provider, scope)
        }
    }

    /// What the provider answered at each step, kept for the second run.
    struct Answers {
        var authorize: Outcome
        var capture: Outcome?
        var last4: String?

        var notes: Value {
            func encode(_ outcome: Outcome) -> Value {
                ["kind": .string(outcome.kind.rawValue), "reason": Value(outcome.reason), "reference": Value(outcome.reference)]
            }
            return ["authorize": encode(authorize), "capture": capture.map(encode) ?? .null, "last4": Value(last4)]
        }

        init(authorize: Outcome, capture: Outcome?, last4: String?) {
            self.authorize = authorize
            self.capture = capture
            self.last4 = last4
        }

        init(notes: Value) throws {
            func decode(_ value: Value) throws -> Outcome {
                guard let kind = value["kind"]?.stringValue.flatMap(Outcome.Kind.init(rawValue:)) else {
                    throw KernelError(.internal, "a payment at checkout came back without its provider's answer")
                }
                return Outcome(kind: kind, reason: value["reason"]?.stringValue, reference: value["reference"]?.stringValue)
            }
            authorize = try decode(notes["authorize"] ?? .null)
            capture = try notes["capture"].flatMap { $0 == .null ? nil : try decode($0) }
            last4 = notes["last4"]?.stringValue
        }
    }

    static func pay(_ request: CheckoutPayment, provider: any PaymentProvider, _ scope: OperationScope) throws -> CheckoutPaymentResult {
        let code = request.method, order = request.order
        let method = try scope.db.remembered("payment.method:" + code) { try PaymentMethod.find(code, scope) }
        guard let method else {
            throw KernelError(.notFound, "no payment method '\(code)' in this shop; configure it with payment.method.configure", field: "pay_with")
        }
        guard method.enabled else {
            throw KernelError.invalid("pay_with", "payment method '\(code)' is disabled in this shop; choose another method or enable it")
        }
        // The same permissions as the separate steps: payment.charge (payment.authorize) for
        // any method; for a card, which is captured at once, payment.capture (payment.capture)
        // and orders.payment.record (orders.pay) too.
        // A shopper checking out on the storefront pays their own order, as
        // storefront.order.pay lets them.
        if !isShopper(scope.context.actor) {
            let needed: [Permission] = provider.isOffline ? ["payment.charge"] : ["payment.charge", "payment.capture", "orders.payment.record"]
            for permission in needed where !scope.context.holds(permission) {
                throw KernelError.denied("paying at checkout with '\(code)' needs the permission \(permission)")
            }
        }
        let amount = try order.total.adding(Money(minorUnits: method.fee, currency: order.total.currency))
        do { try method.check(amount) } catch let error as KernelError {
            throw KernelError(error.code, error.message, field: "pay_with")
        }

        let answers: Answers
        if let decided = request.decided {
            answers = try Answers(notes: decided.notes)
        } else {
            answers = try ask(provider, amount: amount, request)
        }
        var payment = PaymentRecord(orderNumber: order.number, method: code, amount: amount, fee: method.fee, now: scope.now)
        payment.cardLast4 = answers.last4
        let authorized = answers.authorize
        switch authorized.kind {
        case .approved:
            payment.status = .authorized
            payment.authorized = amount.minorUnits
            payment.reference = authorized.reference
            if answers.capture?.kind == .approved {
                payment.status = .captured
                payment.captured = amount.minorUnits
            }
        case .pending:
            payment.status = .pending
            payment.reference = authorized.reference
        case .declined, .timedOut:
            payment.status = .failed
        }
        try payment.save(scope)
        try appendAttempts(payment, amount: amount.minorUnits, answers, key: request.idempotencyKey, scope)
        // The authorization's outcome; a capture refused after it is said in the reason (the
        // payment stays authorized, to capture later with payment.capture).
        var reason = authorized.reason
        if let capture = answers.capture, capture.kind != .approved {
            reason = "capture \(capture.kind == .timedOut ? "timed out" : capture.kind.rawValue): \(capture.reason ?? "no reason given")"
        }
        // The notes serve only a second run, which follows only an order not paid in full.
        let paidInFull = payment.status == .captured
        return CheckoutPaymentResult(paidInFull: paidInFull, outcome: authorized.kind.rawValue, reason: reason,
                                     reference: payment.reference, payment: payment.value, notes: paidInFull ? .null : answers.notes)
    }

    /// A storefront customer or guest: the order being placed is their own checkout's.
    static func isShopper(_ actor: Actor) -> Bool {
        switch actor {
        case .customer, .guest: return true
        default: return false
        }
    }

    /// Asks the provider to authorize and, for a card it approves at once, to capture.
    static func ask(_ provider: any PaymentProvider, amount: Money, _ request: CheckoutPayment) throws -> Answers {
        var card: CardNumber?
        let given = request.instrument.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        if provider.isOffline {
            guard given == nil else {
                throw KernelError.invalid("card", "payment method '\(request.method)' takes no card; leave the card out")
            }
        } else {
            guard let text = given else {
                throw KernelError.invalid("card", "payment method '\(request.method)' takes a card: give its number in the card field")
            }
            card = try CardNumber(text)
        }
        let number = request.order.number, key = request.idempotencyKey
        // A provider's message never carries the card number into the log.
        let authorize = Outcome(provider.perform(PaymentRequest(action: .authorize, amount: amount, orderNumber: number, reference: nil,
                                                                instrument: card?.digits, idempotencyKey: key + ":authorize")),
                                redacting: card)
        var capture: Outcome?
        if authorize.kind == .approved, !provider.isOffline {
            capture = Outcome(provider.perform(PaymentRequest(action: .capture, amount: amount, orderNumber: number,
                                                              reference: authorize.reference, instrument: nil,
                                                              idempotencyKey: key + ":capture")), redacting: card)
        }
        return Answers(authorize: authorize, capture: capture, last4: card?.last4)
    }

    /// `INSERT INTO payment_attempts` of one row (the authorization) and of two (and the
    /// capture), made once so the connection finds each prepared statement by its text.
    static let attemptInserts: [String] = (1...2).map { count in
        "INSERT INTO payment_attempts (id, shop_id, payment_id, action, method, amount, idempotency_key, outcome, reason, reference, actor, at) VALUES "
            + (0..<count).map { "(:id\($0), :shop, :payment, :action\($0), :method, :amount, :key\($0), :outcome\($0), :reason\($0), :reference\($0), :actor, :now)" }
                .joined(separator: ", ")
    }

    /// The authorization and, when one was asked, the capture, in one INSERT.
    static func appendAttempts(_ payment: PaymentRecord, amount: Int64, _ answers: Answers, key: String, _ scope: OperationScope) throws {
        guard let id = payment.id else { throw KernelError(.internal, "attempt logged for an unsaved payment") }
        var steps: [(Attempts.Action, Outcome)] = [(.authorize, answers.authorize)]
        if let capture = answers.capture { steps.append((.capture, capture)) }
        let method = SQLValue.text(payment.method), actor = SQLValue.text(scope.context.actor.description)
        // Typed values in the order the statement names them (each is found at the first look).
        var values: [(String, SQLValue)] = []
        values.reserveCapacity(11 * steps.count)
        for (index, (action, outcome)) in steps.enumerated() {
            // The shared values are named once, in the first row. A new payment's log starts
            // at its first key.
            values.append(("id\(index)", .integer(Attempts.key(payment: id, attempt: Int64(index + 1)))))
            if index == 0 { values.append(("payment", .integer(id))) }
            values.append(("action\(index)", .text(action.rawValue)))
            if index == 0 { values += [("method", method), ("amount", .integer(amount))] }
            values += [("key\(index)", .text(key + ":" + action.rawValue)), ("outcome\(index)", .text(outcome.kind.rawValue)),
                       ("reason\(index)", outcome.reason.sqlValue), ("reference\(index)", outcome.reference.sqlValue)]
            if index == 0 { values += [("actor", actor), ("now", .integer(scope.now))] }
        }
        try scope.db.execute(attemptInserts[steps.count - 1], values: values)
    }
}
