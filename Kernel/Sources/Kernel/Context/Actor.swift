/// Who is performing an operation.
public enum Actor: Sendable, Equatable, CustomStringConvertible {
    case staff(id: Int64, email: String)
    /// A shopper signed in to a customer account (storefront).
    case customer(id: Int64)
    /// A shopper without an account, known by their storefront session (a guest cart).
    case guest(session: Int64)
    /// The kernel itself or a host on its behalf (start-up, event delivery).
    case system
    /// A plugin acting on its own account (e.g. a scheduled job).
    case plugin(id: String)
    /// Nobody has signed in yet.
    case anonymous

    public var description: String {
        switch self {
        case .staff(let id, let email): return "staff:\(id):\(email)"
        case .customer(let id): return "customer:\(id)"
        case .guest(let session): return "guest:\(session)"
        case .system: return "system"
        case .plugin(let id): return "plugin:\(id)"
        case .anonymous: return "anonymous"
        }
    }

    public var staffID: Int64? { if case .staff(let id, _) = self { return id }; return nil }

    /// True for storefront visitors with a session: customers and guests.
    public var isShopper: Bool {
        switch self {
        case .customer, .guest: return true
        default: return false
        }
    }
}
