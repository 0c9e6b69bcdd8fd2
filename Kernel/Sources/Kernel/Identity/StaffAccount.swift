/// A staff account at platform level. Its rights in a shop come from its memberships.
public struct StaffAccount: Sendable, Equatable {
    public let id: Int64
    public let email: String
    public let name: String
    /// Operators run the installation and hold every permission in every shop.
    public let isOperator: Bool

    init(row: Row) throws {
        id = try row.int64("id")
        email = try row.string("email")
        name = try row.string("name")
        isOperator = try row.bool("is_operator")
    }

    public var actor: Actor { .staff(id: id, email: email) }
}

/// A session created by signing in.
public struct StaffSession: Sendable {
    /// The bearer token. Shown once; the store keeps only its SHA-256.
    public let token: String
    public let staff: StaffAccount
    public let expiresAt: Int64
}
