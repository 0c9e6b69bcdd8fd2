import Kernel

/// Money that goes back because the Orders plugin decided so: a cancelled order's payment is
/// voided (nothing captured) or refunded (what was captured and not yet refunded), and an
/// approved refund or return request is refunded (its amount, never more than is left).
///
/// Why outbox subscribers and not a guard or filter inside `orders.cancel`: the provider is
/// outside the database. Asked inside the cancel transaction, a refund that the gateway
/// approved could be rolled back by a later step of that transaction (money returned, order
/// not cancelled), and a gateway that declines or times out would either block the
/// cancellation or be forgotten. Events are written to the outbox in the same transaction as
/// the cancellation or approval, so they exist exactly when the decision committed, and are
/// delivered after commit, retried with backoff and parked visibly (`outbox.list`) when they
/// keep failing.
///
/// Each event has two subscribers, each in its own transaction:
/// * `queue-*` writes one `payment_settlements` row per source (`cancel:NUMBER`,
///   `aftersales:ID`; unique, so redelivery adds nothing) with status `pending`. It does not
///   talk to the provider, so it commits even when the gateway is down: the payment then
///   shows the money as `refund_pending` (`payment.show`).
/// * `settle-*` queues the row too if it is missing, then asks the provider with an
///   idempotency key derived from the source (a retry after a crash cannot refund twice at a
///   gateway that dedups on keys, as gateways do) and, in one transaction, moves the payment,
///   appends the attempt, audits and marks the row `settled`. A decline or timeout throws:
///   nothing is written, the outbox keeps the error and retries. A settled row is never
///   settled again, so a redelivered event moves no money.
enum Settlements {
    enum Kind: String, Sendable { case cancellation, afterSales = "after_sales", release }
    enum Status: String, Sendable { case pending, settled, nothingToDo = "nothing_to_do" }

    /// What asks for money back.
    struct Source: Sendable {
        let kind: Kind
        /// Unique in the shop: `cancel:NUMBER`, `late:REFERENCE`, `release:NUMBER` or
        /// `aftersales:REQUEST`.
        let key: String
        let order: String
        let requestID: Int64?
        /// The amount approved (after-sales); nil for a cancellation (everything held).
        let asked: Int64?

        static func cancellation(_ event: OrderEvent) -> Source {
            Source(kind: .cancellation, key: "cancel:\(event.number)", order: event.number, requestID: nil, asked: nil)
        }

        /// A capture the gateway confirmed after the order was cancelled.
        static func lateCapture(_ event: LateCapture) -> Source {
            Source(kind: .cancellation, key: "late:\(event.reference)", order: event.orderNumber, requestID: nil, asked: nil)
        }

        /// The uncaptured rest of a partly captured authorization, when its order is cancelled.
        static func release(_ event: OrderEvent) -> Source {
            Source(kind: .release, key: "release:\(event.number)", order: event.number, requestID: nil, asked: nil)
        }

        static func afterSales(_ event: AfterSalesEvent) -> Source {
            afterSales(request: event.requestID, order: event.orderNumber, amount: event.amount.minorUnits)
        }

        static func afterSales(request: Int64, order: String, amount: Int64) -> Source {
            Source(kind: .afterSales, key: "aftersales:\(request)", order: order, requestID: request, asked: amount)
        }

        var describe: String {
            switch kind {
            case .cancellation: return "order \(order) cancelled"
            case .release: return "order \(order) cancelled: the uncaptured rest of the authorization released"
            case .afterSales: return "after-sales request \(requestID ?? 0) approved"
            }
        }
    }

    /// What to ask the provider for.
    struct Plan: Sendable {
        let action: Attempts.Action
        let amount: Int64
    }

    struct Settlement: Sendable {
        let id: Int64
        let source: String
        let status: Status
        let amount: Int64

        init(row: Row) throws {
            id = try row.int64("id")
            source = try row.string("source")
            guard let status = Status(rawValue: try row.string("status")) else {
                throw KernelError(.storage, "settlement \(source) has an unknown status")
            }
            self.status = status
            amount = try row.int64("amount")
        }
    }

    // MARK: Subscribers

    static func register(_ registrar: PluginRegistrar) throws {
        let cancelled: @Sendable (OrderEvent) -> Bool = { $0.status == .cancelled }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "queue-cancellation", when: cancelled) { event, scope in
            try queue(.cancellation(event), scope)
        }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "settle-cancellation", when: cancelled) { event, scope in
            try settle(.cancellation(event), scope)
        }
        // The uncaptured rest of a partly captured authorization: a settlement of its own, so
        // that a gateway refusing it never holds back (or rolls back) the cancellation's refund.
        try registrar.subscribe(Hooks.orderStatusChanged, name: "queue-release", when: cancelled) { event, scope in
            try queue(.release(event), scope)
        }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "settle-release", when: cancelled) { event, scope in
            try settle(.release(event), scope)
        }
        try registrar.subscribe(PaymentEvents.lateCapture, name: "settle-late-capture") { event, scope in
            try settle(.lateCapture(event), scope)
        }
        let refunds: @Sendable (AfterSalesEvent) -> Bool = { $0.kind != .exchange && $0.amount.minorUnits > 0 }
        try registrar.subscribe(Hooks.afterSalesApproved, name: "queue-after-sales-refund", when: refunds) { event, scope in
            try queue(.afterSales(event), scope)
        }
        try registrar.subscribe(Hooks.afterSalesApproved, name: "settle-after-sales-refund", when: refunds) { event, scope in
            try settle(.afterSales(event), scope)
        }
    }

    // MARK: Steps

    static func find(_ source: String, _ scope: OperationScope) throws -> Settlement? {
        try scope.db.query("SELECT * FROM payment_settlements WHERE shop_id = :shop AND source = :source", ["source": source])
            .first.map(Settlement.init(row:))
    }

    /// What `source` asks of `payment` now, or nil when nothing is held to give back.
    static func plan(_ source: Source, _ payment: PaymentRecord, _ scope: OperationScope) throws -> Plan? {
        switch source.kind {
        case .cancellation:
            if payment.captured == 0 && payment.status == .authorized { return Plan(action: .void, amount: payment.authorized) }
            if try ChargeOperations.isOfflinePending(payment, scope) { return Plan(action: .void, amount: payment.amount) }
            // A card still waiting for the gateway's confirmation: the charge is called off.
            // (Should the gateway confirm it anyway, the webhook refunds it: `lateCapture`.)
            if payment.status == .pending { return Plan(action: .void, amount: payment.amount) }
            guard [.authorized, .captured, .partiallyRefunded].contains(payment.status), payment.refundable > 0 else { return nil }
            return Plan(action: .refund, amount: payment.refundable)
        case .release:
            // Partly captured: the refund is the cancellation's; this frees the rest of the hold.
            guard payment.captured > 0, payment.capturable > 0 else { return nil }
            return Plan(action: .void, amount: payment.capturable)
        case .afterSales:
            guard [.captured, .partiallyRefunded].contains(payment.status), payment.refundable > 0 else { return nil }
            // Orders' books (refunds approved so far, this one included) are the target: what
            // Payment already refunded counts, linked to a request or not, so a refund staff
            // made directly is never made again by the approval that books it.
            let owed = try OrderLookup.order(source.order, scope).refunded - payment.refunded
            let amount = min(source.asked ?? payment.refundable, payment.refundable, owed)
            return amount > 0 ? Plan(action: .refund, amount: amount) : nil
        }
    }

    /// Writes the pending row for `source` unless it exists. A cancellation with nothing held
    /// (no payment, a failed or voided one) writes nothing; an approved refund with nothing
    /// left to refund is recorded as `nothing_to_do`, so the shop sees why no money moved.
    @discardableResult
    static func queue(_ source: Source, _ scope: OperationScope) throws -> Settlement? {
        if let existing = try find(source.key, scope) { return existing }
        guard let payment = try PaymentRecord.find(order: source.order, scope) else { return nil }
        let plan = try plan(source, payment, scope)
        if plan == nil && source.kind != .afterSales { return nil }
        let note = plan == nil ? try nothingLeft(payment, source, scope) : nil
        try scope.db.execute("""
            INSERT INTO payment_settlements (shop_id, source, kind, order_number, request_id, amount, status, note, created_at, updated_at)
            VALUES (:shop, :source, :kind, :order, :request, :amount, :status, :note, :now, :now)
            """, ["source": source.key, "kind": source.kind.rawValue, "order": source.order, "request": source.requestID,
                  "amount": plan?.amount ?? 0, "status": (plan == nil ? Status.nothingToDo : .pending).rawValue,
                  "note": note, "now": scope.now])
        if plan == nil {
            scope.audit(entity: "payment:\(source.order)", change: [
                "action": "settlement", "source": .string(source.key), "status": .string(Status.nothingToDo.rawValue),
                "reason": Value(note),
            ])
        }
        return try find(source.key, scope)
    }

    static func nothingLeft(_ payment: PaymentRecord, _ source: Source, _ scope: OperationScope) throws -> String {
        var text = "nothing left to give back: the payment is \(payment.status.rawValue) (captured \(payment.money(payment.captured)), refunded \(payment.money(payment.refunded)))"
        if source.kind == .afterSales {
            text += "; Orders booked \(payment.money(try OrderLookup.order(source.order, scope).refunded)) refunded"
        }
        return text
    }

    /// Gives the money back through the provider, once. Throws (so the outbox retries) when
    /// the provider declines or does not answer.
    static func settle(_ source: Source, _ scope: OperationScope) throws {
        guard let settlement = try queue(source, scope), settlement.status == .pending else { return }
        guard let payment = try PaymentRecord.find(order: source.order, scope),
              let plan = try plan(source, payment, scope) else {
            // Something else gave the money back meanwhile (e.g. staff with payment.refund).
            let note = try PaymentRecord.find(order: source.order, scope).map { try nothingLeft($0, source, scope) } ?? "no payment"
            try mark(settlement, .nothingToDo, plan: nil, reference: nil, note: note, scope)
            scope.audit(entity: "payment:\(source.order)", change: [
                "action": "settlement", "source": .string(source.key), "status": .string(Status.nothingToDo.rawValue),
                "reason": .string(note),
            ])
            return
        }
        let provider = try Providers.require(payment.method, scope)
        let key = "settlement-\(scope.context.shop?.id ?? 0)-\(source.key)"
        let requestAction: PaymentRequest.Action = plan.action == .void ? .void : .refund
        let outcome = Outcome(provider.perform(PaymentRequest(action: requestAction, amount: payment.money(plan.amount),
                                                              orderNumber: source.order, reference: payment.reference,
                                                              instrument: nil, idempotencyKey: key)))
        if source.kind == .release, outcome.kind == .declined {
            // Not money that moves: a gateway that will not release the rest early (some
            // refuse after a partial capture) lets the hold lapse when it expires. Retrying
            // would not change its mind.
            let note = "\(payment.method) declined to release \(payment.money(plan.amount)) early\(outcome.reason.map { " (\($0))" } ?? ""); the hold lapses when the authorization expires"
            try Attempts.append(payment: payment, action: .void, amount: plan.amount, key: key, outcome: outcome, reason: source.describe, scope)
            try mark(settlement, .nothingToDo, plan: plan, reference: nil, note: note, scope)
            scope.audit(entity: "payment:\(source.order)", change: [
                "action": "settlement", "source": .string(source.key), "status": .string(Status.nothingToDo.rawValue), "reason": .string(note),
            ])
            return
        }
        try requireApproved(outcome, plan.action, plan.amount, payment, source)
        var updated = payment
        switch (source.kind, plan.action) {
        case (.release, _):
            updated.authorized = updated.captured  // nothing more can be captured; the status stays
        case (_, .void):
            updated.status = .voided
        default:
            updated.refunded += plan.amount
            updated.status = updated.refunded == updated.captured ? .refunded : .partiallyRefunded
        }
        try updated.save(scope)
        try Attempts.append(payment: updated, action: plan.action, amount: plan.amount, key: key, outcome: outcome,
                            reason: source.describe, scope)
        try mark(settlement, .settled, plan: plan, reference: outcome.reference, note: nil, scope)
        ChargeOperations.audit(plan.action, amount: plan.amount, key: key, outcome: outcome, updated, source: source.key, scope)
    }

    static func requireApproved(_ outcome: Outcome, _ action: Attempts.Action, _ amount: Int64, _ payment: PaymentRecord,
                                _ source: Source) throws {
        guard outcome.kind != .approved else { return }
        throw KernelError(.conflict, """
            \(action.rawValue) of \(payment.money(amount)) on order \(source.order) (\(source.describe)) was not approved by \
            \(payment.method): \(outcome.kind.rawValue)\(outcome.reason.map { ", \($0)" } ?? ""); it stays pending and is retried
            """, field: "order")
    }

    static func mark(_ settlement: Settlement, _ status: Status, plan: Plan?, reference: String?, note: String?,
                     _ scope: OperationScope) throws {
        try scope.db.execute("""
            UPDATE payment_settlements SET status = :status, action = :action, settled_amount = :settled, reference = :reference,
                note = :note, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["status": status.rawValue, "action": plan?.action.rawValue, "settled": plan?.amount ?? 0, "reference": reference,
                  "note": note, "now": scope.now, "id": settlement.id])
    }

    // MARK: Refunds made directly with payment.refund

    /// Before `payment.refund` with a `request`: the request must be a refund or return of
    /// this order, not rejected, not already paid out, and the refund not above its amount.
    static func checkDirectRefund(request id: Int64, order number: String, amount: Int64, _ scope: OperationScope) throws -> Source {
        guard let row = try scope.db.query("""
            SELECT a.kind, a.status, a.amount FROM orders_after_sales a JOIN orders_orders o ON o.id = a.order_id
            WHERE a.shop_id = :shop AND a.id = :id AND o.number = :number
            """, ["id": id, "number": number]).first else {
            throw KernelError(.notFound, "order \(number) has no after-sales request \(id)", field: "request")
        }
        let kind = try row.string("kind"), status = try row.string("status"), requested = try row.int64("amount")
        guard kind != AfterSalesEvent.Kind.exchange.rawValue, status != "rejected" else {
            throw KernelError(.conflict, "after-sales request \(id) is \(kind == "exchange" ? "an exchange" : "rejected"); it refunds nothing",
                              field: "request")
        }
        let source = Source.afterSales(request: id, order: number, amount: requested)
        if let settlement = try find(source.key, scope), settlement.status != .pending {
            throw KernelError(.conflict, "after-sales request \(id) of order \(number) was already settled (\(settlement.status.rawValue)); it is not refunded twice",
                              field: "request")
        }
        guard amount <= requested else {
            throw KernelError.invalid("amount", "after-sales request \(id) is for \(Money(minorUnits: requested, currency: try currency(scope))), less than this refund")
        }
        return source
    }

    private static func currency(_ scope: OperationScope) throws -> Currency {
        guard let code = scope.context.shop?.currency, let currency = Currency(code: code) else {
            throw KernelError(.internal, "no shop currency")
        }
        return currency
    }

    /// After an approved `payment.refund` with a `request`: that request is settled, so its
    /// approval in Orders (before or after this) moves no more money.
    static func recordDirectRefund(_ source: Source, amount: Int64, reference: String?, _ scope: OperationScope) throws {
        try scope.db.execute("""
            INSERT INTO payment_settlements (shop_id, source, kind, order_number, request_id, amount, status, action, settled_amount,
                reference, note, created_at, updated_at)
            VALUES (:shop, :source, :kind, :order, :request, :amount, 'settled', 'refund', :amount, :reference, :note, :now, :now)
            ON CONFLICT (shop_id, source) DO UPDATE SET status = 'settled', action = 'refund', settled_amount = excluded.settled_amount,
                reference = excluded.reference, note = excluded.note, updated_at = excluded.updated_at
            """, ["source": source.key, "kind": source.kind.rawValue, "order": source.order, "request": source.requestID,
                  "amount": amount, "reference": reference, "note": "refunded with payment.refund by \(scope.context.actor.description)",
                  "now": scope.now])
    }

    /// The order's settlements, oldest first, as `payment.show` lists them.
    static func list(order number: String, currency: Currency, _ scope: OperationScope) throws -> [Value] {
        try scope.db.query("SELECT * FROM payment_settlements WHERE shop_id = :shop AND order_number = :number ORDER BY id",
                           ["number": number]).map { row in
            ["source": .string(try row.string("source")), "status": .string(try row.string("status")),
             "amount": Money(minorUnits: try row.int64("amount"), currency: currency).value,
             "action": Value(try row.optionalString("action")),
             "settled": Money(minorUnits: try row.int64("settled_amount"), currency: currency).value,
             "reference": Value(try row.optionalString("reference")), "note": Value(try row.optionalString("note")),
             "updated_at": .string(Validation.isoString(millis: try row.int64("updated_at")))]
        }
    }

    /// What is queued to go back and not yet settled.
    static func pendingAmount(order number: String, _ scope: OperationScope) throws -> Int64 {
        try scope.db.query("""
            SELECT COALESCE(SUM(amount), 0) AS n FROM payment_settlements
            WHERE shop_id = :shop AND order_number = :number AND status = 'pending' AND kind <> 'release'
            """, ["number": number])[0].int64("n")
    }
}
