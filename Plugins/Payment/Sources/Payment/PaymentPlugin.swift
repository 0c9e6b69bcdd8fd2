import Kernel

/// Payments: per-shop payment methods, built-in providers (a deterministic card sandbox,
/// cash on delivery, bank transfer), authorization, capture, void and refund with
/// idempotency keys and an append-only attempts log, signed gateway webhooks, and a
/// reconciliation report against the Orders plugin's books.
///
/// Orders are read from the Orders plugin's `orders_orders` table (read-only) and moved
/// only through its operations (`orders.pay`, inside this plugin's transaction); this
/// plugin never imports it. Providers join through the kernel's `Hooks.paymentProviders`
/// filter, so a third-party plugin can add a gateway that the methods here then use.
///
/// Money goes back by itself when Orders cancels an order or approves a refund or return:
/// subscribers to `order.status_changed` and `order.after_sales_approved` void or refund
/// through the provider after commit, once per cancellation or request, retried by the
/// outbox while the provider declines (`Settlements.swift`; `orders_after_sales` is read,
/// never written).
///
/// Card numbers are handed to the provider and forgotten: only their last four digits are
/// kept (payment row, audit), never the number itself.
public final class PaymentPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "payment", name: "Payment", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        dependencies: ["orders"], permissions: PaymentPermissions.all, migrations: PaymentSchema.migrations,
        settings: [
            SettingSpec("webhook_secret", .string, default: "",
                        help: "shared secret of the gateway's webhook signatures (HMAC-SHA256); webhooks are refused while it is empty",
                        secret: true),
        ],
        summary: "payment methods, card sandbox, cash on delivery, bank transfer, captures, refunds, webhooks, reconciliation")

    public func register(_ registrar: PluginRegistrar) throws {
        for operation in MethodOperations.all + ChargeOperations.all + OfflineOperations.all + ReportOperations.all
            + WebhookOperations.all + StorefrontOperations.all + CheckoutOperations.all {
            try registrar.operation(operation)
        }
        try registrar.filter(Hooks.paymentProviders) { providers, _ in
            providers.append(SandboxProvider())
            providers.append(OfflineProvider.cashOnDelivery)
            providers.append(OfflineProvider.bankTransfer)
        }
        // Orders placed with `pay_with` are paid inside their own transaction.
        try PayAtPlacement.register(registrar)
        // Cancelled orders and approved refunds give the money back (after commit, retried).
        try Settlements.register(registrar)
    }
}
