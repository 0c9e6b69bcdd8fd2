import Foundation

extension Kernel {
    /// The context for a storefront request in the shop `shopCode`: anonymous without a
    /// token, else the guest or customer the session belongs to. A token of another shop,
    /// an expired or an unknown token is refused, never downgraded to anonymous.
    public func shopperContext(token: String?, shopCode: String, correlationID: String? = nil,
                               idempotencyKey: String? = nil) throws -> OperationContext {
        let now = clock.millis
        let version = readCache.begin()
        let correlation = correlationID ?? SecureRandom.token(prefix: "req_", byteCount: 8)
        // While the database is unchanged, the shop and the session come from the read cache.
        if let version, let shop = readCache.shop(code: shopCode, version: version) {
            if token == nil {
                return try shopperContext(shop: shop, session: nil, token: nil, now: now, correlationID: correlation,
                                          idempotencyKey: idempotencyKey)
            }
            if let token, let session = readCache.shopperSession(token: token, version: version) {
                return try shopperContext(shop: shop, session: session, token: token, now: now, correlationID: correlation,
                                          idempotencyKey: idempotencyKey)
            }
        }
        return try store.read { tx in
            let shop = try self.shop(code: shopCode, in: tx)
            if let version { readCache.remember(shop: shop, version: version) }
            var session: ReadCache.ShopperSessionEntry?
            if let token, let row = try tx.query("SELECT id, shop_id, customer_id, expires_at FROM souk_shopper_sessions WHERE token_hash = ?",
                                                 [SHA256.hex(token)]).first {
                session = ReadCache.ShopperSessionEntry(id: try row.int64("id"), shopID: try row.int64("shop_id"),
                                                        customerID: try row.optionalInt("customer_id").map(Int64.init),
                                                        expiresAt: try row.int64("expires_at"))
                if let version { readCache.remember(shopperToken: token, session!, version: version) }
            }
            return try shopperContext(shop: shop, session: session, token: token, now: now, correlationID: correlation,
                                      idempotencyKey: idempotencyKey)
        }
    }

    /// The context for `token`'s session (nil when the token matched none) in `shop`.
    func shopperContext(shop: ShopRef, session: ReadCache.ShopperSessionEntry?, token: String?, now: Int64,
                        correlationID: String, idempotencyKey: String?) throws -> OperationContext {
        var context = OperationContext(shop: shop, actor: .anonymous, permissions: ShopperPermission.anonymous,
                                       correlationID: correlationID, idempotencyKey: idempotencyKey, clock: clock)
        guard token != nil else { return context }
        guard let session, session.expiresAt > now else {
            throw KernelError(.unauthenticated, "the storefront token is unknown or expired; start a new session or sign in again")
        }
        guard session.shopID == shop.id else {
            throw KernelError(.unauthenticated, "the storefront token belongs to another shop, not '\(shop.code)'")
        }
        context.shopperSessionID = session.id
        if let customer = session.customerID {
            context.actor = .customer(id: customer)
            context.permissions = ShopperPermission.customer
        } else {
            context.actor = .guest(session: session.id)
            context.permissions = ShopperPermission.guest
        }
        return context
    }
}

extension OperationScope {
    /// Starts a storefront session in this shop, for a customer or (nil) a guest, inside
    /// this operation's transaction. Plugins call it from their sign-in operations after
    /// checking the customer's credentials.
    public func startShopperSession(customerID: Int64?) throws -> ShopperSession {
        let shop = try context.requireShop()
        let token = SecureRandom.token(prefix: ShopperSession.tokenPrefix)
        let expires = now + ShopperSession.lifetimeMillis
        try transaction.execute("DELETE FROM souk_shopper_sessions WHERE shop_id = ? AND expires_at <= ?", [shop.id, now])
        try transaction.execute("""
            INSERT INTO souk_shopper_sessions (token_hash, shop_id, customer_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """, [SHA256.hex(token), shop.id, customerID, now, expires])
        return ShopperSession(id: transaction.lastInsertRowID, token: token, customerID: customerID, expiresAt: expires)
    }

    /// Ends the caller's storefront session (sign-out). Returns false when there was none.
    @discardableResult
    public func endShopperSession() throws -> Bool {
        guard let session = context.shopperSessionID else { return false }
        return try transaction.execute("DELETE FROM souk_shopper_sessions WHERE id = ?", [session]) == 1
    }

    /// Ends every storefront session of customer `customerID` in this shop (after a password
    /// reset, so that a stolen session dies). Returns how many ended.
    @discardableResult
    public func endShopperSessions(customerID: Int64) throws -> Int {
        let shop = try context.requireShop()
        return try transaction.execute("DELETE FROM souk_shopper_sessions WHERE shop_id = ? AND customer_id = ?", [shop.id, customerID])
    }

    /// Performs a staff operation for the shopper of this storefront operation, with its
    /// permission waived: the storefront operation has already decided that the shopper may
    /// have it done (e.g. paying their own order moves it with `orders.pay`). The nested
    /// operation is audited with the shopper as the actor.
    public func performForShopper(_ name: String, _ input: Value.Object = [:]) throws -> Value {
        // Only a storefront operation acting for a visitor may waive a permission; from a
        // staff operation this would be a way around the caller's role.
        guard context.actor.isShopper || context.actor == .anonymous,
              kernel.operation(named: operation)?.audience == .shopper else {
            throw KernelError.denied("performForShopper is for storefront operations acting for a shopper, not \(operation)")
        }
        var elevated = context
        elevated.waivesPermission = true
        return try kernel.perform(name, input: input, context: elevated, within: self)
    }
}
