import Kernel

/// The `checkout.price` filter: prices each cart line from its SKU, in the cart's currency.
enum CheckoutPricing {
    /// One indexed lookup per line; the connection caches the prepared statement.
    static let lookup = """
        SELECT s.price, s.currency, s.weight_grams, s.volume_cm3, p.id AS product_id, p.title, p.listed, p.list_at, p.unlist_at
        FROM catalog_skus s JOIN catalog_products p ON p.id = s.product_id
        WHERE s.shop_id = :shop AND s.code = :code
        """

    /// What pricing needs of one SKU, as stored (listing windows are checked at use).
    struct PricedSKU: Sendable {
        let price: Int64
        let currency: String
        let weightGrams: Int64
        let volumeCm3: Int64
        let productID: Int64
        let title: String
        let listed: Bool
        let listAt: Int64?
        let unlistAt: Int64?

        init(_ row: Row) throws {
            price = try row.int64("price")
            currency = try row.string("currency")
            weightGrams = try row.int64("weight_grams")
            volumeCm3 = try row.int64("volume_cm3")
            productID = try row.int64("product_id")
            title = try row.string("title")
            listed = try row.bool("listed")
            listAt = try row.optionalInt("list_at").map(Int64.init)
            unlistAt = try row.optionalInt("unlist_at").map(Int64.init)
        }
    }

    static func price(_ cart: inout Cart, _ scope: OperationScope) throws {
        let db = try scope.db
        let now = scope.now
        for index in cart.lines.indices {
            let line = cart.lines[index]
            guard line.quantity >= 1 else {
                throw KernelError.invalid("quantity", "quantity of SKU \(line.sku) must be at least 1, got \(line.quantity)")
            }
            // Kept by the writer's memo across checkouts until the catalog's tables change.
            let found = try db.remembered("catalog.sku:" + line.sku) {
                try db.query(lookup, values: ["code": .text(line.sku)]).first.map(PricedSKU.init)
            }
            guard let sku = found else {
                throw KernelError.invalid("sku", "unknown SKU '\(line.sku)'")
            }
            let listed = Product.isListed(listed: sku.listed, listAt: sku.listAt, unlistAt: sku.unlistAt, at: now)
            guard listed else { throw KernelError.invalid("sku", "product '\(sku.title)' (SKU \(line.sku)) is not listed") }
            guard sku.currency == cart.currency.code else {
                throw KernelError.invalid("sku", "SKU \(line.sku) is priced in \(sku.currency) but the cart is in \(cart.currency.code)")
            }
            cart.lines[index].title = sku.title
            cart.lines[index].productID = sku.productID
            cart.lines[index].unitPrice = Money(minorUnits: sku.price, currency: cart.currency)
            cart.lines[index].weightGrams = sku.weightGrams
            cart.lines[index].volumeCm3 = sku.volumeCm3
        }
    }
}
