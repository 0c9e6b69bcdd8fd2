import Kernel

/// The exit status of `souk` for each error code: the one place where codes map to
/// statuses (docs/cli.md lists them).
public enum ExitCode {
    public static let success: Int32 = 0

    public static func of(_ code: ErrorCode) -> Int32 {
        switch code {
        case .usage: return 2
        case .invalidInput: return 3
        case .notFound: return 4
        case .conflict: return 5
        case .permissionDenied: return 6
        case .unauthenticated: return 7
        case .accountLocked: return 8
        case .vetoed: return 9
        case .schemaTooNew: return 10
        case .pluginRefused, .pluginDisabled: return 11
        case .auditBroken: return 12
        case .insufficientStock: return 13
        default: return 1
        }
    }

    /// Rows for the documentation (docs/cli.md).
    public static let table: [(ErrorCode, Int32)] = [
        (.internal, 1), (.storage, 1), (.usage, 2), (.invalidInput, 3), (.notFound, 4), (.conflict, 5),
        (.permissionDenied, 6), (.unauthenticated, 7), (.accountLocked, 8), (.vetoed, 9), (.schemaTooNew, 10),
        (.pluginRefused, 11), (.pluginDisabled, 11), (.auditBroken, 12), (.insufficientStock, 13),
    ]
}
