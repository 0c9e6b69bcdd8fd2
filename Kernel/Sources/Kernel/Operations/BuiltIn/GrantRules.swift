/// The rule that keeps delegation honest: nobody may give (or take away) a permission they
/// do not hold in that shop themselves.
enum GrantRules {
    /// What the scope's actor holds in `shopID` (everything, for an operator).
    static func actorPermissions(_ scope: OperationScope, shopID: Int64) throws -> Set<Permission> {
        if scope.context.isOperator { return Set(scope.kernel.allPermissions.map(\.spec.permission)) }
        guard let staffID = scope.context.actor.staffID else { return [] }
        return try scope.kernel.permissions(staffID: staffID, shopID: shopID, in: scope.transaction)
    }

    static func ensureHolds(_ permissions: Set<Permission>, _ scope: OperationScope, shop: ShopRef, doing action: String) throws {
        let missing = permissions.subtracting(try actorPermissions(scope, shopID: shop.id))
        guard missing.isEmpty else {
            throw KernelError.denied("you cannot \(action) in shop '\(shop.code)': you do not hold \(missing.sorted().map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// The permissions of `role` in the shop, or `not_found` naming the role.
    static func role(_ role: String, _ scope: OperationScope, shop: ShopRef) throws -> Set<Permission> {
        guard let permissions = try scope.kernel.rolePermissions(role, shopID: shop.id, in: scope.transaction) else {
            throw KernelError(.notFound, "shop '\(shop.code)' has no role '\(role)'; `souk role list --shop \(shop.code)` shows them", field: "role")
        }
        return permissions
    }
}
