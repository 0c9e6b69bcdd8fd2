import Kernel

/// What is being shipped and where: the measures a fee template charges by.
struct Parcel: Sendable {
    var weightGrams: Int64
    var volumeCm3: Int64
    var count: Int64
    /// The order subtotal (also what `free_over` compares with).
    var value: Money
    /// Upper-case 2-letter code.
    var country: String
    var region: String?
    var city: String?

    func units(_ basis: Basis) -> Int64 {
        switch basis {
        case .weight: return weightGrams
        case .volume: return volumeCm3
        case .count: return count
        case .value: return value.minorUnits
        }
    }
}

/// A computed fee with the sentence that explains it to people.
struct ShippingQuote: Sendable, Equatable {
    let fee: Money
    let explanation: String
    /// The label of the rule used ("FR default"), nil when the outside policy applied.
    let rule: String?
}

enum QuoteOutcome: Sendable, Equatable {
    case quoted(ShippingQuote)
    /// No rule covers the parcel and the template refuses it; `detail` says why when the
    /// destination is covered but the order value is not.
    case refused(country: String, detail: String?)

    /// "no shipping to US", "no shipping to US with Express", "no shipping to FR: value ... ".
    func refusal(method: String? = nil) -> String? {
        guard case .refused(let country, let detail) = self else { return nil }
        return "no shipping to \(country)" + (method.map { " with \($0)" } ?? "") + (detail.map { ": \($0)" } ?? "")
    }
}

/// Computes fees from templates: pure functions of a template and a parcel, in integers only.
enum FeeCalculator {
    static func quote(_ template: FeeTemplate, _ parcel: Parcel) throws -> QuoteOutcome {
        let currency = parcel.value.currency
        func money(_ amount: Int64) -> Money { Money(minorUnits: amount, currency: currency) }
        let matching = template.rules.filter { $0.region.matches(country: parcel.country, region: parcel.region, city: parcel.city) }
        guard let narrowest = matching.map(\.region.specificity).max() else {
            return outside(template, parcel, reason: "no rule covers \(parcel.country)", detail: nil)
        }
        let rules = matching.filter { $0.region.specificity == narrowest }
        let label = rules[0].region.label
        if let freeOver = template.freeOver, parcel.value.minorUnits >= freeOver {
            return .quoted(ShippingQuote(
                fee: .zero(currency),
                explanation: "value \(parcel.value): free shipping from \(money(freeOver)) = \(Money.zero(currency)) (rule \(label))",
                rule: label))
        }
        switch template.basis {
        case .value:
            let value = parcel.value.minorUnits
            guard let rule = rules.first(where: { value >= ($0.minValue ?? 0) && ($0.maxValue.map { value < $0 } ?? true) }),
                  let fee = rule.fee else {
                let reason = "value \(parcel.value) is outside every range of rule \(label)"
                return outside(template, parcel, reason: reason, detail: reason)
            }
            let range = FeeRule.rangeText(min: rule.minValue ?? 0, max: rule.maxValue, currency)
            return .quoted(ShippingQuote(fee: money(fee), explanation: "value \(parcel.value): range \(range) = \(money(fee)) (rule \(label))",
                                         rule: label))
        case .weight, .volume, .count:
            let rule = rules[0]
            guard let firstUnits = rule.firstUnits, let firstFee = rule.firstFee,
                  let additionalUnits = rule.additionalUnits, let additionalFee = rule.additionalFee, additionalUnits > 0 else {
                throw KernelError(.storage, "rule \(label) of template '\(template.code)' is incomplete")
            }
            let basis = template.basis
            let units = parcel.units(basis)
            let measured = "\(basis.rawValue) \(basis.units(units))"
            let first = "first \(basis.units(firstUnits)) \(money(firstFee))"
            guard units > firstUnits else {
                return .quoted(ShippingQuote(fee: money(firstFee), explanation: "\(measured): \(first) = \(money(firstFee)) (rule \(label))",
                                             rule: label))
            }
            let extra = units - firstUnits
            let steps = extra / additionalUnits + (extra % additionalUnits == 0 ? 0 : 1)
            let fee = try money(firstFee).adding(try money(additionalFee).multiplied(by: steps))
            let explanation = "\(measured): \(first) + \(steps) × \(basis.units(additionalUnits)) × \(money(additionalFee))"
                + " = \(fee) (rule \(label))"
            return .quoted(ShippingQuote(fee: fee, explanation: explanation, rule: label))
        }
    }

    private static func outside(_ template: FeeTemplate, _ parcel: Parcel, reason: String, detail: String?) -> QuoteOutcome {
        switch template.outside {
        case .refuse:
            return .refused(country: parcel.country, detail: detail)
        case .flat:
            let fee = Money(minorUnits: template.outsideFee ?? 0, currency: parcel.value.currency)
            return .quoted(ShippingQuote(fee: fee, explanation: "\(reason): flat fee \(fee) (outside policy)", rule: nil))
        }
    }
}
