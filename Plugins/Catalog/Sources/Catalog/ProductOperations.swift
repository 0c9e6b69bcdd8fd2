import Kernel

enum ProductOperations {
    static let all: [OperationSpec] = [create, update, show, list, publish, unpublish, schedule]

    static let create = OperationSpec(
        name: "catalog.product.create", summary: "Create a product (a draft unless --listed)",
        fields: [
            Field("handle", .code, required: true, help: "unique code of the product in the shop, used by CSV import (e.g. green-tea)"),
            Field("title", required: true, help: "the name shoppers see"),
            Field("description", help: "longer text about the product"),
            Field("keywords", .list, help: "search words"),
            Field("images", .list, help: "image URLs (http or https)"),
            Field("attributes", .list, help: "key=value pairs, e.g. colour=green,origin=Japan"),
            Field("listed", .bool, help: "list it at once (default: false, a draft)"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let handle = try CatalogRules.handle(try input.string("handle"))
        let title = try CatalogRules.title(try input.string("title"))
        let description = try CatalogRules.description(input.optionalString("description") ?? "")
        let keywords = try CatalogRules.keywords(input.list("keywords"))
        let images = try CatalogRules.images(input.list("images"))
        let attributes = try CatalogRules.attributes(input.list("attributes"))
        let listed = input.bool("listed")
        let db = try scope.db
        if let existing = try Products.byHandle(handle, db) {
            throw KernelError(.conflict, "a product with handle '\(handle)' already exists (id \(existing.id))", field: "handle")
        }
        try db.execute("""
            INSERT INTO catalog_products (shop_id, handle, title, description, keywords, images, attributes, listed, created_at, updated_at)
            VALUES (:shop, :handle, :title, :description, :keywords, :images, :attributes, :listed, :now, :now)
            """, ["handle": handle, "title": title, "description": description, "keywords": JSON.encode(.array(keywords.map(Value.string))),
                  "images": JSON.encode(.array(images.map(Value.string))), "attributes": JSON.encode(.object(attributes)),
                  "listed": listed, "now": scope.now])
        let product = try Products.byID(db.lastInsertRowID, db)!
        try Products.announce(product, scope)
        scope.audit(entity: "product:\(product.id)", change: ["created": .string(handle), "title": .string(title), "listed": .bool(listed)])
        return try Products.detail(product, scope)
    }

    static let update = OperationSpec(
        name: "catalog.product.update", summary: "Change a product's handle, title, description, keywords, images or attributes",
        fields: Products.referenceFields + [
            Field("new_handle", .code, help: "rename the handle (CSV imports match rows by handle)"),
            Field("title", help: "the name shoppers see"),
            Field("description", help: "longer text (empty clears it)"),
            Field("keywords", .list, help: "search words (replace the current ones; empty clears them)"),
            Field("images", .list, help: "image URLs (replace the current ones; empty clears them)"),
            Field("attributes", .list, help: "key=value pairs (replace the current ones; empty clears them)"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let updatable = ["new_handle", "title", "description", "keywords", "images", "attributes"]
        guard updatable.contains(where: input.has) else {
            throw KernelError(.invalidInput, "nothing to update: give at least one of \(updatable.joined(separator: ", "))")
        }
        var product = try Products.resolve(scope)
        let before = product
        let db = try scope.db
        var change = Value.Object()
        func changed(_ field: String, _ from: Value, _ to: Value) {
            if from != to { change[field] = ["from": from, "to": to] }
        }
        if let text = input.optionalString("new_handle") {
            let handle = try CatalogRules.handle(text)
            if handle != product.handle, let other = try Products.byHandle(handle, db) {
                throw KernelError(.conflict, "a product with handle '\(handle)' already exists (id \(other.id))", field: "new_handle")
            }
            product.handle = handle
        }
        if let text = input.optionalString("title") { product.title = try CatalogRules.title(text) }
        if let text = input.optionalString("description") { product.description = try CatalogRules.description(text) }
        if input.has("keywords") { product.keywords = try CatalogRules.keywords(input.list("keywords")) }
        if input.has("images") { product.images = try CatalogRules.images(input.list("images")) }
        if input.has("attributes") { product.attributes = try CatalogRules.attributes(input.list("attributes")) }
        changed("handle", .string(before.handle), .string(product.handle))
        changed("title", .string(before.title), .string(product.title))
        changed("description", .string(before.description), .string(product.description))
        changed("keywords", .array(before.keywords.map(Value.string)), .array(product.keywords.map(Value.string)))
        changed("images", .array(before.images.map(Value.string)), .array(product.images.map(Value.string)))
        changed("attributes", .object(before.attributes), .object(product.attributes))
        try db.execute("""
            UPDATE catalog_products SET handle = :handle, title = :title, description = :description, keywords = :keywords,
                images = :images, attributes = :attributes, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["id": product.id, "handle": product.handle, "title": product.title, "description": product.description,
                  "keywords": JSON.encode(.array(product.keywords.map(Value.string))),
                  "images": JSON.encode(.array(product.images.map(Value.string))),
                  "attributes": JSON.encode(.object(product.attributes)), "now": scope.now])
        product.updatedAt = scope.now
        try Products.announce(product, scope)
        scope.audit(entity: "product:\(product.id)", change: change.isEmpty ? ["unchanged": .string(product.handle)] : .object(change))
        return try Products.detail(product, scope)
    }

    static let show = OperationSpec(
        name: "catalog.product.show", summary: "Show a product with its SKUs, categories, tags and average rating",
        fields: Products.referenceFields, permission: "catalog.read", mutates: false
    ) { scope in
        let product = try Products.resolve(scope)
        // Everything shown comes from this shop's tables; only "listed now" moves with the clock.
        scope.answerIsReusable(until: product.nextListingChange(after: scope.now))
        return try Products.detail(product, scope)
    }

    static let list = OperationSpec(
        name: "catalog.product.list", summary: "Search products, in id order, a page at a time",
        fields: [
            Field("q", help: "text found in the title or a keyword (any case)"),
            Field("category", .int, help: "only products in this category or a category below it"),
            Field("tag", .code, help: "only products with this tag"),
            Field("listed", .bool, help: "true: only products listed now; false: only products not listed now"),
            Field("cursor", .int, help: "continue after this product id (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-500 (default 50)"),
        ],
        permission: "catalog.read", mutates: false
    ) { scope in
        // `listed_now` and the `listed` filter move with the clock only at scheduled changes.
        scope.answerIsReusable(until: try Products.nextListingChange(after: scope.now, try scope.db))
        var search = try ProductSearch(scope)
        if let listed = scope.input.values["listed"]?.boolValue {
            search.conditions.append(listed ? Product.listedNowSQL : "NOT \(Product.listedNowSQL)")
            search.parameters["now"] = scope.now
        }
        let (page, next) = try search.page(scope)
        return ["items": .array(page.map { $0.summary(now: scope.now) }), "next_cursor": next]
    }

    static let publish = OperationSpec(
        name: "catalog.product.publish", summary: "List a product now, with no schedule",
        fields: Products.referenceFields, permission: "catalog.product.write", mutates: true
    ) { scope in
        try setListing(scope, listed: true, listAt: nil, unlistAt: nil, change: ["published": true])
    }

    static let unpublish = OperationSpec(
        name: "catalog.product.unpublish", summary: "Take a product off the shop (and drop its schedule)",
        fields: Products.referenceFields, permission: "catalog.product.write", mutates: true
    ) { scope in
        try setListing(scope, listed: false, listAt: nil, unlistAt: nil, change: ["unpublished": true])
    }

    static let schedule = OperationSpec(
        name: "catalog.product.schedule", summary: "List a product from and/or until a date-time (replaces any schedule)",
        fields: Products.referenceFields + [
            Field("list_at", .dateTime, help: "listed from this ISO 8601 date-time (none: from now)"),
            Field("unlist_at", .dateTime, help: "listed until this ISO 8601 date-time (none: no end)"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let listAt = try input.optionalString("list_at").map { try CatalogRules.millis($0, field: "list_at") }
        let unlistAt = try input.optionalString("unlist_at").map { try CatalogRules.millis($0, field: "unlist_at") }
        guard listAt != nil || unlistAt != nil else {
            throw KernelError.invalid("list_at", "give list_at, unlist_at or both (to list at once without a schedule, use publish)")
        }
        if let listAt, let unlistAt, unlistAt <= listAt {
            throw KernelError.invalid("unlist_at", "unlist_at (\(Validation.isoString(millis: unlistAt))) must be after list_at (\(Validation.isoString(millis: listAt)))")
        }
        if let unlistAt, unlistAt <= scope.now {
            throw KernelError.invalid("unlist_at", "unlist_at (\(Validation.isoString(millis: unlistAt))) is already past; to take the product off now, use unpublish")
        }
        return try setListing(scope, listed: true, listAt: listAt, unlistAt: unlistAt,
                              change: ["scheduled": true, "list_at": Product.time(listAt), "unlist_at": Product.time(unlistAt)])
    }

    private static func setListing(_ scope: OperationScope, listed: Bool, listAt: Int64?, unlistAt: Int64?, change: Value.Object) throws -> Value {
        var product = try Products.resolve(scope)
        try scope.db.execute("""
            UPDATE catalog_products SET listed = :listed, list_at = :list_at, unlist_at = :unlist_at, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["id": product.id, "listed": listed, "list_at": listAt, "unlist_at": unlistAt, "now": scope.now])
        product.listed = listed
        product.listAt = listAt
        product.unlistAt = unlistAt
        product.updatedAt = scope.now
        try Products.announce(product, scope)
        var change = change
        change["handle"] = .string(product.handle)
        change["listed_now"] = .bool(product.isListed(at: scope.now))
        scope.audit(entity: "product:\(product.id)", change: .object(change))
        return try Products.detail(product, scope)
    }
}

/// The search of `catalog.product.list` and `storefront.products.list`: text, category, tag
/// and cursor from the input, then one page in id order. Callers add their own conditions.
struct ProductSearch {
    var prefix = ""
    var conditions = ["p.shop_id = :shop"]
    var parameters: [String: any SQLBindable] = [:]

    init(_ scope: OperationScope) throws {
        let input = scope.input
        let db = try scope.db
        if let q = input.optionalString("q")?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            conditions.append("""
                (p.title LIKE :pattern ESCAPE '!' OR EXISTS (SELECT 1 FROM json_each(p.keywords) k WHERE k.value LIKE :pattern ESCAPE '!'))
                """)
            parameters["pattern"] = CatalogRules.containsPattern(q)
        }
        if let category = input.optionalInt("category") {
            guard !(try db.query("SELECT 1 FROM catalog_categories WHERE shop_id = :shop AND id = :id", ["id": category]).isEmpty) else {
                throw KernelError(.notFound, "no category \(category) in this shop", field: "category")
            }
            prefix = """
                WITH RECURSIVE below(id) AS (
                    SELECT id FROM catalog_categories WHERE shop_id = :shop AND id = :category
                    UNION SELECT c.id FROM catalog_categories c JOIN below ON c.parent_id = below.id WHERE c.shop_id = :shop)

                """
            conditions.append("""
                EXISTS (SELECT 1 FROM catalog_product_categories pc
                        WHERE pc.shop_id = :shop AND pc.product_id = p.id AND pc.category_id IN (SELECT id FROM below))
                """)
            parameters["category"] = category
        }
        if let tag = input.optionalString("tag") {
            conditions.append("EXISTS (SELECT 1 FROM catalog_product_tags t WHERE t.shop_id = :shop AND t.product_id = p.id AND t.tag = :tag)")
            parameters["tag"] = tag
        }
        if let cursor = input.optionalInt("cursor") {
            conditions.append("p.id > :cursor")
            parameters["cursor"] = cursor
        }
    }

    /// One page (the input's `limit`) and the cursor of the next, null on the last page.
    func page(_ scope: OperationScope, limit: Int64? = nil) throws -> (products: [Product], next: Value) {
        let limit = try limit ?? scope.input.limit()
        var parameters = self.parameters
        parameters["limit"] = limit + 1
        let columns = Product.columns.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
        let sql = prefix + "SELECT \(columns) FROM catalog_products p WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY p.id LIMIT :limit"
        let rows = try scope.db.query(sql, parameters)
        let page = try rows.prefix(Int(limit)).map(Product.init)
        let next: Value = rows.count > Int(limit) ? .int(page.last!.id) : .null
        return (page, next)
    }
}
