/// A hook that passes a value through every handler in priority order (lower first, then
/// registration order); each handler may change it. Prices, quotes and scores are filters.
///
/// Declare a hook once, where the code that fires it lives, and document it there:
/// ```swift
/// extension Hooks {
///     /// Fired by `shop.update` with the profile about to be saved.
///     public static let shopProfile = FilterHook<ShopProfile>("shop.profile")
/// }
/// ```
public struct FilterHook<Value: Sendable>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// A hook whose handlers may veto an action with a reason (stock, risk, payment rules).
public struct GuardHook<Subject: Sendable>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// An event: published inside the transaction into the outbox, delivered to subscribers
/// after commit, retried until each subscriber has taken it.
public struct EventHook<Payload: Codable & Sendable>: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// What a guard handler answers.
public enum GuardVerdict: Sendable, Equatable {
    case allow
    case veto(String)
}

/// Returned by every registration; hand it to `HookBus.remove` to take the handler away.
public struct HookToken: Hashable, Sendable {
    let id: Int
}

/// The namespace where the kernel declares its own hooks: shop hooks in
/// `Operations/BuiltIn/ShopOperations.swift`, checkout and order hooks in `Commerce/CommerceHooks.swift`.
public enum Hooks {}
