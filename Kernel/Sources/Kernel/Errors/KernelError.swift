/// The one error type of the kernel: a stable `code` plus a message written for people.
///
/// Throw it from plugins too; any other error thrown by a handler is wrapped as
/// `internal_error` by the operation runner.
public struct KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String
    /// The input field, flag or setting at fault, when there is one.
    public let field: String?

    public init(_ code: ErrorCode, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }

    public static func invalid(_ field: String, _ message: String) -> KernelError {
        KernelError(.invalidInput, message, field: field)
    }

    public static func notFound(_ message: String) -> KernelError {
        KernelError(.notFound, message)
    }

    public static func denied(_ message: String) -> KernelError {
        KernelError(.permissionDenied, message)
    }

    /// Wraps any error as a `KernelError`, keeping one that already is.
    public static func wrap(_ error: any Error) -> KernelError {
        if let kernelError = error as? KernelError { return kernelError }
        return KernelError(.internal, "internal error: \(error)")
    }
}
