import Kernel

/// The payload of `catalog.product_changed`.
public struct ProductChanged: Codable, Sendable, Equatable {
    public let productID: Int64
    public let handle: String
    /// The product's listed flag (a scheduled product is listed only inside its window).
    public let listed: Bool

    public init(productID: Int64, handle: String, listed: Bool) {
        self.productID = productID
        self.handle = handle
        self.listed = listed
    }
}

public enum CatalogEvents {
    /// Published when a product is created, updated, published, unpublished, scheduled or
    /// imported. Plugins never import each other, so only hosts (and tests) that link the
    /// Catalog module can subscribe; an event meant for other plugins belongs in the kernel.
    public static let productChanged = EventHook<ProductChanged>("catalog.product_changed")
}
