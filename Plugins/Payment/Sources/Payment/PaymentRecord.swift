import Kernel

/// The payment of one order (`payment_payments`): its method, the provider's reference,
/// where it stands and how much was authorized, captured and refunded.
struct PaymentRecord: Sendable {
    enum Status: String, CaseIterable, Sendable {
        case authorized, captured, partiallyRefunded = "partially_refunded", refunded, voided, pending, failed
    }

    var id: Int64?
    let orderNumber: String
    var method: String
    var reference: String?
    var status: Status
    let currency: Currency
    /// What the shopper is asked for: the order total plus the method's fee.
    var amount: Int64
    var fee: Int64
    var authorized: Int64
    var captured: Int64
    var refunded: Int64
    /// The last four digits of the card, when a card paid; never more.
    var cardLast4: String?
    var createdAt: Int64
    var updatedAt: Int64

    /// Authorized but not yet captured.
    var capturable: Int64 { max(0, authorized - captured) }
    /// Captured and not yet refunded.
    var refundable: Int64 { max(0, captured - refunded) }

    func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: currency) }

    static func find(order number: String, _ scope: OperationScope) throws -> PaymentRecord? {
        try scope.db.query("SELECT * FROM payment_payments WHERE shop_id = :shop AND order_number = :number", ["number": number])
            .first.map(PaymentRecord.init(row:))
    }

    static func find(reference: String, _ scope: OperationScope) throws -> PaymentRecord? {
        try scope.db.query("SELECT * FROM payment_payments WHERE shop_id = :shop AND provider_reference = :reference",
                           ["reference": reference]).first.map(PaymentRecord.init(row:))
    }

    /// The payment of order `number`, or `not_found` saying what to do.
    static func require(order number: String, _ scope: OperationScope) throws -> PaymentRecord {
        guard let payment = try find(order: number, scope) else {
            throw KernelError(.notFound, "order \(number) has no payment yet; authorize one first (payment.authorize)", field: "order")
        }
        return payment
    }

    /// A fresh payment for an order (not yet stored).
    init(order: OrderInfo, method: String, amount: Money, fee: Int64, now: Int64) {
        self.init(orderNumber: order.number, method: method, amount: amount, fee: fee, now: now)
    }

    /// A fresh payment for order `number` (not yet stored).
    init(orderNumber: String, method: String, amount: Money, fee: Int64, now: Int64) {
        id = nil
        self.orderNumber = orderNumber
        self.method = method
        reference = nil
        status = .failed
        currency = amount.currency
        self.amount = amount.minorUnits
        self.fee = fee
        authorized = 0
        captured = 0
        refunded = 0
        cardLast4 = nil
        createdAt = now
        updatedAt = now
    }

    init(row: Row) throws {
        id = try row.int64("id")
        orderNumber = try row.string("order_number")
        method = try row.string("method")
        reference = try row.optionalString("provider_reference")
        guard let status = Status(rawValue: try row.string("status")) else {
            throw KernelError(.storage, "payment of order \(orderNumber) has an unknown status")
        }
        self.status = status
        guard let currency = Currency(code: try row.string("currency")) else {
            throw KernelError(.storage, "payment of order \(orderNumber) has an unknown currency")
        }
        self.currency = currency
        amount = try row.int64("amount")
        fee = try row.int64("fee")
        authorized = try row.int64("authorized")
        captured = try row.int64("captured")
        refunded = try row.int64("refunded")
        cardLast4 = try row.optionalString("card_last4")
        createdAt = try row.int64("created_at")
        updatedAt = try row.int64("updated_at")
    }

    /// Inserts or updates the row; returns the payment as stored.
    @discardableResult
    mutating func save(_ scope: OperationScope) throws -> PaymentRecord {
        let db = try scope.db
        updatedAt = scope.now
        let parameters: [String: any SQLBindable] = [
            "number": orderNumber, "method": method, "reference": reference, "status": status.rawValue, "currency": currency.code,
            "amount": amount, "fee": fee, "authorized": authorized, "captured": captured, "refunded": refunded,
            "last4": cardLast4, "created": createdAt, "now": updatedAt,
        ]
        if let id {
            var withID = parameters
            withID["id"] = id
            try db.execute("""
                UPDATE payment_payments SET method = :method, provider_reference = :reference, status = :status, amount = :amount,
                    fee = :fee, authorized = :authorized, captured = :captured, refunded = :refunded, card_last4 = :last4,
                    updated_at = :now
                WHERE shop_id = :shop AND id = :id
                """, withID)
        } else {
            // Typed values in the order the statement names them: a payment is inserted on
            // every paid checkout.
            try db.execute("""
                INSERT INTO payment_payments (shop_id, order_number, method, provider_reference, status, currency, amount, fee,
                    authorized, captured, refunded, card_last4, created_at, updated_at)
                VALUES (:shop, :number, :method, :reference, :status, :currency, :amount, :fee,
                    :authorized, :captured, :refunded, :last4, :created, :now)
                """, values: ["number": .text(orderNumber), "method": .text(method), "reference": reference.sqlValue,
                              "status": .text(status.rawValue), "currency": .text(currency.code), "amount": .integer(amount),
                              "fee": .integer(fee), "authorized": .integer(authorized), "captured": .integer(captured),
                              "refunded": .integer(refunded), "last4": cardLast4.sqlValue, "created": .integer(createdAt),
                              "now": .integer(updatedAt)])
            id = db.lastInsertRowID
        }
        return self
    }

    /// The payment as hosts show it.
    var value: Value {
        [
            "id": id.map(Value.int) ?? .null, "order": .string(orderNumber), "method": .string(method), "status": .string(status.rawValue),
            "amount": money(amount).value, "fee": money(fee).value, "authorized": money(authorized).value,
            "captured": money(captured).value, "refunded": money(refunded).value,
            "reference": Value(reference), "card_last4": Value(cardLast4),
            "created_at": .string(Validation.isoString(millis: createdAt)),
            "updated_at": .string(Validation.isoString(millis: updatedAt)),
        ]
    }

    /// What the audit log keeps: amounts in minor units, status, last four digits only.
    var auditValue: Value {
        ["status": .string(status.rawValue), "method": .string(method), "currency": .string(currency.code), "amount": .int(amount),
         "authorized": .int(authorized), "captured": .int(captured), "refunded": .int(refunded),
         "reference": Value(reference), "card_last4": Value(cardLast4)]
    }
}
