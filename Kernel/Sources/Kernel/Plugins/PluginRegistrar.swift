import Foundation

/// Handed to `Plugin.register`. Registrations are staged and become visible only if
/// `register` returns without throwing: a plugin whose init fails leaves nothing behind.
/// After start-up the registrar is sealed and every call throws `registry_sealed`.
public final class PluginRegistrar: @unchecked Sendable {
    public let pluginID: String
    let bus: HookBus
    var operations: [OperationSpec] = []
    var hookAdds: [(HookBus) throws -> Void] = []
    var reservedTokens: [HookToken] = []
    var schedules: [ScheduledJob] = []
    var hookCount: Int { hookAdds.count }
    var sealed = false

    init(pluginID: String, bus: HookBus) {
        self.pluginID = pluginID
        self.bus = bus
    }

    private func checkOpen() throws {
        if sealed {
            throw KernelError(.registrySealed, "plugin '\(pluginID)' tried to register after start-up; register everything inside register(_:)")
        }
    }

    /// Asks hosts that stay up (`souk serve`) to run one of this plugin's operations in every
    /// shop where the plugin is enabled, every `seconds` seconds: housekeeping such as
    /// expiring stock holds. The operation must act on a shop, change state and take no
    /// required input. It runs as the kernel's `system` actor and is audited like any run.
    ///
    /// ```swift
    /// try registrar.schedule("giftwrap.expire", everySeconds: 300)
    /// ```
    public func schedule(_ operation: String, everySeconds seconds: Int) throws {
        try checkOpen()
        guard seconds >= 1 else {
            throw KernelError(.pluginRefused, "plugin '\(pluginID)': schedule of '\(operation)' needs at least 1 second between runs")
        }
        schedules.append(ScheduledJob(operation: operation, pluginID: pluginID, intervalMillis: Int64(seconds) * 1000))
    }

    /// Adds an operation. Its name must start with a group (`giftwrap.list`).
    public func operation(_ operation: OperationSpec) throws {
        try checkOpen()
        if operation.audience == .shopper, !operation.name.hasPrefix("storefront.") || operation.scope != .shop {
            throw KernelError(.pluginRefused,
                "plugin '\(pluginID)': shopper operation '\(operation.name)' must be named storefront.* and act on a shop")
        }
        var operation = operation
        operation.pluginID = pluginID
        operations.append(operation)
    }

    /// Adds a filter handler; lower priorities run first. The token removes it later.
    @discardableResult
    public func filter<V>(_ hook: FilterHook<V>, priority: Int = 0,
                          _ handler: @escaping @Sendable (inout V, OperationScope) throws -> Void) throws -> HookToken {
        try checkOpen()
        let id = pluginID
        let token = bus.reserveToken()
        reservedTokens.append(token)
        hookAdds.append { bus in
            try bus.add(token: token, kind: .filter, name: hook.name, payload: V.self, pluginID: id, priority: priority, handler: handler as FilterHandler<V>)
        }
        return token
    }

    /// Adds a guard handler; any handler may veto.
    @discardableResult
    public func `guard`<S>(_ hook: GuardHook<S>, priority: Int = 0,
                           _ handler: @escaping @Sendable (S, OperationScope) throws -> GuardVerdict) throws -> HookToken {
        try checkOpen()
        let id = pluginID
        let token = bus.reserveToken()
        reservedTokens.append(token)
        hookAdds.append { bus in
            try bus.add(token: token, kind: .guard, name: hook.name, payload: S.self, pluginID: id, priority: priority, handler: handler as GuardHandler<S>)
        }
        return token
    }

    /// Subscribes to an event. `name` identifies the subscriber in the delivery records
    /// and must stay stable across releases (it is how a retry knows what already ran).
    ///
    /// `when`: which events this subscriber wants, decided from the payload when the event
    /// is published. An event no enabled subscriber wants is not written to the outbox at
    /// all, and a delivery runs only the subscribers that wanted it, so an uninteresting
    /// event costs no transaction:
    ///
    /// ```swift
    /// try registrar.subscribe(Hooks.orderStatusChanged, name: "release-slot",
    ///                         when: { $0.status == .cancelled }) { event, scope in
    ///     try Slots.release(orderNumber: event.number, scope)
    /// }
    /// ```
    ///
    /// The test must depend on the payload alone (it runs inside the publisher's transaction).
    @discardableResult
    public func subscribe<P>(_ event: EventHook<P>, name: String, when interest: @escaping @Sendable (P) -> Bool,
                             _ handler: @escaping @Sendable (P, OperationScope) throws -> Void) throws -> HookToken {
        try subscribe(event, name: name, interest: interest, handler)
    }

    /// Subscribes to every event of `event`'s name.
    @discardableResult
    public func subscribe<P>(_ event: EventHook<P>, name: String,
                             _ handler: @escaping @Sendable (P, OperationScope) throws -> Void) throws -> HookToken {
        try subscribe(event, name: name, interest: nil, handler)
    }

    private func subscribe<P>(_ event: EventHook<P>, name: String, interest: (@Sendable (P) -> Bool)?,
                              _ handler: @escaping @Sendable (P, OperationScope) throws -> Void) throws -> HookToken {
        try checkOpen()
        // Outbox rows list their subscribers one per line: names are kept code-like.
        guard !name.isEmpty, name.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }) else {
            throw KernelError.invalid("name", "subscriber name '\(name)' must be lower-case letters, digits, '-' or '_'")
        }
        let id = pluginID
        let subscriber = "\(pluginID).\(name)"
        let token = bus.reserveToken()
        reservedTokens.append(token)
        hookAdds.append { bus in
            // Stored erased: delivery reads the payload back from the outbox as JSON text.
            let erased: EventHandler = { json, scope in
                let payload = try JSONDecoder().decode(P.self, from: Data(json.utf8))
                // Asked again here: rows queued before rows named their subscribers (and any
                // drift between a row and the subscribers loaded now) reach every subscriber.
                guard interest?(payload) ?? true else { return }
                try handler(payload, scope)
            }
            try bus.add(token: token, kind: .event, name: event.name, payload: P.self, pluginID: id, priority: 0,
                        subscriberID: subscriber, interest: interest.map { EventInterest<P>($0) }, handler: erased)
        }
        return token
    }
}
