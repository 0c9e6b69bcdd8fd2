/// The checkout and order-lifecycle hooks. The kernel declares them; the Orders plugin fires
/// them; any plugin (Catalog, Marketing, Shipping, Inventory, a shop's own `.so`) joins in.
extension Hooks {
    /// Filter, fired by checkout inside its transaction: price the cart. Catalog prices the
    /// lines at priority -100; discounts, shipping and fees add adjustments after it.
    public static let checkoutPrice = FilterHook<Cart>("checkout.price")
    /// Guard, fired after pricing: any plugin may veto the order (stock, risk, payment rules).
    public static let checkoutValidate = GuardHook<Cart>("checkout.validate")
    /// Filter, fired inside the checkout transaction once the order and its lines are written
    /// and before commit: write your own rows for the order (stock movements, payment
    /// records). Throwing rolls the whole order back.
    ///
    /// The snapshot's status says what the order is becoming: `pending_payment` for an order
    /// that waits for payment (hold its stock), `paid` for one paid while it is placed
    /// (`Hooks.orderPaying`; take its stock as sold). If that payment does not go through,
    /// what this filter wrote rolls back and it runs again with `pending_payment`.
    public static let orderPlacing = FilterHook<OrderSnapshot>("order.placing")
    /// Guard on every change of order state; plugins may add conditions.
    public static let orderTransition = GuardHook<OrderTransition>("order.transition")

    /// Event: an order was placed (after commit).
    public static let orderPlaced = EventHook<OrderEvent>("order.placed")
    /// Event: an order changed state (paid, shipped, delivered, completed, cancelled).
    public static let orderStatusChanged = EventHook<OrderEvent>("order.status_changed")
    /// Event: an after-sales request (refund, return, exchange) was approved. Returns carry
    /// the lines to restock.
    public static let afterSalesApproved = EventHook<AfterSalesEvent>("order.after_sales_approved")
    /// Event: an after-sales request was opened, approved or rejected (for notifications).
    public static let afterSalesChanged = EventHook<AfterSalesEvent>("order.after_sales_changed")
}

/// The payload of `Hooks.lowStock`.
public struct StockLevel: Codable, Sendable, Equatable {
    public let sku: String
    public let location: String
    public let available: Int64
    public let safetyStock: Int64

    public init(sku: String, location: String, available: Int64, safetyStock: Int64) {
        self.sku = sku
        self.location = location
        self.available = available
        self.safetyStock = safetyStock
    }
}

extension Hooks {
    /// Event: a SKU's available quantity at a location fell to its safety stock or below.
    public static let lowStock = EventHook<StockLevel>("inventory.low_stock")
}

/// The payload of `Hooks.shopperSignedIn`.
public struct ShopperSignIn: Codable, Sendable, Equatable {
    public let shopID: Int64
    /// The guest session the shopper was using when they signed in or registered, if any:
    /// what it holds (open carts) now belongs to the customer.
    public let guestSession: Int64?
    public let customerID: Int64
    /// The new customer session.
    public let session: Int64

    public init(shopID: Int64, guestSession: Int64?, customerID: Int64, session: Int64) {
        self.shopID = shopID
        self.guestSession = guestSession
        self.customerID = customerID
        self.session = session
    }
}

extension Hooks {
    /// Event: a shopper signed in to (or registered) a customer account on the storefront,
    /// published by the plugin that keeps customer accounts. Orders subscribes to hand the
    /// guest session's open carts to the customer.
    public static let shopperSignedIn = EventHook<ShopperSignIn>("shopper.signed_in")
}

/// The payload of `Hooks.customerPasswordResetRequested`. It carries no secret: the
/// one-time token is minted only when the notifier asks for it (see the hook).
public struct PasswordResetRequest: Codable, Sendable, Equatable {
    public let shopID: Int64
    public let customerID: Int64
    /// Where the link goes: the account's email address at the time of the request.
    public let email: String
    /// The reset request; the notifier passes it to the plugin's operation that mints the
    /// link's token (Customers: `customers.password.reset_token`).
    public let resetID: Int64
    /// Milliseconds since 1970; the link stops working then.
    public let expiresAt: Int64

    public init(shopID: Int64, customerID: Int64, email: String, resetID: Int64, expiresAt: Int64) {
        self.shopID = shopID
        self.customerID = customerID
        self.email = email
        self.resetID = resetID
        self.expiresAt = expiresAt
    }
}

extension Hooks {
    /// Event: a customer's password reset was requested, by staff or by the shopper on the
    /// storefront; published by the plugin that keeps customer accounts. A notifier plugin
    /// subscribes and emails the link.
    ///
    /// The payload holds no token, because outbox payloads are kept as plain JSON after
    /// delivery. The subscriber mints the token by performing the accounts plugin's minting
    /// operation with `resetID` (once per request; a retry after a rollback mints again) and
    /// gets it only in memory. The token is a password-equivalent secret: send it to
    /// `email` and nowhere else, and never log, audit, store or publish it.
    public static let customerPasswordResetRequested = EventHook<PasswordResetRequest>("customer.password_reset_requested")
}
