/// The kernel's own operations and permissions: shops, staff, roles, plugins, settings
/// and the audit log. They go through the same registry as any plugin's.
enum KernelModule {
    static let permissions: [PermissionSpec] = [
        PermissionSpec("shop.read", "See the shop profile", roles: Set(BuiltInRole.allCases)),
        PermissionSpec("shop.update", "Change the shop profile", roles: [.manager]),
        PermissionSpec("staff.read", "See the shop's staff and their roles", roles: [.manager, .auditor, .support]),
        PermissionSpec("staff.manage", "Add staff to the shop, grant and revoke roles", roles: []),
        PermissionSpec("role.read", "See the shop's roles", roles: [.manager, .auditor]),
        PermissionSpec("role.manage", "Create, change and delete custom roles", roles: []),
        PermissionSpec("plugin.read", "See which plugins the shop uses", roles: [.manager, .auditor]),
        PermissionSpec("plugin.manage", "Enable and disable plugins, change their settings", roles: []),
        PermissionSpec("audit.read", "Read and verify the shop's audit log", roles: [.auditor, .finance, .manager]),
    ] + ShopperPermission.specs

    static func register(_ registrar: PluginRegistrar) throws {
        for operation in ShopOperations.all + StaffOperations.all + RoleOperations.all
            + PluginOperations.all + AuditOperations.all + OutboxOperations.all + InstallationOperations.all + StorefrontSessionOperations.all {
            try registrar.operation(operation)
        }
    }
}
