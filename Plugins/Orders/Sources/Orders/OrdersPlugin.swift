import Kernel

/// Carts, checkout, the order state machine and after-sales. Checkout is a pipeline over
/// the hook bus: `checkout.price` filters, `checkout.validate` guards, then one transaction
/// that writes the order, its lines, its totals breakdown, the `order.placing` rows of other
/// plugins, the `order.placed` event and the audit entry — or nothing.
public final class OrdersPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "orders", name: "Orders", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        permissions: OrdersPermissions.all, migrations: OrdersSchema.migrations,
        summary: "carts, checkout, order states, refunds, returns and exchanges")

    public func register(_ registrar: PluginRegistrar) throws {
        for operation in CartOperations.all + OrderOperations.all + TransitionOperations.all + AfterSalesOperations.all
            + StorefrontOperations.all {
            try registrar.operation(operation)
        }
        // A guest who signs in or registers keeps their open carts.
        try registrar.subscribe(Hooks.shopperSignedIn, name: "adopt-guest-carts", when: { $0.guestSession != nil }) { event, scope in
            try StorefrontOperations.adoptGuestCarts(event, scope)
        }
    }
}
