import Kernel

/// The catalog: products with scheduled listing, SKUs with prices in the shop's currency,
/// a category tree, tags, moderated reviews, CSV import and export, and the checkout's
/// line pricing (the `checkout.price` filter at priority -100).
public final class CatalogPlugin: Plugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "catalog", name: "Catalog", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
        permissions: CatalogPermissions.all, migrations: CatalogSchema.migrations,
        summary: "products, SKUs, categories, tags, reviews, CSV import/export, checkout pricing")

    public func register(_ registrar: PluginRegistrar) throws {
        let operations = ProductOperations.all + SKUOperations.all + CategoryOperations.all + TagOperations.all
            + ReviewOperations.all + ImportExportOperations.all + StorefrontOperations.all
        for operation in operations {
            try registrar.operation(operation)
        }
        // Prices every line first; discounts, shipping and fees run after it.
        try registrar.filter(Hooks.checkoutPrice, priority: -100) { cart, scope in
            try CheckoutPricing.price(&cart, scope)
        }
    }
}
