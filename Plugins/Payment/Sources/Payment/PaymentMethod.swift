import Kernel

/// A payment method as a shop configures it (`payment_methods`): which provider, whether it
/// is offered, where it is listed, its fee and the order amounts it accepts.
struct PaymentMethod: Sendable {
    enum Group: String, CaseIterable, Sendable { case mainstream, other }

    let id: Int64
    let code: String
    let enabled: Bool
    let displayOrder: Int64
    let group: Group
    /// Added to the order total when this method pays it (minor units of the shop currency).
    let fee: Int64
    let minAmount: Int64?
    let maxAmount: Int64?

    static func find(_ code: String, _ scope: OperationScope) throws -> PaymentMethod? {
        try scope.db.query("SELECT * FROM payment_methods WHERE shop_id = :shop AND code = :code", ["code": code])
            .first.map(PaymentMethod.init(row:))
    }

    /// Mainstream methods first, then the others; by display order, then code.
    static func all(_ scope: OperationScope) throws -> [PaymentMethod] {
        try scope.db.query("""
            SELECT * FROM payment_methods WHERE shop_id = :shop
            ORDER BY CASE method_group WHEN 'mainstream' THEN 0 ELSE 1 END, display_order, code
            """).map(PaymentMethod.init(row:))
    }

    /// The enabled method `code` and its provider, or an error saying why it cannot be used.
    static func usable(_ code: String, _ scope: OperationScope) throws -> (method: PaymentMethod, provider: any PaymentProvider) {
        guard let method = try find(code, scope) else {
            throw KernelError(.notFound, "no payment method '\(code)' in this shop; configure it with payment.method.configure", field: "method")
        }
        guard method.enabled else {
            throw KernelError.invalid("method", "payment method '\(code)' is disabled in this shop; choose another method or enable it")
        }
        return (method, try Providers.require(code, scope))
    }

    init(row: Row) throws {
        id = try row.int64("id")
        code = try row.string("code")
        enabled = try row.bool("enabled")
        displayOrder = try row.int64("display_order")
        guard let group = Group(rawValue: try row.string("method_group")) else {
            throw KernelError(.storage, "payment method '\(code)' has an unknown group")
        }
        self.group = group
        fee = try row.int64("fee")
        minAmount = try row.optionalInt("min_amount").map(Int64.init)
        maxAmount = try row.optionalInt("max_amount").map(Int64.init)
    }

    /// Refuses `amount` when it is outside the method's limits, naming the limit.
    func check(_ amount: Money) throws {
        if let minAmount, amount.minorUnits < minAmount {
            throw KernelError.invalid("method", "the amount \(amount) is below the minimum of \(Money(minorUnits: minAmount, currency: amount.currency)) for payment method '\(code)'")
        }
        if let maxAmount, amount.minorUnits > maxAmount {
            throw KernelError.invalid("method", "the amount \(amount) is above the maximum of \(Money(minorUnits: maxAmount, currency: amount.currency)) for payment method '\(code)'")
        }
    }

    /// The method as hosts show it; `provider` is nil when no enabled plugin provides it.
    func value(provider: (any PaymentProvider)?, currency: Currency) -> Value {
        func money(_ minor: Int64?) -> Value { minor.map { Money(minorUnits: $0, currency: currency).value } ?? .null }
        return [
            "code": .string(code), "name": provider.map { .string($0.name) } ?? .null,
            "offline": provider.map { .bool($0.isOffline) } ?? .null, "available": .bool(provider != nil),
            "enabled": .bool(enabled), "group": .string(group.rawValue), "display_order": .int(displayOrder),
            "fee": money(fee), "min_amount": money(minAmount), "max_amount": money(maxAmount),
        ]
    }

    /// What the audit log keeps of a method.
    var auditValue: Value {
        ["enabled": .bool(enabled), "group": .string(group.rawValue), "display_order": .int(displayOrder), "fee": .int(fee),
         "min_amount": minAmount.map(Value.int) ?? .null, "max_amount": maxAmount.map(Value.int) ?? .null]
    }
}
