import Kernel

/// Checkout and payment in one transaction: place the order (pricing filters, guards, stock
/// reservation), authorize the card and, when the provider approves at once, capture it and
/// mark the order paid, all committed together. It runs the same operations as the three
/// separate steps (`orders.place`, `payment.authorize`, `payment.capture`), so every rule,
/// record and audit entry is the same; what it saves is two write transactions per order.
///
/// A provider that does not answer at once (`pending`) or declines leaves a placed order
/// waiting for payment, with the attempt on record, exactly as `payment.authorize` would; a
/// timeout too (retry the checkout with the same key, or `payment.authorize` with the order
/// number). A capture refused after the card was authorized (an `order.transition` guard's
/// veto) keeps the order and its authorization and says why in `capture_error`. Bad input, a
/// checkout guard's veto or missing stock writes nothing. The key names one checkout: the
/// same key with other lines, customer, destination or method is a conflict.
enum CheckoutOperations {
    static let all = [checkout]

    static let checkout = OperationSpec(
        name: "payment.checkout",
        summary: "Place an order and pay it in one transaction: authorize, and capture at once when the provider approves",
        fields: [
            Field("lines", .list, required: true, help: "SKU:QUANTITY items, e.g. TEA-1:2,CUP-3:1"),
            Field("customer", .int, help: "customer id"),
            Field("attributes", .list, help: "requests as key=value, e.g. shipping_method=express"),
            Field("destination", .list, help: "country=FR,region=IDF,city=PAR"),
            Field("method", .code, required: true, help: "payment method code, e.g. sandbox, cod, bank_transfer"),
            Field("card", help: "card number for card methods (offline methods take none); only its last 4 digits are kept",
                  secret: true),
            PaymentRequestKey.field,
        ],
        // It captures, so it needs what capturing needs; the steps it runs check their own
        // permissions too (orders.place, payment.charge, orders.payment.record): a manager, or
        // a clerk who also holds the finance role.
        permission: "payment.capture", mutates: true
    ) { scope in
        let key = try PaymentRequestKey.input(scope)
        // The steps' keys add ":authorize" and ":capture" to it, within their 200 characters.
        guard key.count <= 190 else {
            throw KernelError.invalid("idempotency_key", "the idempotency key has \(key.count) characters; payment.checkout takes at most 190")
        }
        let code = try scope.input.string("method")
        var placeInput: Value.Object = ["lines": scope.input.values["lines"] ?? .array([])]
        for name in ["customer", "attributes", "destination"] {
            if let value = scope.input.values[name] { placeInput[name] = value }
        }
        // What the key stands for: the same key for another cart or method is a conflict.
        let fingerprint = SHA256.hex(JSON.encode(.object(placeInput)) + "\u{0}" + code)
        // The same key again: the first checkout's order, paid or not, never a second order.
        if let first = try firstCheckout(key: key, scope) {
            guard first.fingerprint == fingerprint else {
                throw KernelError(.conflict, """
                    idempotency key '\(key)' was already used for the checkout of order \(first.order) with other lines, \
                    customer, destination or method: use a new key for a different checkout
                    """, field: "idempotency_key")
            }
            return try replay(order: first.order, method: code, key: key, scope)
        }
        // Checked before anything is written, so a bad method costs no order number.
        let (_, provider) = try PaymentMethod.usable(code, scope)
        let placed = try scope.perform("orders.place", placeInput)
        guard let number = placed["number"]?.stringValue else { throw KernelError(.internal, "orders.place answered no order number") }
        try scope.db.execute("""
            INSERT INTO payment_requests (shop_id, idempotency_key, action, order_number, method, amount, outcome, response, created_at, updated_at)
            VALUES (:shop, :key, 'checkout', :order, :method, NULL, 'placed', :fingerprint, :now, :now)
            """, ["key": key + ":checkout", "order": number, "method": code, "fingerprint": fingerprint, "now": scope.now])
        return try pay(order: placed, number: number, method: code, offline: provider.isOffline, key: key, scope)
    }

    /// Authorizes (and for card methods approved at once, captures) the order just placed.
    static func pay(order placed: Value, number: String, method: String, offline: Bool, key: String,
                    _ scope: OperationScope) throws -> Value {
        let charge = try charge(number: number, method: method, offline: offline, key: key, scope)
        var order = placed
        if charge.payment["order_status"] == .string(OrderStatus.paid.rawValue), case .object(var object) = order {
            // What `orders.pay` wrote: the order is paid in full.
            object["status"] = .string(OrderStatus.paid.rawValue)
            object["paid"] = object["total"]
            order = .object(object)
        }
        scope.audit(entity: "order:\(number)", change: ["order": .string(number), "method": .string(method),
                                                         "outcome": charge.payment["outcome"] ?? .null,
                                                         "order_status": order["status"] ?? .null])
        return answer(order: order, charge)
    }

    /// Runs `payment.authorize` and, for a card approved at once, `payment.capture`, each with
    /// its step's key; the same calls for a first checkout and for its retries.
    static func charge(number: String, method: String, offline: Bool, key: String,
                       _ scope: OperationScope) throws -> (payment: Value, captureError: String?) {
        var authorizeInput: Value.Object = ["order": .string(number), "method": .string(method),
                                            "idempotency_key": .string(key + ":authorize")]
        if let card = scope.input.optionalString("card") { authorizeInput["card"] = .string(card) }
        var payment = try scope.perform("payment.authorize", authorizeInput)
        var captureError: String?
        if payment["outcome"] == "approved", !offline {
            do {
                payment = try scope.perform("payment.capture", ["order": .string(number), "idempotency_key": .string(key + ":capture")])
            } catch let error as KernelError {
                // The capture (and the order becoming paid) rolled back alone, e.g. vetoed by an
                // `order.transition` guard: keep the order and its authorization, say why, and
                // let the same key try the capture again.
                captureError = "\(error.code.rawValue): \(error.message)"
                scope.notReplayable()
            }
        }
        // Pending or timed out settles nothing: the request's key must run it again.
        if payment["outcome"] != "approved" && payment["outcome"] != "declined" { scope.notReplayable() }
        return (payment, captureError)
    }

    static func answer(order: Value, _ charge: (payment: Value, captureError: String?)) -> Value {
        var answer: Value.Object = ["order": order, "outcome": charge.payment["outcome"] ?? .null,
                                    "reason": charge.payment["reason"] ?? .null, "payment": charge.payment["payment"] ?? .null]
        if let captureError = charge.captureError { answer["capture_error"] = .string(captureError) }
        return .object(answer)
    }

    /// The order a checkout with this key placed, and what the checkout was, if one did.
    static func firstCheckout(key: String, _ scope: OperationScope) throws -> (order: String, fingerprint: String)? {
        guard let row = try scope.db.query("""
            SELECT order_number, response FROM payment_requests WHERE shop_id = :shop AND idempotency_key = :key AND action = 'checkout'
            """, ["key": key + ":checkout"]).first else { return nil }
        return (try row.string("order_number"), try row.string("response"))
    }

    /// Answers a repeated checkout from what the first one did: the payment requests replay
    /// their first results, and one that had timed out asks the provider again with the same
    /// key (so a retried checkout can finish paying its order, never place another).
    static func replay(order number: String, method: String, key: String, _ scope: OperationScope) throws -> Value {
        let offline = try Providers.find(method, scope)?.isOffline ?? true
        let charge = try charge(number: number, method: method, offline: offline, key: key, scope)
        return answer(order: try scope.perform("orders.show", ["order": .string(number)]), charge)
    }
}
