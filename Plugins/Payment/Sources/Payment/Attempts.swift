import Foundation
import Kernel

/// The append-only log of everything asked of a provider for a payment (`payment_attempts`):
/// each authorize, capture, void, refund, offline receipt and webhook, with its outcome.
/// The table refuses updates and deletes.
enum Attempts {
    enum Action: String, Sendable {
        case authorize, capture, void, refund
        case markPaid = "mark_paid"
        case webhook
    }

    /// The row ids of one payment's log: `payment × 2^20 + 1...2^20 - 1` (a CHECK holds rows
    /// to it).
    static let perPayment: Int64 = 1 << 20

    /// The row id of the payment's `n`-th attempt (from 1).
    static func key(payment: Int64, attempt n: Int64) -> Int64 { payment * perPayment + n }

    /// The row ids of the payment's attempts.
    static func range(payment: Int64) -> (lower: Int64, upper: Int64) { (payment * perPayment, (payment + 1) * perPayment) }

    static func append(payment: PaymentRecord, action: Action, amount: Int64, key: String?, outcome: Outcome,
                       reason: String? = nil, _ scope: OperationScope) throws {
        guard let id = payment.id else { throw KernelError(.internal, "attempt logged for an unsaved payment") }
        let range = range(payment: id)
        let last = try scope.db.query("SELECT MAX(id) AS id FROM payment_attempts WHERE shop_id = :shop AND id > :lower AND id < :upper",
                                      ["lower": range.lower, "upper": range.upper]).first?.optionalInt("id").map(Int64.init) ?? range.lower
        guard last + 1 < range.upper else {
            throw KernelError(.conflict, "the payment of order \(payment.orderNumber) has \(perPayment - 1) attempts on record, the most one payment keeps",
                              field: "order")
        }
        try scope.db.execute("""
            INSERT INTO payment_attempts (id, shop_id, payment_id, action, method, amount, idempotency_key, outcome, reason, reference, actor, at)
            VALUES (:id, :shop, :payment, :action, :method, :amount, :key, :outcome, :reason, :reference, :actor, :now)
            """, ["id": last + 1, "payment": id, "action": action.rawValue, "method": payment.method, "amount": amount, "key": key,
                  "outcome": outcome.kind.rawValue, "reason": reason ?? outcome.reason, "reference": outcome.reference,
                  "actor": scope.context.actor.description, "now": scope.now])
    }

    /// The outcome of the payment's latest attempt of `action`, if any.
    static func lastOutcome(of action: Action, _ payment: PaymentRecord, _ scope: OperationScope) throws -> Outcome.Kind? {
        guard let id = payment.id else { return nil }
        let range = range(payment: id)
        return try scope.db.query("""
            SELECT outcome FROM payment_attempts WHERE shop_id = :shop AND id > :lower AND id < :upper AND action = :action
            ORDER BY id DESC LIMIT 1
            """, ["lower": range.lower, "upper": range.upper, "action": action.rawValue]).first.flatMap { Outcome.Kind(rawValue: try $0.string("outcome")) }
    }

    /// The payment's attempts, oldest first, as hosts show them.
    static func list(payment: PaymentRecord, _ scope: OperationScope) throws -> [Value] {
        guard let id = payment.id else { return [] }
        let range = range(payment: id)
        return try scope.db.query("SELECT * FROM payment_attempts WHERE shop_id = :shop AND id > :lower AND id < :upper ORDER BY id",
                                  ["lower": range.lower, "upper": range.upper]).map { row in
            ["id": .int(try row.int64("id")), "action": .string(try row.string("action")), "method": .string(try row.string("method")),
             "amount": payment.money(try row.int64("amount")).value, "outcome": .string(try row.string("outcome")),
             "reason": Value(try row.optionalString("reason")), "reference": Value(try row.optionalString("reference")),
             "idempotency_key": Value(try row.optionalString("idempotency_key")), "by": .string(try row.string("actor")),
             "at": .string(Validation.isoString(millis: try row.int64("at")))]
        }
    }
}

/// Idempotency keys of payment requests (`payment_requests`): a request repeated with its
/// key returns the first result without asking the provider again; the key used for a
/// different request is a conflict. A request that timed out is not settled: repeating it
/// with the same key asks the provider again (which dedups on the key, as gateways do).
struct PaymentRequestKey: Sendable {
    let key: String
    let action: Attempts.Action
    let order: String
    /// The method asked for, when the action names one.
    let method: String?
    /// The amount asked for; nil means "what the first request took" (e.g. capture the rest).
    let amount: Int64?
    let currency: Currency

    /// Required in practice: when the field is left out, the request's own idempotency key
    /// (the CLI's global `--idempotency-key`, which takes the place of a field of this name)
    /// is used instead.
    static let field = Field("idempotency_key",
                             help: "a key unique to this request (e.g. a UUID): repeating the request with it returns the first result and never charges twice; defaults to the request's idempotency key (CLI: --idempotency-key)")

    /// The `idempotency_key` field, else the request's idempotency key; one is needed.
    static func input(_ scope: OperationScope) throws -> String {
        guard let given = scope.input.optionalString("idempotency_key") ?? scope.context.idempotencyKey else {
            throw KernelError.invalid("idempotency_key", """
                payment requests need an idempotency key: give idempotency_key (CLI: the global --idempotency-key KEY) \
                so that a retry never charges twice
                """)
        }
        let key = given.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw KernelError.invalid("idempotency_key", "the idempotency key is empty") }
        guard key.count <= 200 else {
            throw KernelError.invalid("idempotency_key", "the idempotency key has \(key.count) characters; at most 200")
        }
        return key
    }

    private func describe(action: String, amount: Int64?, order: String, method: String?) -> String {
        var text = action
        if let amount { text += " \(Money(minorUnits: amount, currency: currency))" }
        text += " on order \(order)"
        if let method { text += " with \(method)" }
        return text
    }

    /// The first result of this request, nil when it has none yet (new key, or a timeout to
    /// retry), or a conflict when the key belongs to a different request.
    func replay(_ scope: OperationScope) throws -> Value? {
        guard let row = try scope.db.query("SELECT * FROM payment_requests WHERE shop_id = :shop AND idempotency_key = :key",
                                           ["key": key]).first else { return nil }
        let storedAction = try row.string("action"), storedOrder = try row.string("order_number")
        let storedMethod = try row.optionalString("method"), storedAmount = try row.optionalInt("amount").map(Int64.init)
        let differs = storedAction != action.rawValue || storedOrder != order
            || (method != nil && storedMethod != nil && method != storedMethod)
            || (amount != nil && storedAmount != nil && amount != storedAmount)
        if differs {
            throw KernelError(.conflict, """
                idempotency key '\(key)' was already used to \(describe(action: storedAction, amount: storedAmount, order: storedOrder, method: storedMethod)); \
                this request is to \(describe(action: action.rawValue, amount: amount, order: order, method: method)): use a new key for a different request
                """, field: "idempotency_key")
        }
        guard try row.string("outcome") != Outcome.Kind.timedOut.rawValue else { return nil }
        return try JSON.decode(try row.string("response"))
    }

    /// Records the result of this request under its key (replacing a timed-out one).
    func remember(amount resolved: Int64, outcome: Outcome.Kind, response: Value, _ scope: OperationScope) throws {
        try scope.db.execute("""
            INSERT INTO payment_requests (shop_id, idempotency_key, action, order_number, method, amount, outcome, response, created_at, updated_at)
            VALUES (:shop, :key, :action, :order, :method, :amount, :outcome, :response, :now, :now)
            ON CONFLICT (shop_id, idempotency_key) DO UPDATE SET outcome = excluded.outcome, response = excluded.response,
                updated_at = excluded.updated_at
            """, ["key": key, "action": action.rawValue, "order": order, "method": method, "amount": resolved,
                  "outcome": outcome.rawValue, "response": JSON.encode(response), "now": scope.now])
        // A timeout settles nothing: the request-level key must not replay it either.
        if outcome == .timedOut { scope.notReplayable() }
    }
}
