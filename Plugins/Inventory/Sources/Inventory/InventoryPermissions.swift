import Kernel

enum InventoryPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("inventory.read", "See stock levels, movements and reports",
                       roles: [.manager, .clerk, .warehouse, .finance, .auditor]),
        PermissionSpec("inventory.adjust", "Receive, adjust and transfer stock", roles: [.manager, .warehouse]),
        PermissionSpec("inventory.stocktake", "Count stock in stocktaking sessions", roles: [.manager, .warehouse]),
        PermissionSpec("inventory.stocktake.approve", "Approve stocktake variances", roles: [.manager]),
        PermissionSpec("inventory.manage", "Manage locations, safety stock and expired reservations", roles: [.manager]),
    ]
}
