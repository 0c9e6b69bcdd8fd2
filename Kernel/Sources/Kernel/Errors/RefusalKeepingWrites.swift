/// Thrown by a mutating operation's handler to refuse the request while keeping what it
/// wrote: the transaction commits, the attempt is audited with outcome `denied` (with the
/// handler's `scope.audit(entity:change:)`, if set), and the caller gets `error`.
///
/// For refusals that must leave a trace in the shop's own tables, such as counting a failed
/// sign-in toward a lock-out. Everything else should throw a plain `KernelError`, which
/// rolls back. Inside another operation (`scope.perform`), the nested operation's writes
/// stay in the caller's transaction and the caller sees `error` as an ordinary error: they
/// commit only if the caller catches it and carries on. The result is never kept under an
/// idempotency key, and a read-only operation simply throws `error`.
public struct RefusalKeepingWrites: Error, Sendable {
    public let error: KernelError

    public init(_ error: KernelError) {
        self.error = error
    }
}
