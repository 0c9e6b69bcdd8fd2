/// A named right such as `shop.update` or `inventory.adjust`, declared by the module that
/// owns it (see `PermissionSpec`) and checked by every operation.
public struct Permission: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: Permission, b: Permission) -> Bool { a.rawValue < b.rawValue }
}

/// The declaration of a permission: what it allows, and which built-in roles hold it.
/// `owner` holds every permission whether listed or not.
public struct PermissionSpec: Sendable {
    public let permission: Permission
    public let summary: String
    public let roles: Set<BuiltInRole>

    public init(_ permission: Permission, _ summary: String, roles: Set<BuiltInRole> = []) {
        self.permission = permission
        self.summary = summary
        self.roles = roles.union([.owner])
    }
}

/// The roles every shop has without creating them.
public enum BuiltInRole: String, CaseIterable, Sendable {
    case owner, manager, clerk, warehouse, finance, support, auditor

    public var summary: String {
        switch self {
        case .owner: return "everything in the shop, including staff and roles"
        case .manager: return "runs the shop day to day"
        case .clerk: return "serves customers and handles orders"
        case .warehouse: return "stock, picking and shipping"
        case .finance: return "payments, refunds and reports"
        case .support: return "customers and their messages"
        case .auditor: return "reads everything, changes nothing"
        }
    }
}
