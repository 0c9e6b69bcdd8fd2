import Kernel

/// Delivery methods, time slots with capacity, shipping-fee templates, carriers, shipments
/// with tracking, and packing slips. Joins checkout through the hook bus: the
/// `checkout.price` filter adds the shipping fee of the cart's `shipping_method`, and the
/// `order.placing` filter books the cart's delivery `slot` inside the order's transaction.
/// Orders are read from the Orders plugin's tables (read-only) and moved with its
/// operations (`orders.ship`, `orders.deliver`); this plugin never imports it.
public final class ShippingPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "shipping", name: "Shipping", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        dependencies: ["orders"], permissions: ShippingPermissions.all, migrations: ShippingSchema.migrations,
        summary: "delivery methods, time slots, fee templates, carriers, shipments, tracking and packing slips")

    public func register(_ registrar: PluginRegistrar) throws {
        for operation in MethodOperations.all + SlotOperations.all + TemplateOperations.all + QuoteOperations.all
            + CarrierOperations.all + ShipmentOperations.all + PackingSlipOperations.all {
            try registrar.operation(operation)
        }
        // After catalog prices (-100) and discounts (0): the fee of the chosen method.
        try registrar.filter(Hooks.checkoutPrice, priority: 100) { cart, scope in
            try CheckoutShipping.addFee(to: &cart, scope)
        }
        // Inside the checkout transaction: a full slot rolls the whole order back.
        try registrar.filter(Hooks.orderPlacing) { order, scope in
            try Slots.book(order, scope)
        }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "release-slot", when: { $0.status == .cancelled }) { event, scope in
            try Slots.release(orderNumber: event.number, scope)
        }
    }
}
