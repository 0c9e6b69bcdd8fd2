import Kernel

/// What shoppers see of the catalog: products listed now that have at least one SKU, with
/// their prices. Drafts, unlisted or scheduled products are unknown to the storefront, and
/// staff-only fields (listing flags and schedule, keywords, barcodes, timestamps) are left out.
enum StorefrontOperations {
    static let all = [list, show]

    /// Listed now and buyable.
    static let visibleSQL = Product.listedNowSQL
        + " AND EXISTS (SELECT 1 FROM catalog_skus s WHERE s.shop_id = :shop AND s.product_id = p.id)"

    static let list = OperationSpec(
        name: "storefront.products.list", summary: "Browse the products on sale, in id order, a page at a time",
        fields: [
            Field("q", help: "text found in the title or a keyword (any case)"),
            Field("category", .int, help: "only products in this category or a category below it"),
            Field("tag", .code, help: "only products with this tag"),
            Field("cursor", .int, help: "continue after this product id (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-100 (default 24)"),
        ],
        permission: ShopperPermission.browse, mutates: false, audience: .shopper
    ) { scope in
        let limit = try scope.input.limit(default: 24, max: 100)
        // What is on sale changes by writes, and by the clock at the next scheduled listing
        // change of any product: reusable until then.
        scope.answerIsReusable(until: try Products.nextListingChange(after: scope.now, try scope.db))
        var search = try ProductSearch(scope)
        search.conditions.append(visibleSQL)
        search.parameters["now"] = scope.now
        let (page, next) = try search.page(scope, limit: limit)
        let db = try scope.db
        return ["items": .array(try page.map { product in
            let prices = try db.query("SELECT price, currency FROM catalog_skus WHERE shop_id = :shop AND product_id = :product ORDER BY price, code",
                                      ["product": product.id])
            let from = try prices.first.map { try Money(try $0.int64("price"), try $0.string("currency")) }
            return ["id": .int(product.id), "handle": .string(product.handle), "title": .string(product.title),
                    "image": Value(product.images.first), "price": from?.value ?? .null,
                    "currency": Value(from?.currency.code), "price_varies": .bool(Set(try prices.map { try $0.int64("price") }).count > 1)]
        }), "next_cursor": next]
    }

    static let show = OperationSpec(
        name: "storefront.products.show", summary: "Show a product on sale with its SKUs and prices",
        fields: [Field("product", required: true, help: "the product's id or handle", positional: true)],
        permission: ShopperPermission.browse, mutates: false, audience: .shopper
    ) { scope in
        let reference = try scope.input.string("product").trimmingCharacters(in: .whitespaces)
        let db = try scope.db
        // Unknown and not on sale get the same answer.
        let notFound = KernelError(.notFound, "no product '\(reference)' in this shop", field: "product")
        guard let product = try? Products.resolve(reference: reference, db) else { throw notFound }
        guard !(try db.query("SELECT 1 FROM catalog_products p WHERE p.shop_id = :shop AND p.id = :id AND " + visibleSQL,
                             ["id": product.id, "now": scope.now]).isEmpty) else { throw notFound }
        // On sale until its listing window (if any) closes; the rest changes only by writes.
        scope.answerIsReusable(until: product.nextListingChange(after: scope.now))
        let detail = try Products.detail(product, scope)
        var object = Value.Object()
        for key in ["id", "handle", "title", "description", "images", "attributes", "categories", "tags", "rating"] {
            object[key] = detail[key] ?? .null
        }
        object["skus"] = .array((detail["skus"]?.arrayValue ?? []).map { sku in
            ["code": sku["code"] ?? .null, "price": sku["price"] ?? .null]
        })
        return .object(object)
    }
}
