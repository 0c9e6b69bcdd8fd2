import Kernel

/// The shop's payment methods: which providers it offers, in what order, at what fee and
/// for which order amounts.
enum MethodOperations {
    static let all = [configure, list]

    static let configure = OperationSpec(
        name: "payment.method.configure",
        summary: "Create or update a payment method (fields left out keep their value)",
        fields: [
            Field("code", .code, required: true, help: "provider code: sandbox, cod, bank_transfer or one a plugin adds", positional: true),
            Field("enabled", .bool, help: "offered to shoppers (default true when creating)"),
            Field("display_order", .int, help: "position within its group, lower first (default 0)"),
            Field("group", help: "mainstream or other (default: mainstream for card providers, other for offline ones)"),
            Field("fee", .int, help: "fee added to the order total in minor units (150 = 1.50 in a 2-decimal currency; default 0)"),
            Field("min_amount", .int, help: "smallest amount (order total plus fee) accepted, in minor units"),
            Field("max_amount", .int, help: "largest amount (order total plus fee) accepted, in minor units"),
            Field("clear_limits", .bool, help: "remove min_amount and max_amount (before applying any given here)"),
        ],
        permission: "payment.manage", mutates: true
    ) { scope in
        let input = scope.input
        let code = try input.string("code")
        let provider = try Providers.require(code, scope, field: "code")
        let currency = try shopCurrency(scope)
        let existing = try PaymentMethod.find(code, scope)

        let enabled = input.has("enabled") ? input.bool("enabled") : (existing?.enabled ?? true)
        let displayOrder = input.optionalInt("display_order") ?? existing?.displayOrder ?? 0
        let group: PaymentMethod.Group
        if let text = input.optionalString("group") {
            guard let parsed = PaymentMethod.Group(rawValue: text) else {
                throw KernelError.invalid("group", "'\(text)' is not a payment method group: use mainstream or other")
            }
            group = parsed
        } else {
            group = existing?.group ?? (provider.isOffline ? .other : .mainstream)
        }
        let fee = input.optionalInt("fee") ?? existing?.fee ?? 0
        guard fee >= 0 else { throw KernelError.invalid("fee", "the fee must be 0 or more minor units, got \(fee)") }
        let clear = input.bool("clear_limits")
        let minAmount = input.optionalInt("min_amount") ?? (clear ? nil : existing?.minAmount)
        let maxAmount = input.optionalInt("max_amount") ?? (clear ? nil : existing?.maxAmount)
        if let minAmount, minAmount < 0 {
            throw KernelError.invalid("min_amount", "min_amount must be 0 or more minor units, got \(minAmount)")
        }
        if let maxAmount, maxAmount < 0 {
            throw KernelError.invalid("max_amount", "max_amount must be 0 or more minor units, got \(maxAmount)")
        }
        if let minAmount, let maxAmount, minAmount > maxAmount {
            throw KernelError.invalid(input.has("min_amount") ? "min_amount" : "max_amount",
                "min_amount (\(Money(minorUnits: minAmount, currency: currency))) must not exceed max_amount (\(Money(minorUnits: maxAmount, currency: currency)))")
        }

        let db = try scope.db
        let parameters: [String: any SQLBindable] = [
            "code": code, "enabled": enabled, "order": displayOrder, "group": group.rawValue, "fee": fee,
            "min": minAmount, "max": maxAmount, "now": scope.now,
        ]
        if existing != nil {
            try db.execute("""
                UPDATE payment_methods SET enabled = :enabled, display_order = :order, method_group = :group, fee = :fee,
                    min_amount = :min, max_amount = :max, updated_at = :now
                WHERE shop_id = :shop AND code = :code
                """, parameters)
        } else {
            try db.execute("""
                INSERT INTO payment_methods (shop_id, code, enabled, display_order, method_group, fee, min_amount, max_amount, created_at, updated_at)
                VALUES (:shop, :code, :enabled, :order, :group, :fee, :min, :max, :now, :now)
                """, parameters)
        }
        guard let saved = try PaymentMethod.find(code, scope) else { throw KernelError(.storage, "payment method '\(code)' was not saved") }
        scope.audit(entity: "payment_method:\(code)", change: ["before": existing?.auditValue ?? .null, "after": saved.auditValue])
        return saved.value(provider: provider, currency: currency)
    }

    static let list = OperationSpec(
        name: "payment.method.list", summary: "List payment methods: mainstream first, then others, by display order",
        fields: [Field("enabled", .bool, help: "only enabled (true) or disabled (false) methods")],
        permission: "payment.read", mutates: false
    ) { scope in
        let filter = scope.input.has("enabled") ? scope.input.bool("enabled") : nil
        let providers = try Providers.all(scope)
        let currency = try shopCurrency(scope)
        return .array(try PaymentMethod.all(scope).filter { filter == nil || $0.enabled == filter }.map { method in
            method.value(provider: providers.first { $0.code == method.code }, currency: currency)
        })
    }

    static func shopCurrency(_ scope: OperationScope) throws -> Currency {
        let code = try scope.context.requireShop().currency
        guard let currency = Currency(code: code) else { throw KernelError(.storage, "the shop's currency '\(code)' is unknown") }
        return currency
    }
}
