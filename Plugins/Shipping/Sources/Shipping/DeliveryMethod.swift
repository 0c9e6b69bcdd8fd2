import Kernel

/// A way an order reaches the customer, as stored in `shipping_methods`.
struct DeliveryMethod: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case pickup, express, sameDay = "same_day", standard
    }

    let id: Int64
    let code: String
    let name: String
    let kind: Kind
    let enabled: Bool
    let templateID: Int64?
    let templateCode: String?

    private static let select = """
        SELECT m.*, t.code AS template_code FROM shipping_methods m
        LEFT JOIN shipping_templates t ON t.id = m.template_id AND t.shop_id = m.shop_id
        WHERE m.shop_id = :shop
        """

    static func find(code: String, _ scope: OperationScope) throws -> DeliveryMethod? {
        try scope.db.query(select + " AND m.code = :code", ["code": code]).first.map(DeliveryMethod.init(row:))
    }

    static func all(_ scope: OperationScope) throws -> [DeliveryMethod] {
        try scope.db.query(select + " ORDER BY m.code").map(DeliveryMethod.init(row:))
    }

    init(row: Row) throws {
        id = try row.int64("id")
        code = try row.string("code")
        name = try row.string("name")
        guard let kind = Kind(rawValue: try row.string("kind")) else {
            throw KernelError(.storage, "shipping method '\(code)' has an unknown kind")
        }
        self.kind = kind
        enabled = try row.bool("enabled")
        templateID = try row.optionalInt("template_id").map(Int64.init)
        templateCode = try row.optionalString("template_code")
    }

    var value: Value {
        ["code": .string(code), "name": .string(name), "kind": .string(kind.rawValue), "enabled": .bool(enabled),
         "template": Value(templateCode)]
    }
}
