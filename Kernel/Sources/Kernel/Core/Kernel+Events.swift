import Foundation

extension Kernel {
    /// What one delivery pass did.
    public struct DeliveryReport: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var failed = 0
    }

    /// Attempts after which an event is parked as failed (visible in `souk outbox list`).
    static let maxDeliveryAttempts = 10

    /// Delivers due events from the outbox to their subscribers. Each subscriber runs in a
    /// transaction of its own that also records its delivery, so a crash at any point
    /// neither loses an event nor runs a subscriber's writes twice. Called after every
    /// mutation and at start-up; hosts that stay up also call it periodically.
    @discardableResult
    public func deliverPendingEvents(limit: Int = 200) -> DeliveryReport {
        var report = DeliveryReport()
        let now = clock.millis
        guard let due = try? store.read({ tx in
            try tx.query("""
                SELECT id, shop_id, event, payload, correlation_id, attempts, subscribers FROM souk_outbox
                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?
                """, [now, limit])
        }) else { return report }
        for row in due {
            guard let id = try? row.int64("id"), let shopID = try? row.int64("shop_id"), let event = try? row.string("event"),
                  let payload = try? row.string("payload"), let correlation = try? row.string("correlation_id"),
                  let attempts = try? row.int("attempts") else { continue }
            // The subscribers it was queued for (all of the event's, for rows written before
            // outbox rows named them).
            let named = (try? row.optionalString("subscribers")).flatMap { $0 }.map { Set($0.split(separator: "\n").map(String.init)) }
            let loaded = hooks.handlers(.event, event)
            let targets = loaded.filter { named?.contains($0.subscriberID) ?? true }
            var lastError: String?
            // A subscriber the event was queued for whose plugin is not loaded now (it failed
            // to load, or was removed) keeps the event pending, then parks it as failed where
            // `outbox list` shows it: never marked delivered behind its back.
            if let missing = named?.subtracting(loaded.map(\.subscriberID)).sorted().first {
                lastError = "\(missing): not loaded in this process (is its plugin installed and loading?)"
            }
            var markedDelivered = false
            for (index, entry) in targets.enumerated() {
                guard let handler = entry.handler as? EventHandler else { continue }
                do {
                    try store.write { tx in
                        let done = try !tx.query("SELECT 1 FROM souk_outbox_deliveries WHERE outbox_id = ? AND subscriber = ?",
                                                 [id, entry.subscriberID]).isEmpty
                        // The last subscriber's transaction also closes the event when all went
                        // well: one transaction fewer per event.
                        let closes = index == targets.count - 1 && lastError == nil
                        if done {
                            if closes { markedDelivered = try markDelivered(id, in: tx) }
                            return
                        }
                        let shop = try shopRef(id: shopID, in: tx)
                        let enabled = try shop.map { try enabledPlugins(shopID: $0.id, in: tx).contains(entry.pluginID) } ?? true
                        if entry.pluginID == "kernel" || enabled {
                            let context = OperationContext(shop: shop, actor: .system, isOperator: true,
                                                           correlationID: correlation, clock: clock)
                            let scope = OperationScope(kernel: self, context: context, input: OperationInput(values: [:]),
                                                       operation: "event:\(event)", transaction: tx)
                            try handler(payload, scope)
                            // A subscriber that called `scope.audit` is audited like an operation,
                            // in its own transaction: operation `event:NAME`, actor `system`.
                            if let entity = scope.auditEntity, let change = scope.auditChange {
                                try AuditLog.append(AuditLog.Record(
                                    shopID: shop?.id ?? 0, actor: context.actor.description, operation: scope.operation,
                                    entity: entity, change: change, correlationID: correlation, outcome: "ok"),
                                    at: clock.millis, in: tx)
                            }
                        }
                        try tx.execute("INSERT INTO souk_outbox_deliveries (outbox_id, subscriber, delivered_at) VALUES (?, ?, ?)",
                                       [id, entry.subscriberID, clock.millis])
                        if closes { markedDelivered = try markDelivered(id, in: tx) }
                    }
                } catch {
                    markedDelivered = false
                    lastError = "\(entry.subscriberID): \(KernelError.wrap(error).message)"
                }
            }
            if markedDelivered {
                report.delivered += 1
                continue
            }
            do {
                try store.write { tx in
                    if let lastError {
                        let tries = attempts + 1
                        let backoff = min(Int64(1000) << Int64(min(tries, 12)), 3_600_000)
                        try tx.execute("""
                            UPDATE souk_outbox SET attempts = ?, last_error = ?, next_attempt_at = ?,
                            failed_at = CASE WHEN ? >= ? THEN ? ELSE NULL END WHERE id = ?
                            """, [tries, lastError, clock.millis + backoff, tries, Self.maxDeliveryAttempts, clock.millis, id])
                    } else {
                        _ = try markDelivered(id, in: tx)
                    }
                }
                if lastError == nil { report.delivered += 1 } else if attempts + 1 >= Self.maxDeliveryAttempts { report.failed += 1 } else { report.retrying += 1 }
            } catch {
                report.retrying += 1
            }
        }
        return report
    }

    /// Closes an event whose subscribers all took it. True (the caller's transaction commits it).
    private func markDelivered(_ id: Int64, in tx: Transaction) throws -> Bool {
        try tx.execute("UPDATE souk_outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL", [clock.millis, id])
        return true
    }

    func shopRef(id: Int64, in tx: Transaction) throws -> ShopRef? {
        guard id != 0, let row = try tx.query("SELECT id, code, currency FROM souk_shops WHERE id = ?", [id]).first else { return nil }
        return ShopRef(id: try row.int64("id"), code: try row.string("code"), currency: try row.string("currency"))
    }
}

extension Kernel {
    /// Events waiting for delivery (not delivered, not parked as failed), for metrics.
    public func outboxBacklog() throws -> Int {
        try store.read { tx in
            try tx.query("SELECT count(*) AS n FROM souk_outbox WHERE delivered_at IS NULL AND failed_at IS NULL").first?.int("n") ?? 0
        }
    }
}
