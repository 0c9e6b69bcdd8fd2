import Kernel

enum ShippingPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("shipping.read", "See delivery methods, slots, fee templates, quotes, shipments and packing slips",
                       roles: [.manager, .clerk, .warehouse, .support, .auditor]),
        PermissionSpec("shipping.manage", "Configure delivery methods, slots, fee templates and carriers", roles: [.manager]),
        PermissionSpec("shipping.ship", "Create shipments and record tracking events", roles: [.manager, .warehouse]),
    ]
}
