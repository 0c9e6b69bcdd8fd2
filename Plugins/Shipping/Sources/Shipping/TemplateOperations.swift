import Kernel

/// Shipping-fee templates and their per-region rules.
enum TemplateOperations {
    static let all = [create, ruleAdd, show, list]

    static let templateField = Field("template", .code, required: true, help: "fee template code")

    static let create = OperationSpec(
        name: "shipping.template.create", summary: "Create a shipping-fee template (rules are added with shipping.template.rule.add)",
        fields: [
            Field("code", .code, required: true, help: "short code, e.g. standard"),
            Field("name", required: true, help: "display name"),
            Field("basis", required: true, help: "what the fee depends on: weight, volume, count or value"),
            Field("free_over", .int, help: "free shipping when the order subtotal reaches this, in minor units (5000 = 50.00 in a 2-decimal currency)"),
            Field("outside", help: "for carts no rule covers: refuse (default) or flat"),
            Field("outside_fee", .int, help: "the flat fee for outside=flat, in minor units (2000 = 20.00 in a 2-decimal currency)"),
        ],
        permission: "shipping.manage", mutates: true
    ) { scope in
        let input = scope.input
        let currency = try ShippingInput.currency(scope)
        let code = try input.string("code")
        let name = try ShippingInput.text(try input.string("name"), field: "name", limit: 100)
        let basisText = try input.string("basis")
        guard let basis = Basis(rawValue: basisText) else {
            throw KernelError.invalid("basis", "'\(basisText)' is not a basis: use weight, volume, count or value")
        }
        let outsideText = input.optionalString("outside") ?? OutsidePolicy.refuse.rawValue
        guard let outside = OutsidePolicy(rawValue: outsideText) else {
            throw KernelError.invalid("outside", "'\(outsideText)' is not an outside policy: use refuse or flat")
        }
        let freeOver = input.optionalInt("free_over"), outsideFee = input.optionalInt("outside_fee")
        try ShippingInput.nonNegative(freeOver, field: "free_over")
        try ShippingInput.nonNegative(outsideFee, field: "outside_fee")
        switch outside {
        case .flat where outsideFee == nil:
            throw KernelError.invalid("outside_fee", "outside=flat needs outside_fee (the flat fee in minor units)")
        case .refuse where outsideFee != nil:
            throw KernelError.invalid("outside_fee", "outside_fee applies only with outside=flat")
        default: break
        }
        let db = try scope.db
        guard try db.query("SELECT 1 FROM shipping_templates WHERE shop_id = :shop AND code = :code", ["code": code]).isEmpty else {
            throw KernelError(.conflict, "shipping fee template '\(code)' already exists", field: "code")
        }
        try db.execute("""
            INSERT INTO shipping_templates (shop_id, code, name, basis, free_over, outside, outside_fee, created_at)
            VALUES (:shop, :code, :name, :basis, :free, :outside, :fee, :now)
            """, ["code": code, "name": name, "basis": basis.rawValue, "free": freeOver, "outside": outside.rawValue,
                  "fee": outsideFee, "now": scope.now])
        scope.audit(entity: "shipping_template:\(code)", change: [
            "created": true, "name": .string(name), "basis": .string(basis.rawValue),
            "free_over": freeOver.map(Value.int) ?? .null, "outside": .string(outside.rawValue),
            "outside_fee": outsideFee.map(Value.int) ?? .null,
        ])
        return try FeeTemplate.load(code: code, scope).value(currency)
    }

    static let ruleAdd = OperationSpec(
        name: "shipping.template.rule.add",
        summary: "Add a per-region rule to a fee template (weight, volume, count: first and additional blocks; value: a range and its fee)",
        fields: [
            templateField,
            Field("country", required: true, help: "2-letter country code, e.g. FR"),
            Field("region", help: "region (province) code; without it the rule is the country's default"),
            Field("city", help: "city code inside the region (needs region)"),
            Field("first_units", .int, help: "weight, volume, count: size of the first block (grams, cm³ or items)"),
            Field("first_fee", .int, help: "fee of the first block in minor units (500 = 5.00 in a 2-decimal currency)"),
            Field("additional_units", .int, help: "size of each additional block (grams, cm³ or items)"),
            Field("additional_fee", .int, help: "fee of each additional block in minor units (150 = 1.50 in a 2-decimal currency)"),
            Field("min_value", .int, help: "value: the range starts at this order value, in minor units (default 0)"),
            Field("max_value", .int, help: "value: the range ends below this order value, in minor units (default: no end)"),
            Field("fee", .int, help: "value: the fee for the range in minor units (400 = 4.00 in a 2-decimal currency)"),
        ],
        permission: "shipping.manage", mutates: true
    ) { scope in
        let input = scope.input
        let currency = try ShippingInput.currency(scope)
        let template = try FeeTemplate.load(code: try input.string("template"), scope)
        let key = RegionKey(country: try ShippingInput.country(try input.string("country"), field: "country"),
                            region: try ShippingInput.place(input.optionalString("region"), field: "region", what: "region"),
                            city: try ShippingInput.place(input.optionalString("city"), field: "city", what: "city"))
        if !key.city.isEmpty && key.region.isEmpty {
            throw KernelError.invalid("region", "city \(key.city) needs its region too (region=...)")
        }
        let unitFields = ["first_units", "first_fee", "additional_units", "additional_fee"]
        let valueFields = ["min_value", "max_value", "fee"]
        for field in unitFields + valueFields { try ShippingInput.nonNegative(input.optionalInt(field), field: field) }
        let sameRegion = template.rules.filter { $0.region == key }
        var parameters: [String: any SQLBindable] = [
            "template": template.id, "country": key.country, "region": key.region, "city": key.city, "now": scope.now,
        ]
        var change: Value.Object = ["rule": .string(key.label)]
        if template.basis.isUnitBased {
            let measure = "\(template.basis.rawValue) (\(unitFields.joined(separator: ", ")))"
            if let wrong = valueFields.first(where: input.has) {
                throw KernelError.invalid(wrong, "template '\(template.code)' charges by \(measure); \(wrong) is for value-based templates")
            }
            for field in unitFields where !input.has(field) {
                throw KernelError.invalid(field, "missing \(field): template '\(template.code)' charges by \(measure)")
            }
            try ShippingInput.positive(input.optionalInt("first_units"), field: "first_units")
            try ShippingInput.positive(input.optionalInt("additional_units"), field: "additional_units")
            guard sameRegion.isEmpty else {
                throw KernelError(.conflict, "template '\(template.code)' already has a rule for \(key.label)", field: "country")
            }
            for field in unitFields {
                parameters[field] = try input.int(field)
                change[field] = .int(try input.int(field))
            }
        } else {
            if let wrong = unitFields.first(where: input.has) {
                throw KernelError.invalid(wrong, "template '\(template.code)' charges by value (min_value, max_value, fee); \(wrong) is for weight, volume and count templates")
            }
            guard let fee = input.optionalInt("fee") else {
                throw KernelError.invalid("fee", "missing fee: template '\(template.code)' charges by value (min_value, max_value, fee)")
            }
            let low = input.optionalInt("min_value") ?? 0, high = input.optionalInt("max_value")
            if let high, high <= low {
                throw KernelError.invalid("max_value", "max_value (\(Money(minorUnits: high, currency: currency))) must be above min_value (\(Money(minorUnits: low, currency: currency)))")
            }
            for rule in sameRegion {
                let otherLow = rule.minValue ?? 0
                if low < (rule.maxValue ?? Int64.max), otherLow < (high ?? Int64.max) {
                    throw KernelError.invalid("min_value", "value range \(FeeRule.rangeText(min: low, max: high, currency)) overlaps range "
                        + "\(FeeRule.rangeText(min: otherLow, max: rule.maxValue, currency)) of rule \(key.label) in template '\(template.code)'")
                }
            }
            parameters["min_value"] = low
            parameters["max_value"] = high.sqlValue  // nil must bind NULL, not drop the key
            parameters["fee"] = fee
            change["range"] = .string(FeeRule.rangeText(min: low, max: high, currency))
            change["fee"] = .int(fee)
        }
        let db = try scope.db
        if template.basis.isUnitBased {
            try db.execute("""
                INSERT INTO shipping_rules (shop_id, template_id, country, region, city, first_units, first_fee, additional_units,
                    additional_fee, created_at)
                VALUES (:shop, :template, :country, :region, :city, :first_units, :first_fee, :additional_units, :additional_fee, :now)
                """, parameters)
        } else {
            try db.execute("""
                INSERT INTO shipping_rules (shop_id, template_id, country, region, city, min_value, max_value, fee, created_at)
                VALUES (:shop, :template, :country, :region, :city, :min_value, :max_value, :fee, :now)
                """, parameters)
        }
        let id = db.lastInsertRowID
        change["id"] = .int(id)
        scope.audit(entity: "shipping_template:\(template.code)", change: .object(change))
        return try FeeTemplate.load(code: template.code, scope).value(currency)
    }

    static let show = OperationSpec(
        name: "shipping.template.show", summary: "Show a fee template with its rules",
        fields: [templateField], permission: "shipping.read", mutates: false
    ) { scope in
        try FeeTemplate.load(code: try scope.input.string("template"), scope).value(try ShippingInput.currency(scope))
    }

    static let list = OperationSpec(
        name: "shipping.template.list", summary: "List fee templates", permission: "shipping.read", mutates: false
    ) { scope in
        let currency = try ShippingInput.currency(scope)
        return .array(try scope.db.query("SELECT * FROM shipping_templates WHERE shop_id = :shop ORDER BY code").map {
            let template = try FeeTemplate(row: $0, scope)
            return ["code": .string(template.code), "name": .string(template.name), "basis": .string(template.basis.rawValue),
                    "rules": .int(Int64(template.rules.count)), "free_over": ShippingInput.money(template.freeOver, currency),
                    "outside": .string(template.outside.rawValue)]
        })
    }
}
