/// An order as the checkout and order-lifecycle hooks see it.
public struct OrderSnapshot: Codable, Sendable, Equatable {
    public let id: Int64
    /// The number people read, unique in the shop (e.g. NORTH-1001).
    public let number: String
    public let customerID: Int64?
    public let status: OrderStatus
    public let lines: [CartLine]
    public let adjustments: [Adjustment]
    public let total: Money
    public let attributes: [String: String]

    public init(id: Int64, number: String, customerID: Int64?, status: OrderStatus, lines: [CartLine],
                adjustments: [Adjustment], total: Money, attributes: [String: String]) {
        self.id = id
        self.number = number
        self.customerID = customerID
        self.status = status
        self.lines = lines
        self.adjustments = adjustments
        self.total = total
        self.attributes = attributes
    }
}

/// The order state machine: pending payment → paid → shipped → delivered → completed, and
/// cancelled (from pending payment or paid).
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case pendingPayment = "pending_payment"
    case paid, shipped, delivered, completed, cancelled

    /// The states reachable in one step.
    public var next: [OrderStatus] {
        switch self {
        case .pendingPayment: return [.paid, .cancelled]
        case .paid: return [.shipped, .cancelled]
        case .shipped: return [.delivered]
        case .delivered: return [.completed]
        case .completed, .cancelled: return []
        }
    }
}

/// A proposed change of state, passed to `Hooks.orderTransition` guards.
public struct OrderTransition: Codable, Sendable, Equatable {
    public let order: OrderSnapshot
    public let from: OrderStatus
    public let to: OrderStatus
    public let reason: String?

    public init(order: OrderSnapshot, from: OrderStatus, to: OrderStatus, reason: String?) {
        self.order = order
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// The payload of order events.
public struct OrderEvent: Codable, Sendable, Equatable {
    public let orderID: Int64
    public let number: String
    public let customerID: Int64?
    public let status: OrderStatus
    public let previousStatus: OrderStatus?
    public let total: Money

    public init(orderID: Int64, number: String, customerID: Int64?, status: OrderStatus, previousStatus: OrderStatus?, total: Money) {
        self.orderID = orderID
        self.number = number
        self.customerID = customerID
        self.status = status
        self.previousStatus = previousStatus
        self.total = total
    }
}

/// The payload of after-sales events (refunds, returns, exchanges).
public struct AfterSalesEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case refund, `return`, exchange }
    public let requestID: Int64
    public let kind: Kind
    /// requested, approved or rejected.
    public let status: String
    public let orderID: Int64
    public let orderNumber: String
    /// The amount refunded (refunds), or zero.
    public let amount: Money
    /// The lines coming back (returns, exchanges): restock these.
    public let returnedLines: [CartLine]
    /// The lines sent out instead (exchanges).
    public let replacementLines: [CartLine]

    public init(requestID: Int64, kind: Kind, status: String, orderID: Int64, orderNumber: String, amount: Money,
                returnedLines: [CartLine], replacementLines: [CartLine]) {
        self.requestID = requestID
        self.kind = kind
        self.status = status
        self.orderID = orderID
        self.orderNumber = orderNumber
        self.amount = amount
        self.returnedLines = returnedLines
        self.replacementLines = replacementLines
    }
}
