import Foundation

/// Everything an operation runs with: the shop, the actor and what they may do, ids that
/// tie the work together in the audit log, and the clock.
public struct OperationContext: Sendable {
    /// The shop the operation acts on; nil for platform operations.
    public var shop: ShopRef?
    public var actor: Actor
    /// The actor's permissions in `shop` (for platform operations: platform permissions).
    public var permissions: Set<Permission>
    /// True for the installation's operators, who hold every permission in every shop.
    public var isOperator: Bool
    /// Ties together the audit entries and events of one request.
    public var correlationID: String
    /// When set, a mutation performed twice with the same key returns the first result.
    public var idempotencyKey: String?
    public var clock: any WallClock
    /// The storefront session of a customer or guest actor (sign-out ends it).
    public var shopperSessionID: Int64?
    /// Set only by `OperationScope.performForShopper`: a storefront operation has decided
    /// the shopper may have this done, so the nested operation's permission is waived.
    var waivesPermission = false

    public init(shop: ShopRef? = nil, actor: Actor, permissions: Set<Permission> = [], isOperator: Bool = false,
                correlationID: String = SecureRandom.token(prefix: "req_", byteCount: 8),
                idempotencyKey: String? = nil, clock: any WallClock = SystemClock()) {
        self.shop = shop
        self.actor = actor
        self.permissions = permissions
        self.isOperator = isOperator
        self.correlationID = correlationID
        self.idempotencyKey = idempotencyKey
        self.clock = clock
    }

    public func holds(_ permission: Permission) -> Bool {
        isOperator || waivesPermission || permissions.contains(permission)
    }

    /// The shop, or an `invalid_input` error naming the missing `shop` field.
    public func requireShop() throws -> ShopRef {
        guard let shop else { throw KernelError.invalid("shop", "this operation needs a shop (--shop CODE)") }
        return shop
    }
}

/// The identity of a shop as carried in a context.
public struct ShopRef: Sendable, Equatable, Hashable {
    public let id: Int64
    public let code: String
    public let currency: String

    public init(id: Int64, code: String, currency: String) {
        self.id = id
        self.code = code
        self.currency = currency
    }
}
