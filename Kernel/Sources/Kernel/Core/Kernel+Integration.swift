extension Kernel {
    /// The context for an integration operation called without staff credentials (a
    /// gateway's callback over HTTP): the plugin that owns the operation acts on its own
    /// account (`plugin:ID` in the audit log), holding only that operation's permission.
    /// The operation itself must authenticate the caller from its input.
    public func integrationContext(for operation: OperationSpec, shopCode: String?, correlationID: String? = nil,
                                   idempotencyKey: String? = nil) throws -> OperationContext {
        guard operation.audience == .integration else {
            throw KernelError.denied("\(operation.name) is not an integration operation; it needs a signed-in caller")
        }
        var context = try self.context(for: nil, shopCode: shopCode, correlationID: correlationID, idempotencyKey: idempotencyKey)
        context.actor = .plugin(id: operation.pluginID)
        context.permissions = operation.permission.map { [$0] } ?? []
        return context
    }
}
