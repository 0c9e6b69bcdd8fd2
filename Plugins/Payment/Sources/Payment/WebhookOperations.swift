import Kernel

/// Gateway callbacks. The signature, the timestamp and replays are checked before anything
/// is read or written; a refusal is a `permission_denied` error, which the kernel audits.
/// A valid `payment.succeeded` captures a pending card payment and pays the order in the
/// same transaction; `payment.failed` marks it failed and leaves the order pending payment.
enum WebhookOperations {
    static let all = [receive]

    static let receive = OperationSpec(
        name: "payment.webhook", summary: "Receive a signed payment gateway callback (the HTTP host calls this)",
        fields: [
            Field("payload", required: true, help: "the callback body as received: JSON with reference, event, amount and timestamp"),
            Field("signature", required: true, help: "hex HMAC-SHA256 of \"<timestamp>.<payload>\" with the shop's webhook secret"),
        ],
        // Gateways hold no session: over HTTP the call arrives without a token and the
        // signature check below is its authentication.
        permission: "payment.webhook", mutates: true, audience: .integration
    ) { scope in
        let shop = try scope.context.requireShop()
        let payload = try scope.input.string("payload"), signature = try scope.input.string("signature")
        guard case .string(let secret) = try scope.setting(plugin: "payment", "webhook_secret"), !secret.isEmpty else {
            throw KernelError.denied("""
                webhooks are refused in shop '\(shop.code)': no webhook secret is set; \
                set one with: souk settings set --shop \(shop.code) --plugin payment --key webhook_secret --value SECRET
                """)
        }
        let timestamp = try WebhookPayload.timestamp(payload)
        guard WebhookSignature.isValid(signature, secret: secret, timestamp: timestamp, payload: payload) else {
            throw KernelError.denied("webhook refused: the signature does not match the payload and the shop's webhook secret")
        }
        let (difference, overflow) = (scope.now / 1000).subtractingReportingOverflow(timestamp)
        guard !overflow, difference.magnitude <= WebhookSignature.tolerance else {
            throw KernelError.denied("""
                webhook refused: its timestamp \(timestamp) is \(overflow ? "far" : "\(difference.magnitude) s") from now; \
                at most \(WebhookSignature.tolerance) s is accepted (stale or replayed callback)
                """)
        }
        let normalized = Hex.encode(Hex.decode(signature) ?? [])
        let db = try scope.db
        guard try db.query("SELECT 1 FROM payment_webhooks WHERE shop_id = :shop AND signature = :signature",
                           ["signature": normalized]).isEmpty else {
            throw KernelError.denied("webhook refused: this signature was already received (replayed callback)")
        }

        let callback = try WebhookPayload(payload)
        guard let payment = try PaymentRecord.find(reference: callback.reference, scope) else {
            throw KernelError(.notFound, "no payment with reference \(callback.reference) in this shop", field: "payload")
        }
        let provider = try Providers.require(payment.method, scope)
        guard !provider.isOffline else {
            throw KernelError.invalid("payload", """
                reference \(callback.reference) is a \(provider.name.lowercased()) payment; gateways do not confirm those: \
                record the money with payment.mark-paid
                """)
        }

        // Voided at its order's cancellation while the gateway had not confirmed it yet: its
        // authorization was answered `pending` (a card authorized at once and voided later is
        // not this case, and a late confirmation of it moves nothing).
        let calledOff = try payment.status == .voided && payment.captured == 0
            && Attempts.lastOutcome(of: .authorize, payment, scope) == .pending
            && OrderLookup.order(payment.orderNumber, scope).isCancelled
        var updated = payment
        var result = "ignored"
        var note: String?
        var orderStatus: String?
        switch callback.event {
        case WebhookPayload.succeeded where payment.status == .pending || calledOff:
            // Pending: the confirmation it waited for. Voided with its order cancelled: the
            // charge was called off at cancellation, but the gateway took the money anyway.
            // Either way the money is recorded as taken, and given back if the order is gone.
            if let amount = callback.amount, amount != payment.amount {
                throw KernelError.invalid("payload", """
                    the webhook confirms \(payment.money(amount)) but the pending payment of order \(payment.orderNumber) \
                    is \(payment.money(payment.amount))
                    """)
            }
            let order = try OrderLookup.order(payment.orderNumber, scope)
            updated.status = .captured
            updated.authorized = payment.amount
            updated.captured = payment.amount
            try updated.save(scope)
            try Attempts.append(payment: updated, action: .webhook, amount: payment.amount, key: nil,
                                outcome: Outcome(kind: .approved, reason: nil, reference: callback.reference),
                                reason: "gateway confirmed: \(callback.event)", scope)
            result = "captured"
            if order.isPendingPayment {
                orderStatus = try ChargeOperations.payOrder(payment.orderNumber, because: "payment confirmed by the gateway (\(callback.reference))", scope)
            } else if order.isCancelled {
                orderStatus = order.status
                note = "order \(order.number) is cancelled: the money taken is refunded (settlement late:\(callback.reference))"
                try scope.publish(PaymentEvents.lateCapture, LateCapture(orderNumber: order.number, reference: callback.reference,
                                                                         amount: payment.money(payment.amount)))
            } else {
                orderStatus = order.status
                note = "order \(order.number) is \(order.status): the money was captured anyway; refund it"
            }
        case WebhookPayload.failed where payment.status == .pending:
            updated.status = .failed
            try updated.save(scope)
            try Attempts.append(payment: updated, action: .webhook, amount: payment.amount, key: nil,
                                outcome: Outcome(kind: .declined, reason: nil, reference: callback.reference),
                                reason: "gateway reported: \(callback.event)", scope)
            result = "failed"
            orderStatus = try OrderLookup.order(payment.orderNumber, scope).status
        case WebhookPayload.succeeded, WebhookPayload.failed:
            note = "the payment of order \(payment.orderNumber) is \(payment.status.rawValue), not pending: nothing to do"
        default:
            note = "event '\(callback.event)' is not handled"
        }
        try db.execute("""
            INSERT INTO payment_webhooks (shop_id, signature, event, reference, result, received_at)
            VALUES (:shop, :signature, :event, :reference, :result, :now)
            """, ["signature": normalized, "event": callback.event, "reference": callback.reference, "result": result, "now": scope.now])
        scope.audit(entity: "payment:\(payment.orderNumber)", change: [
            "action": "webhook", "event": .string(callback.event), "reference": .string(callback.reference),
            "amount": callback.amount.map(Value.int) ?? .null, "result": .string(result),
            "status": .string(updated.status.rawValue), "captured": .int(updated.captured), "order_status": Value(orderStatus),
        ])
        var response: Value.Object = ["result": .string(result), "event": .string(callback.event), "reference": .string(callback.reference),
                                      "payment": updated.value]
        if let orderStatus { response["order_status"] = .string(orderStatus) }
        if let note { response["note"] = .string(note) }
        return .object(response)
    }
}
