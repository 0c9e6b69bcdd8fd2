import Foundation

extension Kernel {
    /// Runs a read. When its handler declared the answer reusable, the answer is kept in the
    /// read cache under the operation, the shop and the validated input, and handed out again
    /// until the database changes (or the handler's `until` passes).
    func performRead(_ operation: OperationSpec, input raw: Value.Object, context: OperationContext,
                     encoded: Bool) throws -> (value: Value, answer: Answer?) {
        let version = readCache.begin()
        let now = clock.millis
        // The cache is consulted only once the plugin is known to be on in this shop, so
        // that a disabled plugin is refused exactly as without the cache.
        if let version, isEnabledFromCache(operation, context: context, version: version) == true {
            let input = try operation.validate(raw)
            if let hit = readCache.answer(key: Self.answerKey(operation, context, input), version: version, now: now) {
                return (hit.value, hit)
            }
        }
        return try store.read { tx in
            try checkEnabled(operation, context: context, in: tx)
            if let version, let shop = context.shop {
                readCache.remember(enabledPlugins: try enabledPlugins(shopID: shop.id, in: tx), shopID: shop.id, version: version)
            }
            let input = try operation.validate(raw)
            let scope = OperationScope(kernel: self, context: context, input: input, operation: operation.name, transaction: tx)
            let value: Value
            do {
                value = try operation.handler(scope)
            } catch let refusal as RefusalKeepingWrites {
                throw refusal.error  // a read has nothing to keep
            }
            guard let version, case .some(let until) = scope.reusableUntil else {
                return (value, encoded ? Answer(value) : nil)
            }
            let answer = Answer(value)
            readCache.remember(answer: answer, key: Self.answerKey(operation, context, input), validUntil: until, version: version)
            return (value, answer)
        }
    }

    /// nil when the cache does not know the shop's plugins yet.
    private func isEnabledFromCache(_ operation: OperationSpec, context: OperationContext, version: Int64) -> Bool? {
        guard operation.pluginID != "kernel", let shop = context.shop else { return true }
        return readCache.enabledPlugins(shopID: shop.id, version: version)?.contains(operation.pluginID)
    }

    static func answerKey(_ operation: OperationSpec, _ context: OperationContext, _ input: OperationInput) -> ReadCache.AnswerKey {
        ReadCache.AnswerKey(operation: operation.name, shopID: context.shop?.id ?? 0, input: input.values)
    }

    /// For a host thread that must never wait (an HTTP event loop): the answer of the read
    /// `name` when everything it needs is already in the read cache and the database has not
    /// changed since: the session of `token` (a staff token for back-office reads; for
    /// storefront reads a shopper token, or none for an anonymous visitor), the shop, the
    /// permissions, the shop's plugins and the answer.
    /// nil in every other case, refusals included: the host then calls `context` and
    /// `answer` as usual, which read the database, audit denials and fill the cache.
    ///
    /// Touches the database only to probe its version. Runs every check `perform` runs.
    public func reusedAnswer(_ name: String, input raw: Value.Object, token: String?, shopCode: String?) -> Answer? {
        guard let operation = operations[name], !operation.mutates, operation.audience != .integration else { return nil }
        let now = clock.millis
        let isShopperToken = token?.hasPrefix(ShopperSession.tokenPrefix) ?? false
        // One probe and one lock for everything about the caller; no probe at all for
        // operations that never declared an answer reusable, and no new probe connection
        // opened here.
        guard let (version, known) = readCache.identity(
            operation: name, shopCode: shopCode, staffToken: isShopperToken ? nil : token,
            shopperToken: isShopperToken ? token : nil, now: now, mayOpen: false) else { return nil }
        if shopCode != nil, known.shop == nil { return nil }
        var context: OperationContext
        switch operation.audience {
        case .staff:
            guard token != nil, !isShopperToken, let staff = known.staff else { return nil }
            var permissions: Set<Permission> = []
            if known.shop != nil, !staff.isOperator {
                guard let granted = known.permissions else { return nil }
                permissions = granted
            }
            context = OperationContext(shop: known.shop, actor: staff.actor, permissions: permissions, isOperator: staff.isOperator,
                                       correlationID: "", clock: clock)
        case .shopper:
            guard let shop = known.shop else { return nil }
            if token != nil && (!isShopperToken || known.shopperSession == nil) { return nil }
            // Refusals (expired, another shop's token) are left to the ordinary path.
            guard let built = try? shopperContext(shop: shop, session: known.shopperSession, token: token, now: now,
                                                  correlationID: "", idempotencyKey: nil) else { return nil }
            context = built
        case .integration:
            return nil
        }
        if operation.scope == .shop, context.shop == nil { return nil }
        guard (try? checkAudience(operation, context: context, nested: false)) != nil else { return nil }
        if let permission = operation.permission, !context.holds(permission) { return nil }
        if operation.pluginID != "kernel", context.shop != nil {
            guard known.enabledPlugins?.contains(operation.pluginID) == true else { return nil }
        }
        guard let input = try? operation.validate(raw) else { return nil }
        return readCache.answer(key: Self.answerKey(operation, context, input), version: version, now: now)
    }

    /// How many reusable answers the read cache holds now.
    public var reusableAnswerCount: Int { readCache.answerCount }

    /// Hits, misses and resets of the read cache since start.
    public var readCacheStats: ReadCacheStats { readCache.snapshot }
}
