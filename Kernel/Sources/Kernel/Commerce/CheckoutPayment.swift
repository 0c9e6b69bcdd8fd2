/// Payment taken while the order is placed, in the order's own transaction (`orders.place`
/// with `pay_with`): the order, its stock and its payment commit together, or the order is
/// placed waiting for payment with the attempt on record.
///
/// The Orders plugin fires `Hooks.orderPaying` with this value; the plugin that owns the
/// payment method (the Payment plugin for its built-in methods) asks its provider, writes its
/// own records and sets `result`. A handler that does not own `method` passes the value on
/// unchanged. A payment plugin joins like this:
/// ```swift
/// try registrar.filter(Hooks.orderPaying) { payment, scope in
///     guard payment.result == nil, payment.method == "mygateway" else { return }
///     // ask the gateway (or, when payment.decided is set, record that answer again) ...
///     payment.result = CheckoutPaymentResult(paidInFull: true, outcome: "approved", reason: nil,
///                                            reference: ref, payment: ["reference": .string(ref)], notes: .null)
/// }
/// ```
public struct CheckoutPayment: Sendable {
    /// The order as written, with its number, lines and total.
    public let order: OrderSnapshot
    /// The payment method code the shopper chose, e.g. `sandbox`, `cod`.
    public let method: String
    /// The card number or token; never stored by Souk (keep only its last digits).
    public let instrument: String?
    /// The key to give the provider, so that a retry never charges twice: the request's
    /// idempotency key (with the shop) when it has one, else a fresh random one.
    public let idempotencyKey: String
    /// Nil the first time. When the first answer did not pay the order in full at once
    /// (declined, pending, timed out, offline), checkout rolls back what the plugins wrote
    /// for the paid order (stock taken as sold, payment rows), sets the order to wait for
    /// payment, runs `order.placing` again (stock reserved) and fires this hook again with
    /// the first answer here: record it again without asking the provider a second time.
    public let decided: CheckoutPaymentResult?
    /// Set by the handler that owns `method`.
    public var result: CheckoutPaymentResult?

    public init(order: OrderSnapshot, method: String, instrument: String?, idempotencyKey: String,
                decided: CheckoutPaymentResult? = nil, result: CheckoutPaymentResult? = nil) {
        self.order = order
        self.method = method
        self.instrument = instrument
        self.idempotencyKey = idempotencyKey
        self.decided = decided
        self.result = result
    }
}

/// What a payment at checkout came to.
public struct CheckoutPaymentResult: Sendable, Equatable {
    /// True when the money is taken (captured) in full: the order is placed paid. Otherwise
    /// it is placed waiting for payment.
    public var paidInFull: Bool
    /// The provider's outcome as people read it: `approved`, `declined`, `pending`, `timed_out`.
    public var outcome: String
    /// Why it was declined or not finished, when it was not approved.
    public var reason: String?
    /// The provider's reference of the payment, when it has one.
    public var reference: String?
    /// The payment as the payment plugin shows it; checkout puts it in its answer.
    public var payment: Value
    /// The payment plugin's own notes, handed back in `CheckoutPayment.decided` (for example
    /// each provider answer), so the second run records the same thing.
    public var notes: Value

    public init(paidInFull: Bool, outcome: String, reason: String?, reference: String?, payment: Value, notes: Value) {
        self.paidInFull = paidInFull
        self.outcome = outcome
        self.reason = reason
        self.reference = reference
        self.payment = payment
        self.notes = notes
    }
}

extension Hooks {
    /// Filter, fired by checkout inside the order's transaction when the order is paid while
    /// it is placed (`orders.place` with `pay_with`), after `order.placing`. The payment
    /// plugin that owns `method` asks its provider, writes its records and sets `result`.
    /// Throwing rolls the whole order back; a decline is a result, not an error.
    ///
    /// On the first run `order.placing` saw the order with status `paid` (stock is taken as
    /// sold, not reserved). If the result does not pay in full, checkout rolls that back and
    /// runs `order.placing` (status `pending_payment`) and this hook (with `decided`) again.
    public static let orderPaying = FilterHook<CheckoutPayment>("order.paying")
}
