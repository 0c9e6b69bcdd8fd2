/// An amount of money: an integer count of minor units (cents, yen, fils) and its currency.
/// Never a floating point number. Arithmetic is checked: an overflow is an error, not a wrap.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// `Money(1250, "EUR")` is 12.50 EUR. Unknown currency codes are refused.
    public init(_ minorUnits: Int64, _ currencyCode: String) throws {
        guard let currency = Currency(code: currencyCode) else {
            throw KernelError.invalid("currency", "'\(currencyCode)' is not an ISO 4217 currency code")
        }
        self.init(minorUnits: minorUnits, currency: currency)
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// "12.50 EUR", "1200 JPY", "-0.05 EUR".
    public var description: String {
        let digits = currency.minorUnitDigits
        // Written right to left into a small stack buffer: no formatter, no intermediate
        // arrays, and a contiguous buffer for the String (a reversed collection made the
        // runtime look up conformances on every call; checkout formats a dozen amounts).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var index = buffer.count
            var magnitude = minorUnits.magnitude
            for byte in currency.code.utf8.reversed() { index -= 1; buffer[index] = byte }
            index -= 1; buffer[index] = UInt8(ascii: " ")
            for _ in 0..<digits {
                index -= 1; buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            if digits > 0 { index -= 1; buffer[index] = UInt8(ascii: ".") }
            repeat {
                index -= 1; buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if minorUnits < 0 { index -= 1; buffer[index] = UInt8(ascii: "-") }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[index...]), as: UTF8.self)
        }
    }

    private func sameCurrency(_ other: Money) throws {
        guard currency == other.currency else {
            throw KernelError(.invalidInput, "cannot combine \(currency.code) with \(other.currency.code): currencies differ")
        }
    }

    private static func overflow(_ what: String) -> KernelError {
        KernelError(.invalidInput, "amount overflows while \(what)")
    }

    public func adding(_ other: Money) throws -> Money {
        try sameCurrency(other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        if overflow { throw Self.overflow("adding") }
        return Money(minorUnits: sum, currency: currency)
    }

    public func subtracting(_ other: Money) throws -> Money {
        try sameCurrency(other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if overflow { throw Self.overflow("subtracting") }
        return Money(minorUnits: difference, currency: currency)
    }

    public func multiplied(by factor: Int64) throws -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        if overflow { throw Self.overflow("multiplying") }
        return Money(minorUnits: product, currency: currency)
    }

    public var negated: Money { Money(minorUnits: -minorUnits, currency: currency) }

    /// `basisPoints / 10_000` of this amount, rounded half away from zero at the minor unit
    /// (1250 basis points = 12.5 %). Computed in integers only.
    public func percentage(basisPoints: Int64) throws -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: basisPoints)
        if overflow { throw Self.overflow("taking a percentage") }
        let quotient = product / 10_000, remainder = product % 10_000
        let rounded = remainder.magnitude * 2 >= 10_000 ? quotient + (product < 0 ? -1 : 1) : quotient
        return Money(minorUnits: rounded, currency: currency)
    }

    /// Splits this amount over `weights` (e.g. line totals) in proportion, so that the parts
    /// add up to exactly this amount: each part is rounded down, then the minor units left
    /// over go one each to the parts with the largest remainders (earliest first on ties).
    public func allocated(over weights: [Int64]) throws -> [Money] {
        guard !weights.isEmpty else { return [] }
        guard weights.allSatisfy({ $0 >= 0 }) else { throw KernelError(.invalidInput, "allocation weights must not be negative") }
        // Nothing to split (most orders have no discount): every part is zero.
        if minorUnits == 0 { return Array(repeating: Money(minorUnits: 0, currency: currency), count: weights.count) }
        let total = weights.reduce(Int64(0)) { $0 &+ $1 }
        guard total > 0 else {
            // Nothing to weigh by: split evenly.
            return try allocated(over: Array(repeating: 1, count: weights.count))
        }
        let sign: Int64 = minorUnits < 0 ? -1 : 1
        let amount = minorUnits.magnitude
        var parts: [UInt64] = []
        var remainders: [(index: Int, remainder: UInt64)] = []
        for (index, weight) in weights.enumerated() {
            let (high, low) = amount.multipliedFullWidth(by: UInt64(weight))
            let (quotient, remainder) = UInt64(total).dividingFullWidth((high, low))
            parts.append(quotient)
            remainders.append((index, remainder))
        }
        var leftover = amount - parts.reduce(0, +)
        for entry in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }) {
            guard leftover > 0 else { break }
            parts[entry.index] += 1
            leftover -= 1
        }
        return parts.map { Money(minorUnits: sign * Int64($0), currency: currency) }
    }

    public var value: Value {
        var object = Value.Object(minimumCapacity: 3)
        object.append("amount", .int(minorUnits))
        object.append("currency", .string(currency.code))
        object.append("display", .string(description))
        return .object(object)
    }

    enum CodingKeys: String, CodingKey { case amount, currency }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(try container.decode(Int64.self, forKey: .amount), try container.decode(String.self, forKey: .currency))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minorUnits, forKey: .amount)
        try container.encode(currency.code, forKey: .currency)
    }
}

extension Money: Comparable {
    /// Compares amounts of one currency; amounts of different currencies compare by code.
    public static func < (a: Money, b: Money) -> Bool {
        a.currency == b.currency ? a.minorUnits < b.minorUnits : a.currency.code < b.currency.code
    }
}
