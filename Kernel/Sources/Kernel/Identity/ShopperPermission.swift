/// What storefront visitors may do. Shoppers hold no roles: the kernel gives each kind of
/// visitor a fixed set, and a storefront operation names the one it needs.
///
/// | visitor | permissions |
/// |---|---|
/// | anonymous (no token) | `browse` |
/// | guest (a guest session token) | `browse`, `cart` |
/// | customer (signed in) | `browse`, `cart`, `account` |
public enum ShopperPermission {
    /// See listed products, start a guest session, register, sign in.
    public static let browse: Permission = "storefront.browse"
    /// Own carts and check them out.
    public static let cart: Permission = "storefront.cart"
    /// The customer's own account: profile, addresses, orders.
    public static let account: Permission = "storefront.account"

    static let specs: [PermissionSpec] = [
        PermissionSpec(browse, "Storefront: browse listed products, register and sign in (every visitor)"),
        PermissionSpec(cart, "Storefront: build carts and check out (guests and customers)"),
        PermissionSpec(account, "Storefront: the customer's own profile and orders (signed-in customers)"),
    ]

    static let anonymous: Set<Permission> = [browse]
    static let guest: Set<Permission> = [browse, cart]
    static let customer: Set<Permission> = [browse, cart, account]
}

/// A storefront session: the token is returned once, and only its hash is stored.
public struct ShopperSession: Sendable {
    public let id: Int64
    public let token: String
    public let customerID: Int64?
    public let expiresAt: Int64

    /// How long a storefront session lives: long enough to keep a guest cart between visits.
    public static let lifetimeMillis: Int64 = 30 * 24 * 60 * 60 * 1000
    /// Storefront tokens start with this, staff tokens with `souk_`, so hosts can route them.
    public static let tokenPrefix = "shopper_"
}
