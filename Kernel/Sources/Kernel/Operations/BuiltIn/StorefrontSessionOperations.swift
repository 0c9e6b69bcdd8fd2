/// Storefront sessions: a guest session holds a guest's carts; customers get theirs from
/// the sign-in operation of the plugin that keeps customer accounts.
enum StorefrontSessionOperations {
    static let all = [start, show, end]

    static let start = OperationSpec(
        name: "storefront.session.start", summary: "Start a guest session (for a guest cart); returns its token once",
        permission: ShopperPermission.browse, mutates: true, audience: .shopper
    ) { scope in
        // A token must not rest in plain text in the idempotency table: a repeated request
        // starts another session instead of replaying this one.
        scope.notReplayable()
        let session = try scope.startShopperSession(customerID: nil)
        scope.audit(entity: "shopper_session:\(session.id)", change: ["kind": "guest"])
        return ["token": .string(session.token), "kind": "guest", "expires_at": .string(Validation.isoString(millis: session.expiresAt))]
    }

    static let show = OperationSpec(
        name: "storefront.session.show", summary: "Who this storefront session belongs to",
        permission: ShopperPermission.cart, mutates: false, audience: .shopper
    ) { scope in
        switch scope.context.actor {
        case .customer(let id): return ["kind": "customer", "customer": .int(id)]
        default: return ["kind": "guest", "customer": .null]
        }
    }

    static let end = OperationSpec(
        name: "storefront.session.end", summary: "Sign out: end this storefront session",
        permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        try scope.endShopperSession()
        scope.audit(entity: "shopper_session:\(scope.context.shopperSessionID ?? 0)", change: ["ended": true])
        return ["ended": true]
    }
}
