import Foundation

/// Holds the handlers of every filter, guard and event subscriber.
///
/// Handlers are typed by their hook; a hook name declared twice with different payload
/// types is refused when the second handler registers, so a typo'd or mistyped hook fails
/// loudly instead of silently never firing.
public final class HookBus: @unchecked Sendable {
    enum Kind: String { case filter, `guard`, event }

    struct Entry {
        let token: HookToken
        let pluginID: String
        let priority: Int
        /// For event subscribers: the stable id used to record delivery.
        let subscriberID: String
        let handler: Any
        /// For event subscribers: an `EventInterest<P>` saying which payloads they want
        /// (nil: all of them).
        var interest: Any? = nil

        /// Whether this subscriber wants `payload` (always true for one without interest).
        func wants<P>(_ payload: P) -> Bool {
            (interest as? EventInterest<P>)?.test(payload) ?? true
        }
    }

    private let lock = NSLock()
    private var entries: [Key: [Entry]] = [:]
    private var payloadTypes: [Key: (ObjectIdentifier, String)] = [:]
    private var nextID = 0

    init() {}

    /// A hook's kind and name. Looked up on every filter, guard and publish, so no text is
    /// built for it (it used to be the string "kind:name").
    struct Key: Hashable {
        let kind: Kind
        let name: String
        var text: String { "\(kind.rawValue):\(name)" }
    }

    private func key(_ kind: Kind, _ name: String) -> Key { Key(kind: kind, name: name) }

    /// Binds a hook name to its payload type before any plugin registers, so that a plugin
    /// registering with the wrong type is the one refused.
    func declare(_ kind: Kind, _ name: String, payload: Any.Type) {
        lock.lock()
        defer { lock.unlock() }
        payloadTypes[key(kind, name)] = (ObjectIdentifier(payload), String(reflecting: payload))
    }

    /// The hooks the kernel declares (its own and the shared commerce vocabulary).
    func declareKernelHooks() {
        declare(.filter, Hooks.shopProfile.name, payload: ShopProfile.self)
        declare(.guard, Hooks.shopWillUpdate.name, payload: ShopProfile.self)
        declare(.event, Hooks.shopCreated.name, payload: ShopEvent.self)
        declare(.event, Hooks.shopUpdated.name, payload: ShopEvent.self)
        declare(.filter, Hooks.checkoutPrice.name, payload: Cart.self)
        declare(.guard, Hooks.checkoutValidate.name, payload: Cart.self)
        declare(.filter, Hooks.orderPlacing.name, payload: OrderSnapshot.self)
        declare(.guard, Hooks.orderTransition.name, payload: OrderTransition.self)
        declare(.event, Hooks.orderPlaced.name, payload: OrderEvent.self)
        declare(.event, Hooks.orderStatusChanged.name, payload: OrderEvent.self)
        declare(.event, Hooks.afterSalesApproved.name, payload: AfterSalesEvent.self)
        declare(.event, Hooks.afterSalesChanged.name, payload: AfterSalesEvent.self)
        declare(.event, Hooks.lowStock.name, payload: StockLevel.self)
        declare(.event, Hooks.shopperSignedIn.name, payload: ShopperSignIn.self)
        declare(.event, Hooks.customerPasswordResetRequested.name, payload: PasswordResetRequest.self)
        declare(.filter, Hooks.paymentProviders.name, payload: [any PaymentProvider].self)
    }

    func reserveToken() -> HookToken {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        return HookToken(id: nextID)
    }

    func add(token: HookToken, kind: Kind, name: String, payload: Any.Type, pluginID: String, priority: Int,
             subscriberID: String = "", interest: Any? = nil, handler: Any) throws {
        lock.lock()
        defer { lock.unlock() }
        let hookKey = key(kind, name)
        let typeID = ObjectIdentifier(payload)
        if let (known, knownName) = payloadTypes[hookKey], known != typeID {
            throw KernelError(.conflict,
                "\(kind.rawValue) hook '\(name)' is declared with payload \(knownName) but plugin '\(pluginID)' registers a handler for \(String(reflecting: payload))")
        }
        if kind == .event, entries[hookKey, default: []].contains(where: { $0.subscriberID == subscriberID }) {
            throw KernelError(.conflict, "event '\(name)' already has a subscriber named '\(subscriberID)'")
        }
        payloadTypes[hookKey] = (typeID, String(reflecting: payload))
        entries[hookKey, default: []].append(
            Entry(token: token, pluginID: pluginID, priority: priority, subscriberID: subscriberID, handler: handler,
                  interest: interest))
        // Stable sort: priority first, registration order among equals.
        entries[hookKey] = entries[hookKey]!.enumerated()
            .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
            .map(\.element)
    }

    /// Removes a handler. Returns false when the token was already removed.
    @discardableResult
    public func remove(_ token: HookToken) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        for (hookKey, list) in entries {
            if let index = list.firstIndex(where: { $0.token == token }) {
                entries[hookKey]!.remove(at: index)
                return true
            }
        }
        return false
    }

    func handlers(_ kind: Kind, _ name: String) -> [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return entries[key(kind, name)] ?? []
    }

    /// Every registered hook name by kind, for `plugin list` and the catalogue.
    func registrations(of pluginID: String) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return entries.flatMap { hookKey, list in
            list.filter { $0.pluginID == pluginID }.map { _ in hookKey.text }
        }.sorted()
    }
}

typealias FilterHandler<V> = @Sendable (inout V, OperationScope) throws -> Void
typealias GuardHandler<S> = @Sendable (S, OperationScope) throws -> GuardVerdict
typealias EventHandler = @Sendable (String, OperationScope) throws -> Void

/// A subscriber's test of which payloads it wants, kept typed so that the publisher (which
/// has the payload) can ask it before anything is written.
final class EventInterest<P>: @unchecked Sendable {
    let test: @Sendable (P) -> Bool
    init(_ test: @escaping @Sendable (P) -> Bool) { self.test = test }
}
