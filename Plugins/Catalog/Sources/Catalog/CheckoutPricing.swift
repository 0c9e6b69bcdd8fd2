import Kernel

/// The `checkout.price` filter: prices each cart line from its SKU, in the cart's currency.
enum CheckoutPricing {
    /// One indexed lookup per line; the connection caches the prepared statement.
    static let lookup = """
        SELECT s.price, s.currency, s.weight_grams, s.volume_cm3, p.id AS product_id, p.title, p.listed, p.list_at, p.unlist_at
        FROM catalog_skus s JOIN catalog_products p ON p.id = s.product_id
        WHERE s.shop_id = :shop AND s.code = :code
        """

    static func price(_ cart: inout Cart, _ scope: OperationScope) throws {
        let db = try scope.db
        let now = scope.now
        for index in cart.lines.indices {
            let line = cart.lines[index]
            guard line.quantity >= 1 else {
                throw KernelError.invalid("quantity", "quantity of SKU \(line.sku) must be at least 1, got \(line.quantity)")
            }
            guard let row = try db.query(lookup, values: ["code": .text(line.sku)]).first else {
                throw KernelError.invalid("sku", "unknown SKU '\(line.sku)'")
            }
            let title = try row.string("title")
            let listed = Product.isListed(listed: try row.bool("listed"), listAt: try row.optionalInt("list_at").map(Int64.init),
                                          unlistAt: try row.optionalInt("unlist_at").map(Int64.init), at: now)
            guard listed else { throw KernelError.invalid("sku", "product '\(title)' (SKU \(line.sku)) is not listed") }
            let currency = try row.string("currency")
            guard currency == cart.currency.code else {
                throw KernelError.invalid("sku", "SKU \(line.sku) is priced in \(currency) but the cart is in \(cart.currency.code)")
            }
            cart.lines[index].title = title
            cart.lines[index].productID = try row.int64("product_id")
            cart.lines[index].unitPrice = Money(minorUnits: try row.int64("price"), currency: cart.currency)
            cart.lines[index].weightGrams = try row.int64("weight_grams")
            cart.lines[index].volumeCm3 = try row.int64("volume_cm3")
        }
    }
}
