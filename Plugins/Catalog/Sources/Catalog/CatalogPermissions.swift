import Kernel

enum CatalogPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("catalog.read", "See products, SKUs, categories and reviews; export the catalog",
                       roles: [.manager, .clerk, .warehouse, .finance, .support, .auditor]),
        PermissionSpec("catalog.product.write", "Create and change products, SKUs, categories and tags; publish and schedule listings",
                       roles: [.manager, .clerk]),
        PermissionSpec("catalog.import", "Import the catalog from CSV", roles: [.manager]),
        PermissionSpec("catalog.review.write", "Record customers' product reviews", roles: [.manager, .clerk, .support]),
        PermissionSpec("catalog.review.moderate", "Approve or reject reviews and reply to them", roles: [.manager, .support]),
    ]
}
