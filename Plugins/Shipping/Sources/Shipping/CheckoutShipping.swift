import Kernel

/// The `checkout.price` filter: the fee of the cart's `shipping_method` as a shipping adjustment.
enum CheckoutShipping {
    static func addFee(to cart: inout Cart, _ scope: OperationScope) throws {
        guard let code = cart.attributes["shipping_method"] else { return }
        // Kept across orders by the writer's memo until a shipping table changes.
        guard let method = try scope.db.remembered("shipping.method:" + code, { try DeliveryMethod.find(code: code, scope) }) else {
            throw KernelError.invalid("shipping_method", "no shipping method '\(code)' in this shop (see shipping.method.list)")
        }
        guard method.enabled else {
            throw KernelError.invalid("shipping_method", "shipping method '\(code)' is disabled; choose another")
        }
        let quote = try self.quote(method, parcel(cart, method: method), scope)
        cart.adjustments.append(Adjustment(kind: .shipping, code: "shipping", label: "\(method.name): \(quote.explanation)", amount: quote.fee))
    }

    /// The measures of a priced cart: weight and volume of every unit, item count, subtotal.
    static func parcel(_ cart: Cart, method: DeliveryMethod) throws -> Parcel {
        var weight: Int64 = 0, volume: Int64 = 0, count: Int64 = 0
        func add(_ total: inout Int64, _ amount: Int64, _ quantity: Int64, _ what: String) throws {
            let (product, overflowA) = amount.multipliedReportingOverflow(by: quantity)
            let (sum, overflowB) = total.addingReportingOverflow(product)
            guard !overflowA, !overflowB, amount >= 0 else { throw KernelError.invalid("lines", "the cart's \(what) is out of range") }
            total = sum
        }
        for line in cart.lines {
            try add(&weight, line.weightGrams, line.quantity, "weight")
            try add(&volume, line.volumeCm3, line.quantity, "volume")
            try add(&count, 1, line.quantity, "item count")
        }
        var country = ""
        if method.kind != .pickup {
            guard let text = cart.destination["country"], !text.isEmpty else {
                throw KernelError.invalid("destination", "shipping method '\(method.code)' needs a destination country (country=FR)")
            }
            country = try ShippingInput.country(text, field: "destination")
        }
        return Parcel(weightGrams: weight, volumeCm3: volume, count: count, value: try cart.subtotal(), country: country,
                      region: cart.destination["region"], city: cart.destination["city"])
    }

    /// The fee of `method` for `parcel`; a refusal is an `invalid_input` on the destination.
    static func quote(_ method: DeliveryMethod, _ parcel: Parcel, _ scope: OperationScope) throws -> ShippingQuote {
        let currency = parcel.value.currency
        guard method.kind != .pickup else {
            return ShippingQuote(fee: .zero(currency), explanation: "pickup, no shipping fee = \(Money.zero(currency))", rule: nil)
        }
        guard let templateID = method.templateID else {
            throw KernelError(.storage, "shipping method '\(method.code)' has no fee template; configure one")
        }
        let template = try scope.db.remembered("shipping.template:\(templateID)") { try FeeTemplate.load(id: templateID, scope) }
        let outcome = try FeeCalculator.quote(template, parcel)
        switch outcome {
        case .quoted(let quote): return quote
        case .refused: throw KernelError.invalid("destination", outcome.refusal(method: method.name)!)
        }
    }
}
