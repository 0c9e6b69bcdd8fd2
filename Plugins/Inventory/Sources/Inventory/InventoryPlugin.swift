import Kernel

/// Stock per SKU per location, reservations at checkout, movements with reasons,
/// stocktaking, transfers, replenishment and analysis. Never oversells: every decrement is a
/// conditional UPDATE inside the order's transaction.
public final class InventoryPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "inventory", name: "Inventory", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        dependencies: ["orders"], permissions: InventoryPermissions.all, migrations: InventorySchema.migrations,
        settings: [SettingSpec("reservation_minutes", .int, default: 30, help: "how long checkout holds stock for an unpaid order")],
        summary: "stock, reservations, movements, stocktaking, transfers, replenishment")

    public func register(_ registrar: PluginRegistrar) throws {
        for operation in StockOperations.all + StocktakeOperations.all + InsightOperations.all + ReservationOperations.all {
            try registrar.operation(operation)
        }
        // Unpaid orders give their stock back when the hold ends, without anyone running
        // `inventory reservations expire` by hand (hosts that stay up run due jobs).
        try registrar.schedule("inventory.reservations.expire", everySeconds: 60)
        // Inside the checkout transaction: hold the stock of an order that waits for payment,
        // sell it at once for one paid while placed, or fail the whole order.
        try registrar.filter(Hooks.orderPlacing) { order, scope in
            if order.status == .paid {
                try CheckoutSale.sell(order, scope)
            } else {
                try Reservations.reserve(order, scope)
            }
        }
        try registrar.subscribe(Hooks.orderStatusChanged, name: "settle-reservations",
                                when: { $0.status == .paid || $0.status == .cancelled }) { event, scope in
            switch event.status {
            case .paid: try Reservations.commit(orderNumber: event.number, scope)
            case .cancelled:
                try Reservations.release(orderNumber: event.number, restock: true, scope)
                // Paid while placed: sold with no reservation, so restocked from its sale.
                try CheckoutSale.restock(orderNumber: event.number, orderID: event.orderID, scope)
            default: break
            }
        }
        try registrar.subscribe(Hooks.afterSalesApproved, name: "restock-returns",
                                when: { !$0.returnedLines.isEmpty || !$0.replacementLines.isEmpty }) { event, scope in
            let location = try Locations.defaultLocation(scope)
            let reason = "\(event.kind.rawValue) \(event.requestID) of \(event.orderNumber)"
            for line in event.returnedLines where line.quantity > 0 {
                try Stock.move(sku: line.sku, location: location, onHand: line.quantity, kind: "returned", reason: reason,
                               order: event.orderNumber, scope)
            }
            // An exchange sends replacement units out; if they are not in stock the delivery
            // fails and is retried (visible in `souk outbox list`) until stock arrives.
            for line in event.replacementLines where line.quantity > 0 {
                try Stock.move(sku: line.sku, location: location, onHand: -line.quantity, kind: "exchange_out", reason: reason,
                               order: event.orderNumber, scope)
            }
        }
    }
}
