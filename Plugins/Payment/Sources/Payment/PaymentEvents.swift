import Kernel

/// Events the Payment plugin publishes.
public enum PaymentEvents {
    /// A gateway confirmed a card payment after its order was cancelled (the money was taken
    /// anyway). Payment's own subscriber refunds it through the outbox, with retries, like
    /// any cancellation; other plugins may listen to tell the shop.
    public static let lateCapture = EventHook<LateCapture>("payment.late_capture")
}

public struct LateCapture: Codable, Sendable, Equatable {
    public let orderNumber: String
    /// The gateway's reference of the payment.
    public let reference: String
    public let amount: Money

    public init(orderNumber: String, reference: String, amount: Money) {
        self.orderNumber = orderNumber
        self.reference = reference
        self.amount = amount
    }
}
