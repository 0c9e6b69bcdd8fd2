import Kernel

/// Customer accounts per shop: contact details, addresses, member levels, groups, messages
/// with staff replies, and an append-only points ledger that never goes below zero. Vetoes
/// checkout for a customer id the shop does not know.
public final class CustomersPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "customers", name: "Customers", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        permissions: CustomersPermissions.all, migrations: CustomersSchema.migrations,
        summary: "customer accounts, addresses, levels, groups, messages and points")

    public func register(_ registrar: PluginRegistrar) throws {
        for operation in CustomerOperations.all + AddressOperations.all + GroupOperations.all + MessageOperations.all
            + PointsOperations.all + StorefrontAccountOperations.all + PasswordResetOperations.all {
            try registrar.operation(operation)
        }
        // Inside the checkout transaction: an order may only name a customer of this shop.
        try registrar.guard(Hooks.checkoutValidate) { cart, scope in
            guard let id = cart.customerID else { return .allow }
            return try Customer.exists(id, scope) ? .allow : .veto("unknown customer \(id)")
        }
    }
}
