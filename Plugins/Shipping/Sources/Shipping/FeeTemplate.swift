import Kernel

/// What a fee template charges by.
enum Basis: String, CaseIterable, Sendable {
    case weight, volume, count, value

    /// Unit-based templates charge a first block and each additional block; value-based
    /// templates charge a fee per range of order value.
    var isUnitBased: Bool { self != .value }

    /// "1000 g", "500 cm³", "1 item", "3 items".
    func units(_ amount: Int64) -> String {
        switch self {
        case .weight: return "\(amount) g"
        case .volume: return "\(amount) cm³"
        case .count: return amount == 1 ? "1 item" : "\(amount) items"
        case .value: return "\(amount)"
        }
    }
}

/// What happens to a cart no rule of the template covers.
enum OutsidePolicy: String, CaseIterable, Sendable {
    case refuse, flat
}

/// Where a rule applies: a country, optionally narrowed to a region and then a city.
/// Codes are kept upper-case; empty region or city means "the whole country" / "the whole region".
struct RegionKey: Equatable, Sendable {
    let country: String
    let region: String
    let city: String

    /// How narrow the rule is: the most specific matching rule wins.
    var specificity: Int { (region.isEmpty ? 0 : 1) + (city.isEmpty ? 0 : 2) }

    /// "FR default", "FR IDF", "FR IDF PAR".
    var label: String {
        if region.isEmpty && city.isEmpty { return "\(country) default" }
        return [country, region, city].filter { !$0.isEmpty }.joined(separator: " ")
    }

    func matches(country: String, region: String?, city: String?) -> Bool {
        guard self.country == country else { return false }
        if !self.region.isEmpty, self.region != (region ?? "").uppercased() { return false }
        if !self.city.isEmpty, self.city != (city ?? "").uppercased() { return false }
        return true
    }
}

/// One rule of a template. Unit-based rules fill the first/additional fields; value-based
/// rules fill `minValue`, `maxValue` (exclusive, nil = no upper bound) and `fee`.
struct FeeRule: Sendable {
    let id: Int64
    let region: RegionKey
    let firstUnits: Int64?
    let firstFee: Int64?
    let additionalUnits: Int64?
    let additionalFee: Int64?
    let minValue: Int64?
    let maxValue: Int64?
    let fee: Int64?

    init(row: Row) throws {
        id = try row.int64("id")
        region = RegionKey(country: try row.string("country"), region: try row.string("region"), city: try row.string("city"))
        func optional(_ column: String) throws -> Int64? { try row.optionalInt(column).map(Int64.init) }
        firstUnits = try optional("first_units")
        firstFee = try optional("first_fee")
        additionalUnits = try optional("additional_units")
        additionalFee = try optional("additional_fee")
        minValue = try optional("min_value")
        maxValue = try optional("max_value")
        fee = try optional("fee")
    }

    /// "30.00 EUR to under 60.00 EUR", "60.00 EUR and over".
    static func rangeText(min: Int64, max: Int64?, _ currency: Currency) -> String {
        let low = Money(minorUnits: min, currency: currency)
        guard let max else { return "\(low) and over" }
        return "\(low) to under \(Money(minorUnits: max, currency: currency))"
    }

    func value(_ basis: Basis, _ currency: Currency) -> Value {
        func money(_ amount: Int64?) -> Value { amount.map { Money(minorUnits: $0, currency: currency).value } ?? .null }
        var object: Value.Object = [
            "id": .int(id), "rule": .string(region.label), "country": .string(region.country),
            "region": region.region.isEmpty ? .null : .string(region.region),
            "city": region.city.isEmpty ? .null : .string(region.city),
        ]
        if basis.isUnitBased {
            object["first_units"] = firstUnits.map(Value.int) ?? .null
            object["first_fee"] = money(firstFee)
            object["additional_units"] = additionalUnits.map(Value.int) ?? .null
            object["additional_fee"] = money(additionalFee)
            if let firstUnits, let firstFee, let additionalUnits, let additionalFee {
                object["summary"] = .string("first \(basis.units(firstUnits)) \(Money(minorUnits: firstFee, currency: currency))"
                    + ", each additional \(basis.units(additionalUnits)) \(Money(minorUnits: additionalFee, currency: currency))")
            }
        } else {
            object["min_value"] = money(minValue ?? 0)
            object["max_value"] = money(maxValue)
            object["fee"] = money(fee)
            object["summary"] = .string("\(Self.rangeText(min: minValue ?? 0, max: maxValue, currency)): \(Money(minorUnits: fee ?? 0, currency: currency))")
        }
        return .object(object)
    }
}

/// A shipping-fee template with its rules, as stored.
struct FeeTemplate: Sendable {
    let id: Int64
    let code: String
    let name: String
    let basis: Basis
    let freeOver: Int64?
    let outside: OutsidePolicy
    let outsideFee: Int64?
    let rules: [FeeRule]

    /// The template `code`, or `not_found` naming `field`.
    static func load(code: String, field: String = "template", _ scope: OperationScope) throws -> FeeTemplate {
        guard let row = try scope.db.query("SELECT * FROM shipping_templates WHERE shop_id = :shop AND code = :code",
                                           ["code": code]).first else {
            throw KernelError(.notFound, "no shipping fee template '\(code)' in this shop", field: field)
        }
        return try FeeTemplate(row: row, scope)
    }

    static func load(id: Int64, _ scope: OperationScope) throws -> FeeTemplate {
        guard let row = try scope.db.query("SELECT * FROM shipping_templates WHERE shop_id = :shop AND id = :id", ["id": id]).first else {
            throw KernelError(.storage, "shipping fee template \(id) is missing")
        }
        return try FeeTemplate(row: row, scope)
    }

    init(row: Row, _ scope: OperationScope) throws {
        id = try row.int64("id")
        code = try row.string("code")
        name = try row.string("name")
        guard let basis = Basis(rawValue: try row.string("basis")),
              let outside = OutsidePolicy(rawValue: try row.string("outside")) else {
            throw KernelError(.storage, "shipping fee template '\(code)' has an unknown basis or outside policy")
        }
        self.basis = basis
        self.outside = outside
        freeOver = try row.optionalInt("free_over").map(Int64.init)
        outsideFee = try row.optionalInt("outside_fee").map(Int64.init)
        rules = try scope.db.query("""
            SELECT * FROM shipping_rules WHERE shop_id = :shop AND template_id = :template
            ORDER BY country, region, city, COALESCE(min_value, 0), id
            """, ["template": id]).map(FeeRule.init(row:))
    }

    func value(_ currency: Currency) -> Value {
        func money(_ amount: Int64?) -> Value { amount.map { Money(minorUnits: $0, currency: currency).value } ?? .null }
        return [
            "code": .string(code), "name": .string(name), "basis": .string(basis.rawValue),
            "free_over": money(freeOver), "outside": .string(outside.rawValue), "outside_fee": money(outsideFee),
            "rules": .array(rules.map { $0.value(basis, currency) }),
        ]
    }
}
