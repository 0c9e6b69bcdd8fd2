import Kernel

/// One row of `catalog_products`, decoded.
struct Product {
    let id: Int64
    var handle: String
    var title: String
    var description: String
    var keywords: [String]
    var images: [String]
    var attributes: Value.Object
    var listed: Bool
    var listAt: Int64?
    var unlistAt: Int64?
    let createdAt: Int64
    var updatedAt: Int64

    static let columns = """
        id, handle, title, description, keywords, images, attributes, listed, list_at, unlist_at, created_at, updated_at
        """

    init(row: Row) throws {
        id = try row.int64("id")
        handle = try row.string("handle")
        title = try row.string("title")
        description = try row.string("description")
        keywords = try JSON.decode(try row.string("keywords")).arrayValue?.compactMap(\.stringValue) ?? []
        images = try JSON.decode(try row.string("images")).arrayValue?.compactMap(\.stringValue) ?? []
        attributes = try JSON.decode(try row.string("attributes")).objectValue ?? [:]
        listed = try row.bool("listed")
        listAt = try row.optionalInt("list_at").map(Int64.init)
        unlistAt = try row.optionalInt("unlist_at").map(Int64.init)
        createdAt = try row.int64("created_at")
        updatedAt = try row.int64("updated_at")
    }

    /// Listed, and inside its listing window when it has one.
    func isListed(at now: Int64) -> Bool {
        Product.isListed(listed: listed, listAt: listAt, unlistAt: unlistAt, at: now)
    }

    /// When "listed now" next flips by the clock alone (a scheduled start or end), if ever.
    func nextListingChange(after now: Int64) -> Int64? {
        [listAt, unlistAt].compactMap { $0 }.filter { $0 > now }.min()
    }

    static func isListed(listed: Bool, listAt: Int64?, unlistAt: Int64?, at now: Int64) -> Bool {
        listed && (listAt.map { $0 <= now } ?? true) && (unlistAt.map { now < $0 } ?? true)
    }

    /// The same rule in SQL, for a products table aliased `p` and a `:now` parameter.
    static let listedNowSQL = "(p.listed = 1 AND (p.list_at IS NULL OR p.list_at <= :now) AND (p.unlist_at IS NULL OR :now < p.unlist_at))"

    static func time(_ millis: Int64?) -> Value { millis.map { .string(Validation.isoString(millis: $0)) } ?? .null }

    /// What lists show.
    func summary(now: Int64) -> Value {
        ["id": .int(id), "handle": .string(handle), "title": .string(title), "keywords": .array(keywords.map(Value.string)),
         "listed": .bool(listed), "listed_now": .bool(isListed(at: now)), "list_at": Product.time(listAt),
         "unlist_at": Product.time(unlistAt)]
    }

    /// Every stored field.
    func fields(now: Int64) -> Value.Object {
        ["id": .int(id), "handle": .string(handle), "title": .string(title), "description": .string(description),
         "keywords": .array(keywords.map(Value.string)), "images": .array(images.map(Value.string)),
         "attributes": .object(attributes), "listed": .bool(listed), "listed_now": .bool(isListed(at: now)),
         "list_at": Product.time(listAt), "unlist_at": Product.time(unlistAt),
         "created_at": .string(Validation.isoString(millis: createdAt)), "updated_at": .string(Validation.isoString(millis: updatedAt))]
    }
}

/// Finding products and showing them whole.
enum Products {
    static func byID(_ id: Int64, _ db: ShopDatabase) throws -> Product? {
        try db.query("SELECT \(Product.columns) FROM catalog_products WHERE shop_id = :shop AND id = :id", ["id": id])
            .first.map(Product.init)
    }

    static func byHandle(_ handle: String, _ db: ShopDatabase) throws -> Product? {
        try db.query("SELECT \(Product.columns) FROM catalog_products WHERE shop_id = :shop AND handle = :handle", ["handle": handle])
            .first.map(Product.init)
    }

    /// A product named by a reference field holding its id or its handle (handles start
    /// with a letter, so the two never clash).
    static func resolve(reference: String, field: String = "product", _ db: ShopDatabase) throws -> Product {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        let found: Product?
        if let id = Int64(reference) {
            found = try byID(id, db)
        } else {
            found = try byHandle(reference, db)
        }
        guard let found else { throw KernelError(.notFound, "no product '\(reference)' in this shop", field: field) }
        return found
    }

    /// The product named by the `id` or `handle` field of the operation.
    static func resolve(_ scope: OperationScope) throws -> Product {
        let input = scope.input
        let db = try scope.db
        switch (input.optionalInt("id"), input.optionalString("handle")) {
        case (let id?, nil):
            guard let product = try byID(id, db) else { throw KernelError(.notFound, "no product \(id) in this shop", field: "id") }
            return product
        case (nil, let handle?):
            guard let product = try byHandle(handle, db) else {
                throw KernelError(.notFound, "no product with handle '\(handle)' in this shop", field: "handle")
            }
            return product
        case (nil, nil):
            throw KernelError.invalid("id", "name the product with --id or --handle")
        default:
            throw KernelError.invalid("id", "name the product with --id or --handle, not both")
        }
    }

    static let referenceFields = [
        Field("id", .int, help: "the product's id"),
        Field("handle", .code, help: "the product's handle (instead of --id)"),
    ]

    /// The product with its SKUs, categories, tags and average rating.
    static func detail(_ product: Product, _ scope: OperationScope) throws -> Value {
        let db = try scope.db
        var object = product.fields(now: scope.now)
        let skus = try db.query("SELECT \(SKU.columns) FROM catalog_skus WHERE shop_id = :shop AND product_id = :product ORDER BY code",
                                ["product": product.id])
        object["skus"] = .array(try skus.map { try SKU(row: $0).value() })
        let categoryIDs = try db.query("""
            SELECT category_id FROM catalog_product_categories WHERE shop_id = :shop AND product_id = :product
            """, ["product": product.id]).map { try $0.int64("category_id") }
        // The whole tree is read only when there are paths to show.
        if categoryIDs.isEmpty {
            object["categories"] = []
        } else {
            let tree = try CategoryTree.load(db)
            object["categories"] = .array(categoryIDs.compactMap { tree.nodes[$0] }.sorted { tree.path($0.id) < tree.path($1.id) }.map {
                ["id": .int($0.id), "name": .string($0.name), "path": .string(tree.path($0.id))]
            })
        }
        object["tags"] = .array(try tags(of: product.id, db).map(Value.string))
        object["rating"] = try rating(of: product.id, db)
        return .object(object)
    }

    /// The next moment any product of the shop starts or stops being listed by its
    /// schedule: until then, which products are "listed now" changes only by writes.
    static func nextListingChange(after now: Int64, _ db: ShopDatabase) throws -> Int64? {
        try db.query("""
            SELECT MIN(t) AS next FROM (
                SELECT list_at AS t FROM catalog_products WHERE shop_id = :shop AND list_at > :now
                UNION ALL
                SELECT unlist_at AS t FROM catalog_products WHERE shop_id = :shop AND unlist_at > :now)
            """, ["now": now]).first?.optionalInt("next").map(Int64.init)
    }

    static func tags(of productID: Int64, _ db: ShopDatabase) throws -> [String] {
        try db.query("SELECT tag FROM catalog_product_tags WHERE shop_id = :shop AND product_id = :product ORDER BY tag",
                     ["product": productID]).map { try $0.string("tag") }
    }

    /// The average of approved reviews, to one decimal ("4.3"), and how many there are.
    static func rating(of productID: Int64, _ db: ShopDatabase) throws -> Value {
        let row = try db.query("""
            SELECT COUNT(*) AS n, COALESCE(SUM(rating), 0) AS total FROM catalog_reviews
            WHERE shop_id = :shop AND product_id = :product AND status = 'approved'
            """, ["product": productID])[0]
        let count = try row.int64("n"), total = try row.int64("total")
        guard count > 0 else { return ["average": .null, "approved_reviews": 0] }
        let tenths = (total * 20 + count) / (2 * count)  // rounded half up
        return ["average": .string("\(tenths / 10).\(tenths % 10)"), "approved_reviews": .int(count)]
    }

    static func announce(_ product: Product, _ scope: OperationScope) throws {
        try scope.publish(CatalogEvents.productChanged, ProductChanged(productID: product.id, handle: product.handle, listed: product.listed))
    }
}
