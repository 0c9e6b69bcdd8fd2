import Foundation

/// The unit of work an operation handler (and every hook handler it triggers) runs in:
/// the context, the validated input, the shop-scoped database inside the operation's
/// transaction, and the hook bus.
///
/// Only valid during the handler call; do not keep it.
public final class OperationScope {
    public let kernel: Kernel
    public let context: OperationContext
    public let input: OperationInput
    /// The name of the operation being performed.
    public let operation: String
    let transaction: Transaction
    var auditEntity: String?
    var auditChange: Value?
    /// Set when this scope published an event that has subscribers: the runner then
    /// delivers after commit.
    var publishedListenedEvent = false
    /// Set by `notReplayable()`.
    var replayable = true
    /// Set by `deferEventDelivery()`.
    var deliveryDeferred = false
    /// Set by `nothingChanged()`.
    var skipsAudit = false
    /// Set by `answerIsReusable(until:)`: `.some(nil)` for "until the data changes".
    var reusableUntil: Int64?? = nil

    /// Leaves this operation's events in the outbox for the next delivery pass (a long-
    /// running host delivers within a second) instead of delivering them before the caller
    /// gets the answer. For answers whose timing must not depend on what subscribers do:
    /// "a reset link was sent if the account exists" must take as long either way.
    public func deferEventDelivery() {
        deliveryDeferred = true
    }

    /// The operation found nothing to do and wrote nothing, so no audit entry is written
    /// for it (a scheduled sweep that runs every minute would otherwise fill the chain
    /// with empty entries). Never call it after writing.
    public func nothingChanged() {
        skipsAudit = true
    }

    /// Keeps this result out of the request's idempotency record, so that repeating the
    /// request with the same key runs it again. For outcomes that settle nothing, such as a
    /// gateway that timed out.
    public func notReplayable() {
        replayable = false
    }

    /// Declares that this read's answer depends only on the shop's data in the database and
    /// the input: not on who asks (beyond holding the operation's permission), nor on
    /// anything outside the database. The kernel may then hand the same answer to the next
    /// callers until any commit changes the database (in this process or another), or until
    /// `until` (milliseconds since 1970) for answers that depend on the clock, such as
    /// "listed now" with a listing scheduled to end. Ignored in mutations.
    ///
    /// ```swift
    /// let product = try load(scope)
    /// scope.answerIsReusable(until: product.nextListingChange(after: scope.now))
    /// return product.value
    /// ```
    ///
    /// Do not call it when the answer is filtered by the caller (a customer's own orders) or
    /// reads something other than this database.
    public func answerIsReusable(until: Int64? = nil) {
        reusableUntil = .some(until)
    }

    init(kernel: Kernel, context: OperationContext, input: OperationInput, operation: String, transaction: Transaction) {
        self.kernel = kernel
        self.context = context
        self.input = input
        self.operation = operation
        self.transaction = transaction
        self.now = context.clock.millis
    }

    /// The shop-scoped database. Throws when the operation has no shop.
    public var db: ShopDatabase {
        get throws { ShopDatabase(transaction: transaction, shopID: try context.requireShop().id) }
    }

    /// Milliseconds since 1970 by the context's clock.
    /// Read once when the operation starts, so that everything it decides and stamps uses
    /// one moment (a visibility check and the time a cached answer stays valid cannot fall
    /// on two sides of a scheduled change).
    public let now: Int64

    /// Sets what the audit entry of this operation records (by default the operation name
    /// and its input without secrets).
    public func audit(entity: String, change: Value) {
        auditEntity = entity
        auditChange = change
    }

    // MARK: Hooks

    /// Passes `value` through the filter's handlers of plugins enabled in this shop.
    public func filter<V>(_ hook: FilterHook<V>, _ value: V) throws -> V {
        var value = value
        for entry in kernel.hooks.handlers(.filter, hook.name) where try isEnabled(entry.pluginID) {
            guard let handler = entry.handler as? FilterHandler<V> else { continue }
            try handler(&value, self)
        }
        return value
    }

    /// Asks every guard handler; the first veto throws `vetoed` with its reason and the
    /// operation rolls back.
    public func check<S>(_ hook: GuardHook<S>, _ subject: S) throws {
        for entry in kernel.hooks.handlers(.guard, hook.name) where try isEnabled(entry.pluginID) {
            guard let handler = entry.handler as? GuardHandler<S> else { continue }
            if case .veto(let reason) = try handler(subject, self) {
                throw KernelError(.vetoed, "\(reason) (refused by \(entry.pluginID))")
            }
        }
    }

    /// Writes the event into the outbox inside this transaction. It is delivered to
    /// subscribers after commit, and never if the transaction rolls back.
    public func publish<P>(_ event: EventHook<P>, _ payload: P) throws {
        try publish(event, payload, shopID: context.shop?.id ?? 0)
    }

    /// Publishes for a given shop (the kernel's `shop.created` names the shop it just made).
    func publish<P>(_ event: EventHook<P>, _ payload: P, shopID: Int64) throws {
        guard transaction.isWritable else {
            throw KernelError(.internal, "event '\(event.name)' published from read-only operation \(operation)")
        }
        transaction.publishedEvents.append(event.name)
        // An event nobody subscribes to has nobody to deliver to: it is neither encoded nor
        // written, which keeps checkout's transaction small. (The audit log is the record of
        // what happened; the outbox is only a delivery queue.)
        var subscribers = kernel.hooks.handlers(.event, event.name)
        guard !subscribers.isEmpty else { return }
        // Subscribers of plugins disabled in this shop would skip the event at delivery, and
        // subscribers whose `when` declines it would do nothing: the event is queued for the
        // others only, and not at all when nobody is left.
        let enabled = shopID != 0 ? try kernel.enabledPlugins(shopID: shopID, in: transaction) : nil
        subscribers.removeAll { entry in
            let on = entry.pluginID == "kernel" || (enabled?.contains(entry.pluginID) ?? true)
            return !on || !entry.wants(payload)
        }
        guard !subscribers.isEmpty else { return }
        let data = try JSONEncoder().encode(payload)
        let now = self.now
        publishedListenedEvent = true
        try transaction.execute("""
            INSERT INTO souk_outbox (shop_id, event, payload, correlation_id, created_at, next_attempt_at, subscribers)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [shopID, event.name, String(decoding: data, as: UTF8.self), context.correlationID, now, now,
                  subscribers.map(\.subscriberID).joined(separator: "\n")])
    }

    /// Whether a plugin enabled in this shop subscribes to `event`: publishing it then reaches
    /// somebody. For operations whose only effect is a delivery (a reset link by email).
    public func hasSubscribers<P>(_ event: EventHook<P>) throws -> Bool {
        try kernel.hooks.handlers(.event, event.name).contains { try isEnabled($0.pluginID) }
    }

    /// Performs another operation with this context, inside this transaction. Its
    /// permission is checked and it is audited like any other.
    public func perform(_ name: String, _ input: Value.Object = [:]) throws -> Value {
        var context = self.context
        // An integration operation called without a session has authenticated its caller
        // itself (a signature) and acts for its plugin: what it runs next (a verified payment
        // moving the order with `orders.pay`) is not refused for want of a staff role.
        if case .plugin = context.actor, kernel.operation(named: operation)?.audience == .integration {
            context.waivesPermission = true
        }
        return try kernel.perform(name, input: input, context: context, within: self)
    }

    /// A per-shop plugin setting, or its declared default.
    public func setting(plugin: String, _ key: String) throws -> Value {
        let shop = try context.requireShop()
        return try kernel.setting(plugin: plugin, key: key, shopID: shop.id, in: transaction)
    }

    func isEnabled(_ pluginID: String) throws -> Bool {
        if pluginID == "kernel" { return true }
        guard let shop = context.shop else { return true }
        return try kernel.enabledPlugins(shopID: shop.id, in: transaction).contains(pluginID)
    }
}
