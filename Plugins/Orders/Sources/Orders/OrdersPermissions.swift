import Kernel

enum OrdersPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("orders.read", "See carts, orders and after-sales requests",
                       roles: [.manager, .clerk, .warehouse, .finance, .support, .auditor]),
        PermissionSpec("orders.place", "Build carts and place orders", roles: [.manager, .clerk]),
        PermissionSpec("orders.payment.record", "Mark orders paid", roles: [.manager, .finance]),
        PermissionSpec("orders.fulfil", "Ship orders and record delivery", roles: [.manager, .warehouse]),
        PermissionSpec("orders.complete", "Complete delivered orders", roles: [.manager, .clerk]),
        PermissionSpec("orders.cancel", "Cancel orders not yet shipped", roles: [.manager, .clerk]),
        PermissionSpec("orders.aftersales.request", "Open refund, return and exchange requests",
                       roles: [.manager, .clerk, .support]),
        PermissionSpec("orders.refund.approve", "Approve or reject refunds", roles: [.manager, .finance]),
        PermissionSpec("orders.return.approve", "Approve or reject returns and exchanges", roles: [.manager, .warehouse]),
    ]
}
