import Kernel

enum CustomersPermissions {
    static let all: [PermissionSpec] = [
        PermissionSpec("customers.read", "See customers, their addresses, groups, messages and points",
                       roles: [.manager, .clerk, .support, .auditor, .finance]),
        PermissionSpec("customers.write", "Create and change customers, their addresses, levels and groups",
                       roles: [.manager, .clerk, .support]),
        PermissionSpec("customers.points.write", "Add and deduct customers' points", roles: [.manager, .support]),
        PermissionSpec("customers.messages.write", "Record customers' messages and reply to them",
                       roles: [.manager, .clerk, .support]),
    ]
}
