import Kernel

/// The payload of `giftwrap.requested`.
public struct WrapRequested: Codable, Sendable {
    public let wrapID: Int64
    public let orderRef: String
}

public enum GiftWrapEvents {
    /// Published when staff record a wrap request; this plugin's own subscriber queues it.
    /// (Plugins never import each other, so an event meant for other plugins belongs in the
    /// kernel's shared vocabulary instead.)
    public static let requested = EventHook<WrapRequested>("giftwrap.requested")
}
