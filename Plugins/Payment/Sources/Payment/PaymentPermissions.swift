import Kernel

enum PaymentPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("payment.read", "See payment methods, payments, their attempts and the reconciliation report",
                       roles: [.manager, .finance, .auditor, .clerk]),
        PermissionSpec("payment.manage", "Configure the shop's payment methods", roles: [.manager]),
        PermissionSpec("payment.charge", "Authorize payments of orders (card or offline method)", roles: [.manager, .clerk, .finance]),
        PermissionSpec("payment.capture", "Capture, void and refund payments; mark offline payments paid",
                       roles: [.manager, .finance]),
        // No built-in role but the owner: the HTTP host calls it with a system context.
        PermissionSpec("payment.webhook", "Receive signed payment gateway callbacks"),
    ]
}
