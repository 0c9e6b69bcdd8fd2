import Kernel

/// Gift wrapping: shops set a fee; staff record wrap requests for orders; a subscriber
/// queues each request for the packing desk. It shows every extension point a plugin has:
/// a migration, permissions, a setting, a filter, an event and its subscriber, operations.
public final class GiftWrapPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "giftwrap", name: "Gift wrapping", version: SemanticVersion(1, 0, 0),
        kernel: .compatible(with: Kernel.version),
        permissions: [
            PermissionSpec("giftwrap.read", "See gift-wrap requests", roles: [.manager, .clerk, .warehouse, .auditor]),
            PermissionSpec("giftwrap.write", "Record gift-wrap requests", roles: [.manager, .clerk]),
        ],
        migrations: GiftWrapSchema.migrations,
        settings: [SettingSpec("fee", .int, default: 250, help: "wrapping fee in the shop's minor units (250 = 2.50 EUR)")],
        summary: "gift wrapping with a per-shop fee")

    public func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(GiftWrapOperations.request)
        try registrar.operation(GiftWrapOperations.list)
        // Checkout: a cart that asks for wrapping (attribute gift_wrap=yes) pays the shop's fee.
        // Priority 50: after the catalog prices the lines (-100), before shipping (100).
        try registrar.filter(Hooks.checkoutPrice, priority: 50) { cart, scope in
            guard cart.attributes["gift_wrap"] == "yes" else { return }
            let fee = try scope.setting(plugin: "giftwrap", "fee").intValue ?? 0
            cart.adjustments.append(Adjustment(kind: .fee, code: "giftwrap", label: "Gift wrapping",
                                               amount: Money(minorUnits: fee, currency: cart.currency)))
        }
        // Inside the order's transaction: record the wrap with the order, or neither.
        try registrar.filter(Hooks.orderPlacing) { order, scope in
            guard order.attributes["gift_wrap"] == "yes" else { return }
            let fee = order.adjustments.first { $0.code == "giftwrap" }?.amount.minorUnits ?? 0
            try GiftWrapOperations.record(order: order.number, note: order.attributes["gift_note"] ?? "", fee: fee, scope)
        }
        // Advertise the service on the shop profile: a filter on the kernel's `shop.profile` hook.
        try registrar.filter(Hooks.shopProfile, priority: 100) { profile, _ in
            let note = "Gift wrapping available."
            if !(profile.description ?? "").contains(note) {
                profile.description = [profile.description, note].compactMap { $0 }.joined(separator: " ")
            }
        }
        // Runs after the request commits; its write and its delivery record commit together.
        try registrar.subscribe(GiftWrapEvents.requested, name: "queue") { event, scope in
            try scope.db.execute("UPDATE giftwrap_wraps SET status = 'queued' WHERE shop_id = :shop AND id = :id", ["id": event.wrapID])
        }
    }
}
