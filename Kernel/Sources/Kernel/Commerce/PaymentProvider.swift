/// A payment gateway: authorize, capture, void and refund, each with an idempotency key so
/// that a retry never charges twice. Outcomes are data (`PaymentOutcome`), not thrown
/// errors: a decline is a normal business result.
///
/// Providers join through the `Hooks.paymentProviders` filter, so a third-party `.so` can add
/// one with nothing but the Kernel package:
/// ```swift
/// try registrar.filter(Hooks.paymentProviders) { providers, _ in providers.append(MyGateway()) }
/// ```
/// - Important: a provider must not block for long (no unbounded network waits inside a
///   handler): report `.pending` and confirm later through a signed callback.
public protocol PaymentProvider: Sendable {
    /// A stable code, e.g. `sandbox`, `cod`, `bank_transfer`.
    var code: String { get }
    /// A name people see, e.g. "Cash on delivery".
    var name: String { get }
    /// Offline methods (cash on delivery, bank transfer) are marked paid by staff.
    var isOffline: Bool { get }
    func perform(_ request: PaymentRequest) -> PaymentOutcome
}

/// What a provider is asked to do.
public struct PaymentRequest: Sendable, Equatable {
    public enum Action: String, Sendable, Codable { case authorize, capture, void, refund }
    public let action: Action
    public let amount: Money
    /// The order number, for the gateway's records.
    public let orderNumber: String
    /// The provider's reference of the authorization (for capture, void and refund).
    public let reference: String?
    /// Card number or token for `authorize`; never stored by Souk.
    public let instrument: String?
    public let idempotencyKey: String

    public init(action: Action, amount: Money, orderNumber: String, reference: String?, instrument: String?, idempotencyKey: String) {
        self.action = action
        self.amount = amount
        self.orderNumber = orderNumber
        self.reference = reference
        self.instrument = instrument
        self.idempotencyKey = idempotencyKey
    }
}

/// A provider's answer.
public enum PaymentOutcome: Sendable, Equatable {
    /// Done; `reference` identifies the transaction at the provider.
    case approved(reference: String)
    /// Refused by the provider, with its reason (insufficient funds, card expired...).
    case declined(reason: String)
    /// Accepted but not final; a signed callback will confirm or decline it later.
    case pending(reference: String)
    /// The provider did not answer in time; nothing is known to have happened. Retry with
    /// the same idempotency key.
    case timedOut
}

extension Hooks {
    /// Filter: collects the payment providers of every enabled plugin.
    public static let paymentProviders = FilterHook<[any PaymentProvider]>("payment.providers")
}
