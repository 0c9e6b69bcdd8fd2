import Kernel

/// One customer account with its group codes and points balance, as operations show it.
struct Customer {
    let id: Int64
    var email: String?
    var phone: String?
    var name: String
    var level: String
    var groups: [String]
    var points: Int64
    let createdAt: Int64

    /// Selects every column `init(row:)` reads, for accounts aliased `c`; add WHERE clauses.
    static let selectSQL = """
        SELECT c.id, c.email, c.phone, c.name, c.level, c.created_at,
            (SELECT group_concat(g.code, ',') FROM customers_group_members m JOIN customers_groups g ON g.id = m.group_id
             WHERE m.shop_id = :shop AND m.customer_id = c.id) AS group_codes,
            COALESCE((SELECT p.balance_after FROM customers_points p WHERE p.shop_id = :shop AND p.customer_id = c.id
                      ORDER BY p.id DESC LIMIT 1), 0) AS points
        FROM customers_accounts c
        """

    init(row: Row) throws {
        id = try row.int64("id")
        email = try row.optionalString("email")
        phone = try row.optionalString("phone")
        name = try row.string("name")
        level = try row.string("level")
        groups = (try row.optionalString("group_codes") ?? "").split(separator: ",").map(String.init).sorted()
        points = try row.int64("points")
        createdAt = try row.int64("created_at")
    }

    var value: Value {
        ["id": .int(id), "email": Value(email), "phone": Value(phone), "name": .string(name), "level": .string(level),
         "groups": .string(groups.joined(separator: ",")), "points": .int(points), "created_at": CustomerRules.time(createdAt)]
    }

    /// The customer `id` of this shop, or `not_found` naming `field`.
    static func load(_ id: Int64, _ scope: OperationScope, field: String = "customer") throws -> Customer {
        guard let row = try scope.db.query(selectSQL + " WHERE c.shop_id = :shop AND c.id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no customer \(id) in this shop", field: field)
        }
        return try Customer(row: row)
    }

    /// Whether customer `id` exists in this shop.
    static func exists(_ id: Int64, _ scope: OperationScope) throws -> Bool {
        !(try scope.db.query("SELECT 1 FROM customers_accounts WHERE shop_id = :shop AND id = :id", ["id": id]).isEmpty)
    }

    /// Throws `not_found` naming `field` unless customer `id` exists in this shop.
    static func require(_ id: Int64, _ scope: OperationScope, field: String = "customer") throws {
        guard try exists(id, scope) else { throw KernelError(.notFound, "no customer \(id) in this shop", field: field) }
    }

    /// Refuses an email or phone already used by another customer of this shop.
    static func ensureUnique(email: String?, phoneKey: String?, phone: String?, except id: Int64?, _ scope: OperationScope) throws {
        let db = try scope.db
        let other = id ?? 0
        if let email, let row = try db.query(
            "SELECT id FROM customers_accounts WHERE shop_id = :shop AND email = :email AND id <> :other",
            ["email": email, "other": other]).first {
            throw KernelError(.conflict, "email \(email) is already used by customer \(try row.int64("id")) in this shop", field: "email")
        }
        if let phoneKey, let row = try db.query(
            "SELECT id FROM customers_accounts WHERE shop_id = :shop AND phone_key = :key AND id <> :other",
            ["key": phoneKey, "other": other]).first {
            throw KernelError(.conflict, "phone \(phone ?? phoneKey) is already used by customer \(try row.int64("id")) in this shop",
                              field: "phone")
        }
    }
}
