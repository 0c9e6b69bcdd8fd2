import Kernel

/// A deterministic card gateway for tests and demos. It decides from the test card number
/// or the amount, never at random, and keeps no state:
///
/// | card               | authorize                          |
/// |--------------------|------------------------------------|
/// | 4000000000000002   | declined: card declined            |
/// | 4000000000009995   | declined: insufficient funds       |
/// | 4000000000000119   | timed out                          |
/// | 4000000000003220   | pending (confirmed later by webhook) |
/// | any other number   | approved (e.g. 4242424242424242)   |
///
/// Then an authorization of an amount ending in 13 minor units (e.g. 12.13) is declined
/// ("amount rejected by sandbox rule"). Capture, void and refund approve when the
/// reference is one the sandbox hands out. References are `sbx_` and the first 16 hex
/// digits of SHA-256 of the idempotency key, so a retry gets the same reference.
struct SandboxProvider: PaymentProvider {
    let code = "sandbox"
    let name = "Card sandbox (test cards)"
    let isOffline = false

    static let referencePrefix = "sbx_"

    static func reference(_ key: String) -> String { referencePrefix + String(SHA256.hex(key).prefix(16)) }

    static func isKnown(_ reference: String?) -> Bool {
        guard let reference, reference.hasPrefix(referencePrefix) else { return false }
        let digits = reference.dropFirst(referencePrefix.count)
        return digits.count == 16 && digits.allSatisfy(\.isHexDigit)
    }

    func perform(_ request: PaymentRequest) -> PaymentOutcome {
        let reference = Self.reference(request.idempotencyKey)
        switch request.action {
        case .authorize:
            switch request.instrument {
            case nil: return .declined(reason: "no card given")
            case "4000000000000002": return .declined(reason: "card declined")
            case "4000000000009995": return .declined(reason: "insufficient funds")
            case "4000000000000119": return .timedOut
            case "4000000000003220": return .pending(reference: reference)
            default: break
            }
            if request.amount.minorUnits % 100 == 13 { return .declined(reason: "amount rejected by sandbox rule") }
            return .approved(reference: reference)
        case .capture, .void, .refund:
            guard Self.isKnown(request.reference) else { return .declined(reason: "unknown reference") }
            return .approved(reference: reference)
        }
    }
}

/// Money that changes hands outside any gateway: cash on delivery, bank transfer. An
/// authorization is pending until staff mark the payment received (`payment.mark-paid`);
/// capture, void and refund are records of what staff did, so they always approve.
struct OfflineProvider: PaymentProvider {
    let code: String
    let name: String
    let referencePrefix: String
    var isOffline: Bool { true }

    static let cashOnDelivery = OfflineProvider(code: "cod", name: "Cash on delivery", referencePrefix: "cod_")
    static let bankTransfer = OfflineProvider(code: "bank_transfer", name: "Bank transfer", referencePrefix: "bank_")

    func perform(_ request: PaymentRequest) -> PaymentOutcome {
        let reference = referencePrefix + String(SHA256.hex(request.idempotencyKey).prefix(16))
        switch request.action {
        case .authorize: return .pending(reference: reference)
        case .capture, .void, .refund: return .approved(reference: reference)
        }
    }
}

/// The providers of the plugins enabled in the shop, collected through the kernel's filter.
enum Providers {
    static func all(_ scope: OperationScope) throws -> [any PaymentProvider] {
        // The first provider of a code wins: a later plugin cannot shadow a built-in one.
        var seen: Set<String> = []
        return try scope.filter(Hooks.paymentProviders, []).filter { seen.insert($0.code).inserted }
    }

    static func find(_ code: String, _ scope: OperationScope) throws -> (any PaymentProvider)? {
        try all(scope).first { $0.code == code }
    }

    /// The provider of `code`, or `not_found` naming the ones there are.
    static func require(_ code: String, _ scope: OperationScope, field: String = "method") throws -> any PaymentProvider {
        let providers = try all(scope)
        guard let provider = providers.first(where: { $0.code == code }) else {
            let known = providers.map(\.code).sorted().joined(separator: ", ")
            throw KernelError(.notFound, "no payment provider '\(code)' is available in this shop (available: \(known.isEmpty ? "none" : known))",
                              field: field)
        }
        return provider
    }
}

/// What a provider answered, as stored in the attempts log and returned to callers.
struct Outcome: Sendable, Equatable {
    enum Kind: String, Sendable { case approved, declined, pending, timedOut = "timed_out" }
    let kind: Kind
    let reason: String?
    let reference: String?

    init(_ outcome: PaymentOutcome) {
        switch outcome {
        case .approved(let reference): self.init(kind: .approved, reason: nil, reference: reference)
        case .declined(let reason): self.init(kind: .declined, reason: reason, reference: nil)
        case .pending(let reference): self.init(kind: .pending, reason: nil, reference: reference)
        case .timedOut: self.init(kind: .timedOut, reason: "the provider did not answer in time", reference: nil)
        }
    }

    /// A provider's answer with `card`'s number masked wherever the provider repeated it.
    init(_ outcome: PaymentOutcome, redacting card: CardNumber?) {
        let raw = Outcome(outcome)
        self.init(kind: raw.kind, reason: card?.redact(raw.reason) ?? raw.reason, reference: card?.redact(raw.reference) ?? raw.reference)
    }

    init(kind: Kind, reason: String?, reference: String?) {
        self.kind = kind
        self.reason = reason
        self.reference = reference
    }
}
