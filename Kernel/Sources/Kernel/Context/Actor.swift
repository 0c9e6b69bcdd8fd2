/// Who is performing an operation.
public enum Actor: Sendable, Equatable, CustomStringConvertible {
    case staff(id: Int64, email: String)
    case customer(id: Int64)
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
        case .system: return "system"
        case .plugin(let id): return "plugin:\(id)"
        case .anonymous: return "anonymous"
        }
    }

    public var staffID: Int64? { if case .staff(let id, _) = self { return id }; return nil }
}
