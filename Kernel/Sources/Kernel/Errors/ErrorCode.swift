/// A stable, machine-readable error code. Hosts map codes to exit statuses and HTTP
/// statuses in one place; clients may switch on `rawValue`.
///
/// A struct rather than an enum so that plugins can add codes of their own and adding a
/// code never breaks a caller's `switch`.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A value failed validation (bad email, unknown currency, missing field...).
    public static let invalidInput = ErrorCode("invalid_input")
    /// The command line itself is wrong (unknown flag, missing value).
    public static let usage = ErrorCode("usage")
    public static let notFound = ErrorCode("not_found")
    /// A uniqueness rule or an idempotency key clashed with existing data.
    public static let conflict = ErrorCode("conflict")
    public static let permissionDenied = ErrorCode("permission_denied")
    /// No valid credentials were presented.
    public static let unauthenticated = ErrorCode("unauthenticated")
    public static let accountLocked = ErrorCode("account_locked")
    /// A guard hook refused the operation; the message carries the guard's reason.
    public static let vetoed = ErrorCode("vetoed")
    public static let schemaTooNew = ErrorCode("schema_too_new")
    public static let pluginRefused = ErrorCode("plugin_refused")
    public static let pluginDisabled = ErrorCode("plugin_disabled")
    public static let registrySealed = ErrorCode("registry_sealed")
    public static let storage = ErrorCode("storage_error")
    public static let auditBroken = ErrorCode("audit_chain_broken")
    public static let insufficientStock = ErrorCode("insufficient_stock")
    public static let `internal` = ErrorCode("internal_error")
}
