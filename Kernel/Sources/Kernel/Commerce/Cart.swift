/// One line of a cart as checkout sees it. Orders fills `sku` and `quantity`; the Catalog's
/// pricing filter fills the rest; later filters may change `unitPrice` or add adjustments.
public struct CartLine: Codable, Sendable, Equatable {
    public var sku: String
    public var quantity: Int64
    public var title: String
    public var productID: Int64?
    /// Nil until a pricing filter prices the line.
    public var unitPrice: Money?
    public var weightGrams: Int64
    public var volumeCm3: Int64

    public init(sku: String, quantity: Int64, title: String = "", productID: Int64? = nil, unitPrice: Money? = nil,
                weightGrams: Int64 = 0, volumeCm3: Int64 = 0) {
        self.sku = sku
        self.quantity = quantity
        self.title = title
        self.productID = productID
        self.unitPrice = unitPrice
        self.weightGrams = weightGrams
        self.volumeCm3 = volumeCm3
    }

    /// `unitPrice × quantity`, or an error when the line is not priced.
    public func total() throws -> Money {
        guard let unitPrice else { throw KernelError(.invalidInput, "SKU '\(sku)' has no price: no pricing plugin knows it") }
        return try unitPrice.multiplied(by: quantity)
    }
}

/// A change to the cart's total added by a pricing filter: a discount (negative), a fee or
/// shipping (positive). `kind` groups adjustments in the order's totals breakdown.
public struct Adjustment: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case discount, shipping, fee, tax }
    public var kind: Kind
    /// Who added it and why, e.g. "giftwrap" / "Gift wrapping".
    public var code: String
    public var label: String
    public var amount: Money

    public init(kind: Kind, code: String, label: String, amount: Money) {
        self.kind = kind
        self.code = code
        self.label = label
        self.amount = amount
    }
}

/// The cart passed through the checkout hooks: `Hooks.checkoutPrice` (filters) then
/// `Hooks.checkoutValidate` (guards).
public struct Cart: Codable, Sendable, Equatable {
    public var currency: Currency
    public var customerID: Int64?
    public var lines: [CartLine]
    public var adjustments: [Adjustment]
    /// Free-form requests from the shopper, e.g. `gift_wrap: yes`, `shipping_method: express`.
    public var attributes: [String: String]
    /// Where it ships: country, region (province) and city codes, when known.
    public var destination: [String: String]

    public init(currency: Currency, customerID: Int64? = nil, lines: [CartLine], adjustments: [Adjustment] = [],
                attributes: [String: String] = [:], destination: [String: String] = [:]) {
        self.currency = currency
        self.customerID = customerID
        self.lines = lines
        self.adjustments = adjustments
        self.attributes = attributes
        self.destination = destination
    }

    /// The sum of the line totals.
    public func subtotal() throws -> Money {
        try lines.reduce(Money.zero(currency)) { try $0.adding(try $1.total()) }
    }

    /// The sum of the adjustments of one kind (or all).
    public func adjustmentTotal(_ kind: Adjustment.Kind? = nil) throws -> Money {
        try adjustments.filter { kind == nil || $0.kind == kind }.reduce(Money.zero(currency)) { try $0.adding($1.amount) }
    }

    /// Subtotal plus every adjustment. Never negative.
    public func total() throws -> Money {
        let total = try subtotal().adding(try adjustmentTotal())
        guard total.minorUnits >= 0 else { throw KernelError(.invalidInput, "the cart total would be negative (\(total))") }
        return total
    }
}
