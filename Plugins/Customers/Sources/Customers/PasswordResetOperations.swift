import Kernel

/// Password resets: staff send a customer a reset link (how a customer created by staff or
/// imported gets a first password), or a shopper asks for one on the storefront; the
/// link's token sets a new password and signs the customer in.
///
/// Where the token travels and rests: a reset request is a row with no token. The
/// request publishes `Hooks.customerPasswordResetRequested` with the request's id only, and
/// the notifier plugin subscribed to it performs `customers.password.reset_token`, which
/// mints the token, stores its SHA-256 and hands the token back in memory, once. So the
/// token is never in the outbox (kept as plain JSON), the audit log, the idempotency table,
/// an HTTP answer or a staff member's hands; it exists in the notifier's email and in the
/// customer's inbox.
enum PasswordResetOperations {
    static let all = [resetLink, mintToken, requestReset, resetPassword]

    /// How long a reset link works after it was requested.
    static let lifetimeMillis: Int64 = 2 * 60 * 60 * 1000
    /// A storefront request for an account that got one less than this long ago sends nothing
    /// new, so that nobody can flood a customer's inbox through the form.
    static let storefrontCooldownMillis: Int64 = 60 * 1000
    static let tokenPrefix = "reset_"

    /// The answer to every storefront request, whether or not the email has an account.
    static let requestAnswer: Value = [
        "status": "requested",
        "message": "if an account exists for this email address, a link to reset its password has been sent to it",
    ]

    /// The same refusal for an unknown, expired, already used or replaced token.
    static let invalidToken = KernelError(.unauthenticated, "this password-reset link is invalid or has expired; ask for a new one")

    /// Records a reset request for `customerID`, replacing (revoking) its earlier open ones,
    /// and publishes the event the notifier delivers. Returns the request's id and expiry.
    static func request(customerID: Int64, email: String, by requester: String, _ scope: OperationScope) throws -> (id: Int64, expiresAt: Int64) {
        let shop = try scope.context.requireShop()
        let db = try scope.db
        try revokeOpen(customerID: customerID, scope)
        let expires = scope.now + lifetimeMillis
        try db.execute("""
            INSERT INTO customers_password_resets (shop_id, customer_id, email, requested_by, status, created_at, expires_at)
            VALUES (:shop, :customer, :email, :by, 'requested', :now, :expires)
            """, ["customer": customerID, "email": email, "by": requester, "now": scope.now, "expires": expires])
        let id = db.lastInsertRowID
        try scope.publish(Hooks.customerPasswordResetRequested,
                          PasswordResetRequest(shopID: shop.id, customerID: customerID, email: email, resetID: id, expiresAt: expires))
        return (id, expires)
    }

    /// Closes every reset of the customer that could still be used (requested or issued).
    @discardableResult
    static func revokeOpen(customerID: Int64, _ scope: OperationScope) throws -> Int {
        try scope.db.execute("""
            UPDATE customers_password_resets SET status = 'revoked', closed_at = :now
            WHERE shop_id = :shop AND customer_id = :customer AND status IN ('requested', 'issued')
            """, ["customer": customerID, "now": scope.now])
    }

    static let resetLink = OperationSpec(
        name: "customers.password.reset_link",
        summary: "Send a customer a link to set a new password (by email, through the shop's notifier plugin)",
        fields: [
            Field("customer", .int, help: "customer id"),
            Field("email", .email, help: "or the customer's email address"),
        ],
        permission: "customers.write", mutates: true
    ) { scope in
        let input = scope.input
        guard input.has("customer") != input.has("email") else {
            throw KernelError.invalid("customer", "give either customer (an id) or email, not both and not neither")
        }
        let customer: Customer
        if let id = input.optionalInt("customer") {
            customer = try Customer.load(id, scope)
        } else {
            let email = try input.string("email")
            guard let row = try scope.db.query("SELECT id FROM customers_accounts WHERE shop_id = :shop AND email = :email",
                                               ["email": email]).first else {
                throw KernelError(.notFound, "no customer with email \(email) in this shop", field: "email")
            }
            customer = try Customer.load(try row.int64("id"), scope)
        }
        guard let email = customer.email else {
            throw KernelError(.invalidInput, "customer \(customer.id) has no email address to send a reset link to; add one with customers.update",
                              field: input.has("customer") ? "customer" : "email")
        }
        // The link is delivered only by a notifier; without one the request would vanish.
        guard try scope.hasSubscribers(Hooks.customerPasswordResetRequested) else {
            throw KernelError(.conflict, """
                no plugin enabled in this shop delivers password-reset links (none subscribes to \
                \(Hooks.customerPasswordResetRequested.name)); install or enable a notifier plugin
                """)
        }
        let reset = try request(customerID: customer.id, email: email, by: scope.context.actor.description, scope)
        scope.audit(entity: "customer:\(customer.id)", change: ["reset": .int(reset.id), "reset_requested": true,
                                                                "expires_at": CustomerRules.time(reset.expiresAt)])
        return ["reset": .int(reset.id), "customer": .int(customer.id), "email": .string(email),
                "expires_at": CustomerRules.time(reset.expiresAt), "delivery": "queued for the shop's notifier"]
    }

    /// For notifier plugins only (actor `system` in an event subscriber): staff
    /// never see a token, so a staff member cannot take over a customer's account with it.
    static let mintToken = OperationSpec(
        name: "customers.password.reset_token",
        summary: "Mint the one-time token of a requested password reset, for the notifier that emails it (not for staff)",
        fields: [Field("reset", .int, required: true, help: "the reset request's id, from the customer.password_reset_requested event")],
        permission: nil, mutates: true
    ) { scope in
        // Only the kernel's own actor (an event subscriber's delivery): a plugin actor can also
        // come from a token-less integration call over HTTP.
        switch scope.context.actor {
        case .system: break
        default:
            throw KernelError.denied("customers.password.reset_token is for the notifier plugin delivering reset links, not \(scope.context.actor)")
        }
        // The answer holds the token: never keep it under an idempotency key.
        scope.notReplayable()
        let id = try scope.input.int("reset")
        let db = try scope.db
        guard let row = try db.query("""
            SELECT customer_id, email, status, expires_at FROM customers_password_resets WHERE shop_id = :shop AND id = :id
            """, ["id": id]).first else {
            throw KernelError(.notFound, "no password reset \(id) in this shop", field: "reset")
        }
        let status = try row.string("status"), expires = try row.int64("expires_at")
        guard status == "requested" else {
            throw KernelError(.conflict, "password reset \(id) is \(status): its token can be minted only once, while requested", field: "reset")
        }
        guard expires > scope.now else {
            throw KernelError(.conflict, "password reset \(id) expired at \(Validation.isoString(millis: expires))", field: "reset")
        }
        let token = SecureRandom.token(prefix: tokenPrefix)
        try db.execute("""
            UPDATE customers_password_resets SET token_hash = :hash, status = 'issued', issued_at = :now WHERE shop_id = :shop AND id = :id
            """, ["hash": SHA256.hex(token), "now": scope.now, "id": id])
        let customer = try row.int64("customer_id")
        scope.audit(entity: "customer:\(customer)", change: ["reset": .int(id), "token_issued": true])
        return ["reset": .int(id), "customer": .int(customer), "email": .string(try row.string("email")),
                "token": .string(token), "expires_at": CustomerRules.time(expires)]
    }

    static let requestReset = OperationSpec(
        name: "storefront.account.request_reset",
        summary: "Ask for a link to reset your password; it is emailed if the address has an account",
        fields: [Field("email", .email, required: true, help: "the account's email address")],
        permission: ShopperPermission.browse, mutates: true, audience: .shopper
    ) { scope in
        // The notifier runs on the next delivery pass, not before this answer: otherwise a
        // known address would answer measurably later than an unknown one.
        scope.deferEventDelivery()
        let email = try scope.input.string("email")
        let db = try scope.db
        guard let row = try db.query("SELECT id FROM customers_accounts WHERE shop_id = :shop AND email = :email", ["email": email]).first else {
            scope.audit(entity: scope.operation, change: ["email": .string(email), "account": false])
            return requestAnswer
        }
        let id = try row.int64("id")
        let recent = try db.query("""
            SELECT 1 FROM customers_password_resets
            WHERE shop_id = :shop AND customer_id = :customer AND requested_by = :by AND created_at > :since
            """, ["customer": id, "by": "storefront", "since": scope.now - storefrontCooldownMillis])
        guard recent.isEmpty else {
            scope.audit(entity: "customer:\(id)", change: ["reset_requested": false, "reason": "a link was sent less than a minute ago"])
            return requestAnswer
        }
        let reset = try request(customerID: id, email: email, by: "storefront", scope)
        scope.audit(entity: "customer:\(id)", change: ["reset": .int(reset.id), "reset_requested": true,
                                                       "expires_at": CustomerRules.time(reset.expiresAt)])
        return requestAnswer
    }

    static let resetPassword = OperationSpec(
        name: "storefront.account.reset_password",
        summary: "Set a new password with a reset link's token; signs you in and signs out every other session",
        fields: [
            Field("token", required: true, help: "the token from the reset link", secret: true),
            Field("password", required: true, help: "the new password, at least 8 characters", secret: true),
        ],
        permission: ShopperPermission.browse, mutates: true, audience: .shopper
    ) { scope in
        let token = try scope.input.string("token")
        let password = try scope.input.string("password")
        let db = try scope.db
        guard token.hasPrefix(tokenPrefix), let row = try db.query("""
            SELECT id, customer_id, status, expires_at FROM customers_password_resets WHERE shop_id = :shop AND token_hash = :hash
            """, ["hash": SHA256.hex(token)]).first,
            try row.string("status") == "issued", try row.int64("expires_at") > scope.now else {
            // Kept on record (audited as denied, without the token); guessing is bounded by the
            // HTTP throttle on storefront writes and by the token's 256 bits.
            scope.audit(entity: scope.operation, change: ["reason": "invalid, expired or used reset token"])
            throw RefusalKeepingWrites(invalidToken)
        }
        // A weak password refuses before anything is written: the link still works.
        try Kernel.checkPasswordStrengthPublic(password)
        let reset = try row.int64("id"), id = try row.int64("customer_id")
        try db.execute("""
            UPDATE customers_accounts SET password_hash = :hash, failed_sign_ins = 0, locked_until = NULL, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["hash": try PasswordHasher.hash(password), "now": scope.now, "id": id])
        try db.execute("UPDATE customers_password_resets SET status = 'used', closed_at = :now WHERE shop_id = :shop AND id = :id",
                       ["now": scope.now, "id": reset])
        // Any other link the customer still holds dies with this one.
        let revoked = try revokeOpen(customerID: id, scope)
        // A session someone else holds (a stolen token) ends here.
        let ended = try scope.endShopperSessions(customerID: id)
        let (answer, session) = try StorefrontAccountOperations.signIn(try Customer.load(id, scope), scope)
        scope.audit(entity: "customer:\(id)", change: [
            "reset": .int(reset), "password_reset": true, "sessions_ended": .int(Int64(ended)), "resets_revoked": .int(Int64(revoked)),
            "session": .int(session), "guest_session": StorefrontAccountOperations.guestSession(scope)])
        return answer
    }
}
