import Kernel

/// The payload of `customers.created`.
public struct CustomerCreated: Codable, Sendable, Equatable {
    public let customerID: Int64
    public let email: String?
    public let phone: String?

    public init(customerID: Int64, email: String?, phone: String?) {
        self.customerID = customerID
        self.email = email
        self.phone = phone
    }
}

public enum CustomerEvents {
    /// Published by `customers.create` inside its transaction; delivered after commit.
    public static let created = EventHook<CustomerCreated>("customers.created")
}
