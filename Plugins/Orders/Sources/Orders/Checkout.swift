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

    /// Prices, validates and writes the order.
    static func place(_ cart: Cart, _ scope: OperationScope) throws -> Placed {
        let shop = try scope.context.requireShop()
        let priced = try price(cart, scope)
        try scope.check(Hooks.checkoutValidate, priced)
        let totals = try Totals(priced)
        let db = try scope.db
        let actor = scope.context.actor.description, now = scope.now
        // Values are bound as ordered pairs, in the order each statement names them.
        // The shop's next order number, from the kernel's per-shop counters: the same page as
        // the audit chain's head, which this transaction writes anyway.
        let next = try db.nextCounterValue("orders.number", first: 1001)
        let number = "\(shop.code.uppercased())-\(next)"
        try db.execute("""
            INSERT INTO orders_orders (shop_id, number, customer_id, currency, subtotal, discount_total, shipping_total, fee_total,
                tax_total, total, status, attributes, destination, placed_at, placed_by, updated_at)
            VALUES (:shop, :number, :customer, :currency, :subtotal, :discounts, :shipping, :fees, :tax, :total, :status,
                :attributes, :destination, :now, :actor, :now)
            """, values: ["number": .text(number), "customer": priced.customerID.sqlValue, "currency": .text(priced.currency.code),
                          "subtotal": .integer(totals.subtotal.minorUnits), "discounts": .integer(totals.discounts.minorUnits),
                          "shipping": .integer(totals.shipping.minorUnits), "fees": .integer(totals.fees.minorUnits),
                          "tax": .integer(totals.tax.minorUnits), "total": .integer(totals.total.minorUnits),
                          "status": .text(OrderStatus.pendingPayment.rawValue),
                          "attributes": .text(OrderRecord.encode(priced.attributes)),
                          "destination": .text(OrderRecord.encode(priced.destination)), "now": .integer(now), "actor": .text(actor)])
        let orderID = db.lastInsertRowID
        // The lines in one multi-row INSERT per `linesBatch` lines.
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
        for adjustment in priced.adjustments {
            try db.execute("""
                INSERT INTO orders_adjustments (order_id, shop_id, kind, code, label, amount)
                VALUES (:order, :shop, :kind, :code, :label, :amount)
                """, binding: ["order": orderID, "kind": adjustment.kind.rawValue, "code": adjustment.code, "label": adjustment.label,
                               "amount": adjustment.amount.minorUnits])
        }
        // No transition row for the first state: the order's `placed_at` and `placed_by` say
        // who placed it and when (`orders.history` lists them as the first step).
        let snapshot = OrderSnapshot(id: orderID, number: number, customerID: priced.customerID, status: .pendingPayment,
                                     lines: priced.lines, adjustments: priced.adjustments, total: totals.total,
                                     attributes: priced.attributes)
        // Other plugins write their rows for this order inside the same transaction.
        _ = try scope.filter(Hooks.orderPlacing, snapshot)
        try scope.publish(Hooks.orderPlaced, OrderEvent(orderID: orderID, number: number, customerID: priced.customerID,
                                                        status: .pendingPayment, previousStatus: nil, total: totals.total))
        var audited: [Value] = []
        audited.reserveCapacity(priced.lines.count)
        for line in priced.lines {
            var object = Value.Object(minimumCapacity: 2)
            object.append("sku", .string(line.sku))
            object.append("quantity", .int(line.quantity))
            audited.append(.object(object))
        }
        var change = Value.Object(minimumCapacity: 5)
        change.append("number", .string(number))
        change.append("customer", Value(priced.customerID.map { Int($0) }))
        change.append("total", .int(totals.total.minorUnits))
        change.append("currency", .string(totals.total.currency.code))
        change.append("lines", .array(audited))
        scope.audit(entity: "order:" + number, change: .object(change))
        return Placed(snapshot: snapshot, totals: totals, placedAt: now, placedBy: actor,
                      destination: priced.destination)
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
