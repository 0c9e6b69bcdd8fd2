import Kernel

/// The checkout pipeline: price (filters), validate (guards), then write the order in the
/// operation's transaction. Everything here runs inside one `orders.place` or
/// `orders.cart.checkout` operation, so a throw anywhere writes nothing.
enum Checkout {
    /// Runs the pricing filters and checks every line came back priced in the shop's currency.
    static func price(_ cart: Cart, _ scope: OperationScope) throws -> Cart {
        guard !cart.lines.isEmpty else { throw KernelError.invalid("lines", "the cart is empty") }
        guard cart.lines.count <= LineKeys.maximumLines else {
            throw KernelError.invalid("lines", "an order takes at most \(LineKeys.maximumLines) lines, got \(cart.lines.count)")
        }
        for line in cart.lines where line.quantity < 1 {
            throw KernelError.invalid("quantity", "quantity of SKU \(line.sku) must be at least 1, got \(line.quantity)")
        }
        let priced = try scope.filter(Hooks.checkoutPrice, cart)
        // Pricing filters may add lines (a gift, a bundle's parts): the limit holds after them too.
        guard priced.lines.count <= LineKeys.maximumLines else {
            throw KernelError.invalid("lines", "an order takes at most \(LineKeys.maximumLines) lines, got \(priced.lines.count) after pricing")
        }
        for line in priced.lines {
            guard let price = line.unitPrice else {
                throw KernelError.invalid("sku", "SKU '\(line.sku)' has no price: is the catalog plugin enabled in this shop?")
            }
            guard price.currency == cart.currency else {
                throw KernelError.invalid("sku", "SKU '\(line.sku)' is priced in \(price.currency.code) but the cart is in \(cart.currency.code)")
            }
            guard price.minorUnits >= 0 else { throw KernelError.invalid("sku", "SKU '\(line.sku)' has a negative price") }
        }
        guard priced.adjustments.count <= LineKeys.maximumLines else {
            throw KernelError.invalid("lines", "an order takes at most \(LineKeys.maximumLines) adjustments, got \(priced.adjustments.count) after pricing")
        }
        for adjustment in priced.adjustments where adjustment.amount.currency != cart.currency {
            throw KernelError.invalid("currency", "adjustment '\(adjustment.code)' is in \(adjustment.amount.currency.code) but the cart is in \(cart.currency.code)")
        }
        _ = try priced.total()  // overflow and negative totals fail here, before anything is written
        return priced
    }

    /// What placing wrote, kept so the answer needs no second read of the same rows.
    struct Placed {
        let snapshot: OrderSnapshot
        let totals: Totals
        let placedAt: Int64
        let placedBy: String
        let destination: [String: String]
        /// What `paid_amount` holds: the total when the order was paid while placed.
        let paid: Money
        /// The payment taken at checkout, when one was asked for.
        let payment: CheckoutPaymentResult?
    }

    /// The fields of every checkout that can take the payment while placing.
    static let paymentFields = [
        Field("pay_with", .code, help: "pay while placing, in the same transaction: a payment method code, e.g. sandbox; approved in full, the order is placed paid"),
        Field("card", help: "card number for pay_with card methods; only its last 4 digits are kept", secret: true),
    ]

    /// A payment to take while placing (`pay_with`): the method and the card, never stored.
    struct PaymentAsked {
        let method: String
        let instrument: String?

        /// The input's `pay_with` and `card`, nil without `pay_with`; a card alone is refused.
        init?(_ scope: OperationScope) throws {
            guard let method = scope.input.optionalString("pay_with") else {
                if scope.input.has("card") {
                    throw KernelError.invalid("card", "a card is used only with pay_with: name the payment method too")
                }
                return nil
            }
            self.method = method
            instrument = scope.input.optionalString("card")
        }
    }

    /// Thrown out of the savepoint when the payment did not pay the order in full at once.
    private struct NotPaidAtOnce: Error {
        let result: CheckoutPaymentResult
    }

    /// The most lines written by one INSERT; larger orders take several.
    static let linesBatch = 16

    /// Parameter names of the n-th line of a multi-row INSERT: line0, sku0, title0, ...
    static let lineNames: [[String]] = (0..<linesBatch).map { index in
        ["id", "line", "sku", "title", "product", "quantity", "price", "total", "discount", "weight"].map { "\($0)\(index)" }
    }

    /// `INSERT INTO orders_lines ... VALUES (...), (...)` for 1...linesBatch lines, made once
    /// so that the connection finds each prepared statement by its text's address.
    static let lineInserts: [String] = (1...linesBatch).map { count in
        "INSERT INTO orders_lines (order_id, shop_id, id, line_no, sku, title, product_id, quantity, unit_price, line_total, discount, weight_grams) VALUES "
            + lineNames.prefix(count).map { "(:order, :shop, " + $0.map { ":" + $0 }.joined(separator: ", ") + ")" }.joined(separator: ", ")
    }

    /// Prices, validates and writes the order; with `paying`, pays it in the same transaction.
    ///
    /// Paying writes the order paid, then, in a savepoint, lets the other plugins write
    /// theirs for a paid order (`order.placing` with status `paid`: Inventory sells the
    /// stock) and asks the payment plugin (`order.paying`). When the payment does not pay
    /// in full at once, the savepoint rolls back, the order is set to wait for payment, and
    /// both hooks run again: stock reserved, the payment's first answer recorded, not asked
    /// again. Approvals are the common case, so they cost one pass.
    static func place(_ cart: Cart, paying: PaymentAsked? = nil, _ scope: OperationScope) throws -> Placed {
        let priced = try price(cart, scope)
        try scope.check(Hooks.checkoutValidate, priced)
        let totals = try Totals(priced)
        let shop = try scope.context.requireShop()
        let db = try scope.db
        let actor = scope.context.actor.description, now = scope.now
        // The shop's next order number, from the kernel's per-shop counters: the same page as
        // the audit chain's head, which this transaction writes anyway.
        let next = try db.nextCounterValue("orders.number", first: 1001)
        let number = "\(shop.code.uppercased())-\(next)"
        // Written paid at once when paying: approvals are the common case, and the rare
        // other outcomes set it back below.
        var status: OrderStatus = paying == nil ? .pendingPayment : .paid
        let orderID = try insertOrder(priced, totals, number: number, status: status,
                                      paidBy: paying.map { "paid at checkout (\($0.method))" }, db, actor: actor, now: now)
        try writeLines(priced, totals, orderID: orderID, db)
        // Keyed like the lines (`order × 1024 + n`), so no index is updated for them.
        for (index, adjustment) in priced.adjustments.enumerated() {
            try db.execute("""
                INSERT INTO orders_adjustments (id, order_id, shop_id, kind, code, label, amount)
                VALUES (:id, :order, :shop, :kind, :code, :label, :amount)
                """, values: ["id": .integer(LineKeys.id(order: orderID, line: index + 1)), "order": .integer(orderID),
                              "kind": .text(adjustment.kind.rawValue), "code": .text(adjustment.code), "label": .text(adjustment.label),
                              "amount": .integer(adjustment.amount.minorUnits)])
        }
        // No transition row for the first state: the order's `placed_at` and `placed_by` say
        // who placed it and when (`orders.history` lists them as the first step).
        func snapshot(_ status: OrderStatus) -> OrderSnapshot {
            OrderSnapshot(id: orderID, number: number, customerID: priced.customerID, status: status, lines: priced.lines,
                          adjustments: priced.adjustments, total: totals.total, attributes: priced.attributes)
        }
        var payment: CheckoutPaymentResult?
        if let paying {
            // The rules for paying an order apply to paying it while it is placed.
            try scope.check(Hooks.orderTransition, OrderTransition(order: snapshot(.pendingPayment), from: .pendingPayment, to: .paid,
                                                                    reason: "paid at checkout"))
            // One key for both runs, so the attempts record the key the provider was given.
            let key = providerKey(scope)
            do {
                // Only what the other plugins write goes in the savepoint (SQLite copies each
                // page a savepoint touches first): the order's own rows are set back by hand.
                payment = try db.savepoint {
                    _ = try scope.filter(Hooks.orderPlacing, snapshot(.paid))
                    let result = try pay(paying, snapshot(.paid), key: key, decided: nil, scope)
                    guard result.paidInFull else { throw NotPaidAtOnce(result: result) }
                    return result
                }
            } catch let notPaid as NotPaidAtOnce {
                status = .pendingPayment
                try db.execute("""
                    UPDATE orders_orders SET status = :status, paid_amount = 0, paid_on_placement = NULL WHERE shop_id = :shop AND id = :id
                    """, values: ["status": .text(status.rawValue), "id": .integer(orderID)])
                _ = try scope.filter(Hooks.orderPlacing, snapshot(.pendingPayment))
                payment = try pay(paying, snapshot(.pendingPayment), key: key, decided: notPaid.result, scope)
            }
        } else {
            // Other plugins write their rows for this order inside the same transaction.
            _ = try scope.filter(Hooks.orderPlacing, snapshot(.pendingPayment))
        }
        try scope.publish(Hooks.orderPlaced, OrderEvent(orderID: orderID, number: number, customerID: priced.customerID,
                                                        status: status, previousStatus: nil, total: totals.total))
        scope.audit(entity: "order:" + number, change: auditChange(number: number, priced, totals, status: status, payment: payment,
                                                                   method: paying?.method))
        return Placed(snapshot: snapshot(status), totals: totals, placedAt: now, placedBy: actor, destination: priced.destination,
                      paid: status == .paid ? totals.total : Money.zero(totals.total.currency), payment: payment)
    }

    /// The key the provider gets: the request's own key when it has one (a retry of the same
    /// request is the same payment), else a fresh one. Never the order number alone: numbers
    /// of rolled-back orders are handed out again.
    private static func providerKey(_ scope: OperationScope) -> String {
        let shop = scope.context.shop?.code ?? ""
        return scope.context.idempotencyKey.map { "\(shop):\($0):pay" } ?? SecureRandom.token(prefix: "\(shop):pay_", byteCount: 12)
    }

    /// Asks the payment plugins (`order.paying`) to take the payment of the order.
    private static func pay(_ paying: PaymentAsked, _ order: OrderSnapshot, key: String, decided: CheckoutPaymentResult?,
                            _ scope: OperationScope) throws -> CheckoutPaymentResult {
        let asked = CheckoutPayment(order: order, method: paying.method, instrument: paying.instrument, idempotencyKey: key,
                                    decided: decided)
        guard let result = try scope.filter(Hooks.orderPaying, asked).result else {
            throw KernelError.invalid("pay_with", "no plugin enabled in this shop takes payment method '\(paying.method)' at checkout")
        }
        return result
    }

    /// Inserts the order row; returns its id.
    private static func insertOrder(_ priced: Cart, _ totals: Totals, number: String, status: OrderStatus, paidBy: String?,
                                    _ db: ShopDatabase, actor: String, now: Int64) throws -> Int64 {
        // Values are bound as ordered pairs, in the order each statement names them.
        let paid = status == .paid ? totals.total.minorUnits : 0
        try db.execute("""
            INSERT INTO orders_orders (shop_id, number, customer_id, currency, subtotal, discount_total, shipping_total, fee_total,
                tax_total, total, status, paid_amount, paid_on_placement, attributes, destination, placed_at, placed_by, updated_at)
            VALUES (:shop, :number, :customer, :currency, :subtotal, :discounts, :shipping, :fees, :tax, :total, :status, :paid,
                :paidBy, :attributes, :destination, :now, :actor, :now)
            """, values: ["number": .text(number), "customer": priced.customerID.sqlValue, "currency": .text(priced.currency.code),
                          "subtotal": .integer(totals.subtotal.minorUnits), "discounts": .integer(totals.discounts.minorUnits),
                          "shipping": .integer(totals.shipping.minorUnits), "fees": .integer(totals.fees.minorUnits),
                          "tax": .integer(totals.tax.minorUnits), "total": .integer(totals.total.minorUnits),
                          "status": .text(status.rawValue), "paid": .integer(paid), "paidBy": paidBy.sqlValue,
                          "attributes": .text(OrderRecord.encode(priced.attributes)),
                          "destination": .text(OrderRecord.encode(priced.destination)), "now": .integer(now), "actor": .text(actor)])
        return db.lastInsertRowID
    }

    /// The lines in one multi-row INSERT per `linesBatch` lines.
    private static func writeLines(_ priced: Cart, _ totals: Totals, orderID: Int64, _ db: ShopDatabase) throws {
        var start = 0
        while start < priced.lines.count {
            let end = min(start + linesBatch, priced.lines.count)
            var values: [(String, SQLValue)] = [("order", .integer(orderID))]
            values.reserveCapacity(1 + 10 * (end - start))
            for index in start..<end {
                let line = priced.lines[index], names = lineNames[index - start]
                values.append((names[0], .integer(LineKeys.id(order: orderID, line: index + 1))))
                values.append((names[1], .integer(Int64(index + 1))))
                values.append((names[2], .text(line.sku)))
                values.append((names[3], .text(line.title)))
                values.append((names[4], line.productID.sqlValue))
                values.append((names[5], .integer(line.quantity)))
                values.append((names[6], .integer(line.unitPrice!.minorUnits)))
                values.append((names[7], .integer(try line.total().minorUnits)))
                values.append((names[8], .integer(totals.lineDiscounts[index].minorUnits)))
                values.append((names[9], .integer(line.weightGrams)))
            }
            try db.execute(lineInserts[end - start - 1], values: values)
            start = end
        }
    }

    /// What the audit log keeps of a placement: the order, its lines, and the payment taken.
    private static func auditChange(number: String, _ priced: Cart, _ totals: Totals, status: OrderStatus,
                                    payment: CheckoutPaymentResult?, method: String?) -> Value {
        var audited: [Value] = []
        audited.reserveCapacity(priced.lines.count)
        for line in priced.lines {
            var object = Value.Object(minimumCapacity: 2)
            object.append("sku", .string(line.sku))
            object.append("quantity", .int(line.quantity))
            audited.append(.object(object))
        }
        var change = Value.Object(minimumCapacity: 7)
        change.append("number", .string(number))
        change.append("customer", Value(priced.customerID.map { Int($0) }))
        change.append("total", .int(totals.total.minorUnits))
        change.append("currency", .string(totals.total.currency.code))
        change.append("lines", .array(audited))
        if let payment, let method {
            change.append("status", .string(status.rawValue))
            var paid = Value.Object(minimumCapacity: 6)
            paid.append("method", .string(method))
            paid.append("outcome", .string(payment.outcome))
            paid.append("reason", Value(payment.reason))
            paid.append("reference", Value(payment.reference))
            paid.append("amount", payment.payment["amount"]?["amount"] ?? .null)
            paid.append("card_last4", payment.payment["card_last4"] ?? .null)
            change.append("payment", .object(paid))
        }
        return .object(change)
    }
}

/// The totals breakdown of a priced cart, with the discounts spread over the lines so that
/// the lines' discounts add up exactly to the order's discount.
struct Totals {
    let subtotal: Money
    let discounts: Money
    let shipping: Money
    let fees: Money
    let tax: Money
    let total: Money
    let lineDiscounts: [Money]

    init(_ cart: Cart) throws {
        // The same sums as `Cart.subtotal()`, `adjustmentTotal(_:)` and `total()`, in the same
        // order (so the same overflow and negative-total errors), in one pass over each list.
        let zero = Money.zero(cart.currency)
        var lineTotals: [Int64] = []
        lineTotals.reserveCapacity(cart.lines.count)
        var subtotal = zero
        for line in cart.lines {
            let lineTotal = try line.total()
            lineTotals.append(lineTotal.minorUnits)
            subtotal = try subtotal.adding(lineTotal)
        }
        var discounts = zero, shipping = zero, fees = zero, tax = zero, adjustments = zero
        for adjustment in cart.adjustments {
            switch adjustment.kind {
            case .discount: discounts = try discounts.adding(adjustment.amount)
            case .shipping: shipping = try shipping.adding(adjustment.amount)
            case .fee: fees = try fees.adding(adjustment.amount)
            case .tax: tax = try tax.adding(adjustment.amount)
            }
            adjustments = try adjustments.adding(adjustment.amount)
        }
        let total = try subtotal.adding(adjustments)
        guard total.minorUnits >= 0 else { throw KernelError(.invalidInput, "the cart total would be negative (\(total))") }
        self.subtotal = subtotal
        self.discounts = discounts
        self.shipping = shipping
        self.fees = fees
        self.tax = tax
        self.total = total
        guard discounts.minorUnits <= 0 else { throw KernelError.invalid("discount", "a discount must not be positive (\(discounts))") }
        guard try subtotal.adding(discounts).minorUnits >= 0 else {
            throw KernelError.invalid("discount", "discounts (\(discounts.negated)) exceed the subtotal (\(subtotal))")
        }
        lineDiscounts = try discounts.allocated(over: lineTotals)
    }
}
