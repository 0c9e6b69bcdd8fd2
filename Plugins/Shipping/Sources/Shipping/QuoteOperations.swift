import Kernel

/// Quotes a shipping fee from measures given directly, with the explanation of the sum.
enum QuoteOperations {
    static let all = [quote]

    static let quote = OperationSpec(
        name: "shipping.quote", summary: "Quote a shipping fee and explain how it is computed",
        fields: [
            Field("method", .code, help: "delivery method code (or give template)"),
            Field("template", .code, help: "fee template code (or give method)"),
            Field("weight_grams", .int, help: "total weight in grams"),
            Field("volume_cm3", .int, help: "total volume in cm³"),
            Field("count", .int, help: "number of items"),
            Field("value", .int, help: "order subtotal in minor units (4500 = 45.00 in a 2-decimal currency)"),
            Field("country", help: "destination 2-letter country code, e.g. FR (not needed for pickup)"),
            Field("region", help: "destination region (province) code"),
            Field("city", help: "destination city code"),
        ],
        permission: "shipping.read", mutates: false
    ) { scope in
        let input = scope.input
        let currency = try ShippingInput.currency(scope)
        for field in ["weight_grams", "volume_cm3", "count", "value"] {
            try ShippingInput.nonNegative(input.optionalInt(field), field: field)
        }
        var method: DeliveryMethod?
        let template: FeeTemplate?
        switch (input.optionalString("method"), input.optionalString("template")) {
        case (nil, nil): throw KernelError.invalid("template", "give a method or a template to quote")
        case (_?, _?): throw KernelError.invalid("template", "give a method or a template, not both")
        case (let code?, nil):
            guard let found = try DeliveryMethod.find(code: code, scope) else {
                throw KernelError(.notFound, "no shipping method '\(code)' in this shop", field: "method")
            }
            method = found
            template = try found.templateID.map { try FeeTemplate.load(id: $0, scope) }
        case (nil, let code?):
            template = try FeeTemplate.load(code: code, scope)
        }
        var country = ""
        if method?.kind != .pickup {
            guard let text = input.optionalString("country") else {
                throw KernelError.invalid("country", "give the destination country (e.g. country=FR)")
            }
            country = try ShippingInput.country(text, field: "country")
        }
        let parcel = Parcel(weightGrams: input.optionalInt("weight_grams") ?? 0, volumeCm3: input.optionalInt("volume_cm3") ?? 0,
                            count: input.optionalInt("count") ?? 0,
                            value: Money(minorUnits: input.optionalInt("value") ?? 0, currency: currency), country: country,
                            region: try ShippingInput.place(input.optionalString("region"), field: "region", what: "region"),
                            city: try ShippingInput.place(input.optionalString("city"), field: "city", what: "city"))
        let quote: ShippingQuote
        if let method {
            quote = try CheckoutShipping.quote(method, parcel, scope)
        } else {
            let outcome = try FeeCalculator.quote(template!, parcel)
            switch outcome {
            case .quoted(let result): quote = result
            case .refused: throw KernelError.invalid("country", outcome.refusal()!)
            }
        }
        return ["method": Value(method?.code), "template": Value(template?.code), "rule": Value(quote.rule),
                "fee": quote.fee.value, "explanation": .string(quote.explanation)]
    }
}
