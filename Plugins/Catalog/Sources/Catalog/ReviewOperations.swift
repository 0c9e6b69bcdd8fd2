import Kernel

enum ReviewOperations {
    static let all: [OperationSpec] = [add, moderate, reply, list]
    static let statuses = ["pending", "approved", "rejected"]

    static let add = OperationSpec(
        name: "catalog.review.add", summary: "Record a customer's review of a product (pending until moderated)",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("customer_ref", required: true, help: "who wrote it: a customer number, email or name"),
            Field("rating", .int, required: true, help: "1 to 5 stars"),
            Field("body", help: "the review's text"),
        ],
        permission: "catalog.review.write", mutates: true
    ) { scope in
        let input = scope.input
        let db = try scope.db
        let product = try Products.resolve(reference: try input.string("product"), db)
        let customer = try input.string("customer_ref").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !customer.isEmpty else { throw KernelError.invalid("customer_ref", "customer_ref is empty; say who wrote the review") }
        guard customer.count <= 200 else {
            throw KernelError.invalid("customer_ref", "customer_ref has \(customer.count) characters; at most 200")
        }
        let rating = try input.int("rating")
        guard (1...5).contains(rating) else { throw KernelError.invalid("rating", "rating must be 1 to 5 stars, got \(rating)") }
        let body = try text(input.optionalString("body") ?? "", field: "body")
        try db.execute("""
            INSERT INTO catalog_reviews (shop_id, product_id, customer_ref, rating, body, status, created_at)
            VALUES (:shop, :product, :customer, :rating, :body, 'pending', :now)
            """, ["product": product.id, "customer": customer, "rating": rating, "body": body, "now": scope.now])
        let id = db.lastInsertRowID
        scope.audit(entity: "review:\(id)", change: ["product": .string(product.handle), "customer_ref": .string(customer),
                                                     "rating": .int(rating), "status": "pending"])
        return try Reviews.value(id, db)
    }

    static let moderate = OperationSpec(
        name: "catalog.review.moderate", summary: "Approve or reject a pending review",
        fields: [
            Field("review", .int, required: true, help: "the review's id"),
            Field("decision", required: true, help: "approve or reject"),
        ],
        permission: "catalog.review.moderate", mutates: true
    ) { scope in
        let db = try scope.db
        let id = try scope.input.int("review")
        let decision = try scope.input.string("decision").trimmingCharacters(in: .whitespaces).lowercased()
        let status: String
        switch decision {
        case "approve": status = "approved"
        case "reject": status = "rejected"
        default: throw KernelError.invalid("decision", "decision must be approve or reject, got '\(decision)'")
        }
        let current = try Reviews.status(id, db)
        guard current == "pending" else {
            throw KernelError(.conflict, "review \(id) is already \(current); only pending reviews can be moderated", field: "review")
        }
        try db.execute("""
            UPDATE catalog_reviews SET status = :status, moderated_by = :actor, moderated_at = :now WHERE shop_id = :shop AND id = :id
            """, ["id": id, "status": status, "actor": Reviews.who(scope.context.actor), "now": scope.now])
        scope.audit(entity: "review:\(id)", change: ["status": ["from": "pending", "to": .string(status)]])
        return try Reviews.value(id, db)
    }

    static let reply = OperationSpec(
        name: "catalog.review.reply", summary: "Answer a review on behalf of the shop (once)",
        fields: [
            Field("review", .int, required: true, help: "the review's id"),
            Field("body", required: true, help: "the reply's text"),
        ],
        permission: "catalog.review.moderate", mutates: true
    ) { scope in
        let db = try scope.db
        let id = try scope.input.int("review")
        let body = try text(try scope.input.string("body"), field: "body")
        guard !body.isEmpty else { throw KernelError.invalid("body", "the reply is empty") }
        _ = try Reviews.status(id, db)
        let changed = try db.execute("""
            UPDATE catalog_reviews SET reply = :body, replied_by = :actor, replied_at = :now
            WHERE shop_id = :shop AND id = :id AND reply IS NULL
            """, ["id": id, "body": body, "actor": Reviews.who(scope.context.actor), "now": scope.now])
        guard changed == 1 else {
            throw KernelError(.conflict, "review \(id) already has a reply; the shop replies once", field: "review")
        }
        scope.audit(entity: "review:\(id)", change: ["reply": .string(body)])
        return try Reviews.value(id, db)
    }

    static let list = OperationSpec(
        name: "catalog.review.list", summary: "List reviews, newest first, a page at a time",
        fields: [
            Field("product", help: "only this product's reviews (id or handle)"),
            Field("status", help: "only reviews in this status: pending, approved or rejected"),
            Field("cursor", .int, help: "continue after this review id (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-500 (default 50)"),
        ],
        permission: "catalog.read", mutates: false
    ) { scope in
        let input = scope.input
        let db = try scope.db
        var sql = "SELECT \(Reviews.columns) FROM catalog_reviews r JOIN catalog_products p ON p.id = r.product_id WHERE r.shop_id = :shop"
        var parameters: [String: any SQLBindable] = [:]
        if let reference = input.optionalString("product") {
            sql += " AND r.product_id = :product"
            parameters["product"] = try Products.resolve(reference: reference, db).id
        }
        if let status = input.optionalString("status") {
            guard statuses.contains(status) else {
                throw KernelError.invalid("status", "status must be pending, approved or rejected, got '\(status)'")
            }
            sql += " AND r.status = :status"
            parameters["status"] = status
        }
        if let cursor = input.optionalInt("cursor") {
            sql += " AND r.id < :cursor"
            parameters["cursor"] = cursor
        }
        let limit = try input.limit()
        parameters["limit"] = limit + 1
        let rows = try db.query(sql + " ORDER BY r.id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map(Reviews.value)), "next_cursor": next]
    }

    private static func text(_ raw: String, field: String) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= 5_000 else { throw KernelError.invalid(field, "\(field) has \(text.count) characters; at most 5000") }
        return text
    }
}

enum Reviews {
    /// Who moderated or replied, as people read it: a staff member's email.
    static func who(_ actor: Actor) -> String {
        if case .staff(_, let email) = actor { return email }
        return actor.description
    }

    static let columns = """
        r.id, r.product_id, p.handle, r.customer_ref, r.rating, r.body, r.status, r.moderated_by, r.moderated_at,
        r.reply, r.replied_by, r.replied_at, r.created_at
        """

    static func status(_ id: Int64, _ db: ShopDatabase) throws -> String {
        guard let row = try db.query("SELECT status FROM catalog_reviews WHERE shop_id = :shop AND id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no review \(id) in this shop", field: "review")
        }
        return try row.string("status")
    }

    static func value(_ id: Int64, _ db: ShopDatabase) throws -> Value {
        let rows = try db.query("""
            SELECT \(columns) FROM catalog_reviews r JOIN catalog_products p ON p.id = r.product_id WHERE r.shop_id = :shop AND r.id = :id
            """, ["id": id])
        guard let row = rows.first else { throw KernelError(.notFound, "no review \(id) in this shop", field: "review") }
        return try value(row)
    }

    static func value(_ row: Row) throws -> Value {
        let reply: Value
        if let text = try row.optionalString("reply") {
            reply = ["body": .string(text), "by": Value(try row.optionalString("replied_by")),
                     "at": Product.time(try row.optionalInt("replied_at").map(Int64.init))]
        } else {
            reply = .null
        }
        return ["id": .int(try row.int64("id")), "product_id": .int(try row.int64("product_id")), "handle": .string(try row.string("handle")),
                "customer_ref": .string(try row.string("customer_ref")), "rating": .int(try row.int64("rating")),
                "body": .string(try row.string("body")), "status": .string(try row.string("status")),
                "moderated_by": Value(try row.optionalString("moderated_by")),
                "moderated_at": Product.time(try row.optionalInt("moderated_at").map(Int64.init)),
                "reply": reply, "created_at": .string(Validation.isoString(millis: try row.int64("created_at")))]
    }
}
