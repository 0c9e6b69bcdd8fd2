import Kernel

/// Messages from customers and staff replies. A customer's message starts a thread
/// (`parent_id` NULL); replies point at it.
enum MessageOperations {
    static let all = [add, reply, list]

    static let maxBody = 5000

    static func body(_ scope: OperationScope) throws -> String {
        try CustomerRules.text(scope, "body", max: maxBody, required: true)
    }

    /// A thread: the customer's message, then its replies oldest first.
    static func thread(_ row: Row, _ scope: OperationScope) throws -> Value {
        let id = try row.int64("id")
        let replies = try scope.db.query("""
            SELECT id, author, body, created_at FROM customers_messages WHERE shop_id = :shop AND parent_id = :id ORDER BY id
            """, ["id": id]).map { reply -> Value in
            ["id": .int(try reply.int64("id")), "author": .string(try reply.string("author")), "body": .string(try reply.string("body")),
             "created_at": CustomerRules.time(try reply.int64("created_at"))]
        }
        return ["id": .int(id), "customer": .int(try row.int64("customer_id")), "author": .string(try row.string("author")),
                "entered_by": .string(try row.string("entered_by")), "body": .string(try row.string("body")),
                "created_at": CustomerRules.time(try row.int64("created_at")), "answered": .bool(!replies.isEmpty),
                "replies": .array(replies)]
    }

    static let threadColumns = "id, customer_id, author, entered_by, body, created_at"

    static let add = OperationSpec(
        name: "customers.message.add", summary: "Record a message from a customer (entered by staff or the storefront)",
        fields: [
            Field("customer", .int, required: true, help: "customer id"),
            Field("body", required: true, help: "the message (up to 5000 characters)"),
        ],
        permission: "customers.messages.write", mutates: true
    ) { scope in
        let customerID = try scope.input.int("customer")
        // A signed-in customer (the storefront) writes only as themself.
        if case .customer(let signedIn) = scope.context.actor, signedIn != customerID {
            throw KernelError.denied("customer \(signedIn) cannot write a message as customer \(customerID)")
        }
        try Customer.require(customerID, scope)
        let text = try body(scope)
        let db = try scope.db
        try db.execute("""
            INSERT INTO customers_messages (shop_id, customer_id, parent_id, author, entered_by, body, created_at)
            VALUES (:shop, :customer, NULL, :author, :entered, :body, :now)
            """, ["customer": customerID, "author": "customer:\(customerID)", "entered": scope.context.actor.description,
                  "body": text, "now": scope.now])
        let id = db.lastInsertRowID
        // The text stays out of the audit log (it may hold personal details); the row id leads to it.
        scope.audit(entity: "customer:\(customerID)", change: ["message": .int(id), "characters": .int(Int64(text.count))])
        return try thread(try db.query("SELECT \(threadColumns) FROM customers_messages WHERE shop_id = :shop AND id = :id", ["id": id])[0], scope)
    }

    static let reply = OperationSpec(
        name: "customers.message.reply", summary: "Reply to a customer's message as the signed-in staff member",
        fields: [
            Field("message", .int, required: true, help: "id of the customer's message"),
            Field("body", required: true, help: "the reply (up to 5000 characters)"),
        ],
        permission: "customers.messages.write", mutates: true
    ) { scope in
        let messageID = try scope.input.int("message")
        let db = try scope.db
        guard let original = try db.query("""
            SELECT \(threadColumns), parent_id FROM customers_messages WHERE shop_id = :shop AND id = :id
            """, ["id": messageID]).first else {
            throw KernelError(.notFound, "no customer message \(messageID) in this shop", field: "message")
        }
        if let parent = try original.optionalInt("parent_id") {
            throw KernelError.invalid("message", "message \(messageID) is itself a reply; reply to the customer's message \(parent)")
        }
        let text = try body(scope)
        let customerID = try original.int64("customer_id")
        let author = scope.context.actor.description
        try db.execute("""
            INSERT INTO customers_messages (shop_id, customer_id, parent_id, author, entered_by, body, created_at)
            VALUES (:shop, :customer, :parent, :author, :author, :body, :now)
            """, ["customer": customerID, "parent": messageID, "author": author, "body": text, "now": scope.now])
        let id = db.lastInsertRowID
        scope.audit(entity: "customer:\(customerID)", change: ["reply": .int(id), "to_message": .int(messageID),
                                                               "characters": .int(Int64(text.count))])
        return try thread(original, scope)
    }

    static let list = OperationSpec(
        name: "customers.message.list", summary: "List customers' message threads with their replies, newest first",
        fields: [
            Field("customer", .int, help: "only this customer's messages"),
            Field("unanswered", .bool, help: "true: only messages nobody has replied to yet; false: only answered ones"),
            Field("cursor", .int, help: CustomerRules.cursorHelp),
            Field("limit", .int, help: CustomerRules.limitHelp),
        ],
        permission: "customers.read", mutates: false
    ) { scope in
        let input = scope.input
        var conditions = ["m.shop_id = :shop", "m.parent_id IS NULL"]
        var parameters: [String: any SQLBindable] = [:]
        if let customerID = input.optionalInt("customer") {
            try Customer.require(customerID, scope)
            conditions.append("m.customer_id = :customer")
            parameters["customer"] = customerID
        }
        if let unanswered = input.values["unanswered"]?.boolValue {
            let replied = "EXISTS (SELECT 1 FROM customers_messages r WHERE r.shop_id = :shop AND r.parent_id = m.id)"
            conditions.append(unanswered ? "NOT " + replied : replied)
        }
        if let cursor = input.optionalInt("cursor") {
            conditions.append("m.id < :cursor")
            parameters["cursor"] = cursor
        }
        let limit = try CustomerRules.limit(scope)
        parameters["limit"] = limit + 1
        let columns = threadColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let rows = try scope.db.query("SELECT \(columns) FROM customers_messages m WHERE " + conditions.joined(separator: " AND ")
                                      + " ORDER BY m.id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = Array(paged.rows), next = paged.nextCursor
        return ["items": .array(try page.map { try thread($0, scope) }), "next_cursor": next]
    }
}
