import Kernel

/// The payload of `giftwrap.requested`.
public struct WrapRequested: Codable, Sendable {
    public let wrapID: Int64
    public let orderRef: String
}

public enum GiftWrapEvents {
    /// Published when staff record a wrap request; other plugins may subscribe too.
    public static let requested = EventHook<WrapRequested>("giftwrap.requested")
}
