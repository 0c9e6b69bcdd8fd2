import Kernel

/// The shopper pays their own order: this operation decides whose order it is, then runs the
/// back office's `payment.authorize` and (for card methods) `payment.capture` for the shopper
/// with `performForShopper`, so the payment path, its idempotency and its audit are the same.
enum StorefrontOperations {
    static let all = [pay]

    static let pay = OperationSpec(
        name: "storefront.order.pay",
        summary: "Pay your order: authorize and capture a card, or choose an offline method; a decline is returned, not thrown",
        fields: [
            Field("order", required: true, help: "order number, e.g. NORTH-1001", positional: true),
            Field("method", .code, required: true, help: "payment method code, e.g. sandbox, cod, bank_transfer"),
            Field("card", help: "card number for card methods; only its last 4 digits are kept", secret: true),
            PaymentRequestKey.field,
        ],
        permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        let number = try scope.input.string("order")
        try requireOwnOrder(number, scope)
        // Payment request keys are per shop; binding them to the shopper keeps one shopper's
        // key from colliding with (and describing) another's payment.
        let key = "\(scope.context.actor):" + (try PaymentRequestKey.input(scope))
        var authorizeInput: Value.Object = ["order": .string(number), "method": .string(try scope.input.string("method")),
                                            "idempotency_key": .string(key + ":authorize")]
        if let card = scope.input.optionalString("card") { authorizeInput["card"] = .string(card) }
        let authorized = try scope.performForShopper("payment.authorize", authorizeInput)
        var answer = authorized
        let offline = try Providers.find(try scope.input.string("method"), scope)?.isOffline ?? true
        if authorized["outcome"] == "approved", !offline {
            answer = try scope.performForShopper("payment.capture", ["order": .string(number), "idempotency_key": .string(key + ":capture")])
        }
        if answer["outcome"] != "approved" && answer["outcome"] != "declined" {
            // Pending or timed out: settles nothing, so a retry with the same key asks again.
            scope.notReplayable()
        }
        scope.audit(entity: "payment:\(number)", change: ["order": .string(number), "method": authorizeInput["method"]!,
                                                          "outcome": answer["outcome"] ?? .null, "order_status": answer["order_status"] ?? .null])
        return answer
    }

    /// Refuses, as `not_found` like an unknown order, an order that is not the shopper's: a
    /// customer's orders carry their id, a guest's the storefront session they were placed in.
    static func requireOwnOrder(_ number: String, _ scope: OperationScope) throws {
        let owner: (column: String, id: Int64)
        switch scope.context.actor {
        case .customer(let id): owner = ("customer_id", id)
        case .guest(let session): owner = ("guest_session", session)
        default: throw KernelError(.unauthenticated, "storefront.order.pay needs a storefront session")
        }
        guard !(try scope.db.query("SELECT 1 FROM orders_orders WHERE shop_id = :shop AND number = :number AND \(owner.column) = :owner",
                                   ["number": number, "owner": owner.id]).isEmpty) else {
            throw KernelError(.notFound, "no order \(number) in this shop", field: "order")
        }
    }
}
