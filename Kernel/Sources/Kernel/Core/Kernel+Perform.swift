import Foundation

extension Kernel {
    /// Performs an operation: checks the shop, the actor and the permission, validates the
    /// input, runs the handler (mutations in one write transaction, with the audit entry
    /// and any events), then delivers the events. A refusal of permission is audited.
    ///
    /// `input` holds typed values (use `FieldType.parse` to turn host text into them).
    @discardableResult
    public func perform(_ name: String, input: Value.Object = [:], context: OperationContext) throws -> Value {
        try perform(name, input: input, context: context, within: nil)
    }

    /// `perform`, returning the answer with its JSON text (what an HTTP host sends). A read
    /// whose handler declared its answer reusable (`OperationScope.answerIsReusable`) is
    /// answered from the read cache while the database has not changed.
    public func answer(_ name: String, input: Value.Object = [:], context: OperationContext) throws -> Answer {
        let (value, answer) = try perform(name, input: input, context: context, within: nil, encoded: true)
        return answer ?? Answer(value)
    }

    func perform(_ name: String, input raw: Value.Object, context: OperationContext, within outer: OperationScope?) throws -> Value {
        try perform(name, input: raw, context: context, within: outer, encoded: false).value
    }

    private func perform(_ name: String, input raw: Value.Object, context: OperationContext, within outer: OperationScope?,
                         encoded: Bool) throws -> (value: Value, answer: Answer?) {
        let operation = try admit(name, context: context, nested: outer != nil)
        do {
            let result: Value
            if let outer {
                try checkEnabled(operation, context: context, in: outer.transaction)
                let input = try operation.validate(raw)
                var deliver = false, replayable = true
                result = try outer.transaction.savepoint {
                    try run(operation, input: input, context: context, transaction: outer.transaction, deliver: &deliver,
                            replayable: &replayable)
                }
                if deliver { outer.publishedListenedEvent = true }
                // A step that settled nothing (a timed-out payment) makes the whole request
                // unsettled: its idempotency key must run it again, not replay it.
                if !replayable { outer.notReplayable() }
            } else if operation.mutates {
                var deliver = false
                var published: [String] = []
                result = try store.write { tx in
                    try checkEnabled(operation, context: context, in: tx)
                    let input = try operation.validate(raw)
                    let result = try runIdempotent(operation, input: input, context: context, transaction: tx, deliver: &deliver)
                    published = tx.publishedEvents
                    return result
                }
                eventTally.record(published)
                Self.faultPoint("crash-after-commit")
                if deliver { deliverPendingEvents() }
            } else {
                return try performRead(operation, input: raw, context: context, encoded: encoded)
            }
            return (result, nil)
        } catch let error as KernelError where error.code == .permissionDenied || error.code == .vetoed {
            // A handler's own refusal (e.g. granting more than one holds) and a guard's veto
            // are audited too: the work rolled back, the attempt stays on record.
            if outer == nil {
                recordDenial(operation: name, context: context, error: error, outcome: error.code == .vetoed ? "vetoed" : "denied")
            }
            throw error
        } catch {
            throw KernelError.wrap(error)
        }
    }

    /// The operation `name` if `context` may perform it: a shop when it needs one, the
    /// right audience, the permission. A refusal of a top-level call is audited.
    func admit(_ name: String, context: OperationContext, nested: Bool) throws -> OperationSpec {
        guard let operation = operations[name] else {
            throw KernelError.notFound("unknown operation '\(name)'")
        }
        if operation.scope == .shop, context.shop == nil {
            throw KernelError.invalid("shop", "\(name) needs a shop: pass --shop CODE")
        }
        do {
            try checkAudience(operation, context: context, nested: nested)
        } catch let error as KernelError where error.code == .permissionDenied {
            // A shopper on a staff operation, or staff on a storefront one: audited like any denial.
            if !nested { recordDenial(operation: name, context: context, error: error) }
            throw error
        }
        if let permission = operation.permission, !context.holds(permission) {
            let error = KernelError.denied(Self.denialMessage(context, permission))
            if !nested { recordDenial(operation: name, context: context, error: error) }
            throw error
        }
        return operation
    }

    /// Staff operations are for staff, storefront operations for shoppers. A storefront
    /// operation may run staff operations for its shopper (`performForShopper`).
    func checkAudience(_ operation: OperationSpec, context: OperationContext, nested: Bool) throws {
        let name = operation.name
        switch operation.audience {
        case .staff, .integration:
            if case .anonymous = context.actor, operation.permission != nil || operation.mutates {
                throw KernelError(.unauthenticated, "\(name) needs a signed-in actor: use --as EMAIL or --token TOKEN")
            }
            if context.actor.isShopper, !nested {
                throw KernelError.denied("\(context.actor) may call storefront operations only, not \(name)")
            }
        case .shopper:
            if case .anonymous = context.actor, let permission = operation.permission, !context.holds(permission) {
                throw KernelError(.unauthenticated, "\(name) needs a storefront session: start one as a guest or sign in")
            }
            if case .staff = context.actor {
                throw KernelError.denied("\(name) is a storefront operation; staff use the back-office operations")
            }
        }
    }

    static func denialMessage(_ context: OperationContext, _ permission: Permission) -> String {
        let who: String
        switch context.actor {
        case .staff(_, let email): who = email
        default: who = context.actor.description
        }
        let place = context.shop.map { "in shop '\($0.code)'" } ?? "on the platform"
        return "\(who) lacks permission '\(permission)' \(place)"
    }

    func checkEnabled(_ operation: OperationSpec, context: OperationContext, in tx: Transaction) throws {
        guard operation.pluginID != "kernel", let shop = context.shop else { return }
        guard try enabledPlugins(shopID: shop.id, in: tx).contains(operation.pluginID) else {
            throw KernelError(.pluginDisabled,
                "plugin '\(operation.pluginID)' is disabled in shop '\(shop.code)'; enable it with: souk plugin enable \(operation.pluginID) --shop \(shop.code)")
        }
    }

    func runIdempotent(_ operation: OperationSpec, input: OperationInput, context: OperationContext,
                               transaction tx: Transaction, deliver: inout Bool) throws -> Value {
        guard let key = context.idempotencyKey else {
            return try run(operation, input: input, context: context, transaction: tx, deliver: &deliver)
        }
        // Every anonymous visitor is the same actor, so a replay could hand one visitor's
        // result to another: keys need a signed-in caller or a storefront session.
        if case .anonymous = context.actor {
            throw KernelError.invalid("idempotency_key", "an idempotency key needs a signed-in caller or a storefront session; send the request without it")
        }
        let shopID = context.shop?.id ?? 0
        // Secret fields (card numbers, passwords) stay out of the fingerprint: a plain hash of
        // a card number could be brute-forced back from its last four digits.
        var fingerprinted = Value.Object()
        for (key, value) in input.values where !(operation.fields.first { $0.name == key }?.secret ?? false) {
            fingerprinted[key] = value
        }
        // The actor is part of the request: a key reused by someone else is a conflict, never
        // a replay of another person's result.
        let requestHash = SHA256.hex(operation.name + "\u{0}" + context.actor.description + "\u{0}"
                                     + JSON.encode(.object(fingerprinted)))
        if let previous = try tx.query("SELECT operation, request_hash, response FROM souk_idempotency WHERE shop_id = ? AND key = ?",
                                       [shopID, key]).first {
            guard try previous.string("operation") == operation.name, try previous.string("request_hash") == requestHash else {
                throw KernelError(.conflict, "idempotency key '\(key)' was already used for a different request (\(try previous.string("operation")))")
            }
            return try JSON.decode(try previous.string("response"))
        }
        var replayable = true
        let result = try run(operation, input: input, context: context, transaction: tx, deliver: &deliver, replayable: &replayable)
        guard replayable else { return result }
        try tx.execute("INSERT INTO souk_idempotency (shop_id, key, operation, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       [shopID, key, operation.name, requestHash, JSON.encode(result), context.clock.millis])
        return result
    }

    private func run(_ operation: OperationSpec, input: OperationInput, context: OperationContext, transaction tx: Transaction) throws -> Value {
        var ignored = false
        return try run(operation, input: input, context: context, transaction: tx, deliver: &ignored)
    }

    private func run(_ operation: OperationSpec, input: OperationInput, context: OperationContext, transaction tx: Transaction,
                     deliver: inout Bool) throws -> Value {
        var replayable = true
        return try run(operation, input: input, context: context, transaction: tx, deliver: &deliver, replayable: &replayable)
    }

    private func run(_ operation: OperationSpec, input: OperationInput, context: OperationContext, transaction tx: Transaction,
                     deliver: inout Bool, replayable: inout Bool) throws -> Value {
        let scope = OperationScope(kernel: self, context: context, input: input, operation: operation.name, transaction: tx)
        let result: Value
        do {
            result = try operation.handler(scope)
        } catch let refusal as RefusalKeepingWrites {
            guard operation.mutates else { throw refusal.error }
            try AuditLog.append(AuditLog.Record(
                shopID: context.shop?.id ?? 0, actor: context.actor.description, operation: operation.name,
                entity: scope.auditEntity ?? operation.name, change: scope.auditChange ?? ["reason": .string(refusal.error.message)],
                correlationID: context.correlationID, outcome: "denied"), at: context.clock.millis, in: tx)
            throw refusal  // Store.write commits, then throws refusal.error
        }
        if scope.publishedListenedEvent && !scope.deliveryDeferred { deliver = true }
        if !scope.replayable { replayable = false }
        if operation.mutates && !scope.skipsAudit {
            // The input without secrets, unless the handler recorded its own change.
            let change: Value
            if let recorded = scope.auditChange {
                change = recorded
            } else {
                var object = Value.Object()
                for (key, value) in input.values where !(operation.fields.first { $0.name == key }?.secret ?? false) {
                    object[key] = value
                }
                change = .object(object)
            }
            try AuditLog.append(AuditLog.Record(
                shopID: context.shop?.id ?? 0, actor: context.actor.description, operation: operation.name,
                entity: scope.auditEntity ?? operation.name, change: change,
                correlationID: context.correlationID, outcome: "ok"), at: context.clock.millis, in: tx)
        }
        return result
    }

    /// Writes a `denied` audit entry in a transaction of its own (the refused work rolled
    /// back or never started). Failing to audit is reported but does not hide the denial.
    func recordDenial(operation: String, context: OperationContext, error: KernelError, outcome: String = "denied") {
        do {
            try store.write { tx in
                try AuditLog.append(AuditLog.Record(
                    shopID: context.shop?.id ?? 0, actor: context.actor.description, operation: operation,
                    entity: operation, change: ["reason": .string(error.message)],
                    correlationID: context.correlationID, outcome: outcome), at: context.clock.millis, in: tx)
            }
        } catch {
            FileHandle.standardError.write(Data("souk: could not audit a denial: \(error)\n".utf8))
        }
    }

    /// Audits a kernel action that is not an operation (init, sign-in) on the platform chain.
    func auditPlatform(_ operation: String, actor: String, entity: String, change: Value, outcome: String = "ok",
                       correlationID: String, in tx: Transaction) throws {
        try AuditLog.append(AuditLog.Record(shopID: 0, actor: actor, operation: operation, entity: entity, change: change,
                                            correlationID: correlationID, outcome: outcome), at: clock.millis, in: tx)
    }
}

extension Kernel {
    /// Fault injection for crash tests: `SOUK_FAULT=crash-after-commit` ends the process
    /// right after a mutation commits and before its events are delivered.
    static func faultPoint(_ name: String) {
        if injectedFault == name { _exit(86) }
    }

    /// Read once: copying the environment on every mutation is measurable.
    private static let injectedFault = ProcessInfo.processInfo.environment["SOUK_FAULT"]
}
