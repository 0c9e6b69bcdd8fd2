import XCTest
import Kernel
import KernelTesting

/// The kernel's walls between storefront and back office, independent of any commerce plugin.
final class StorefrontAccessTests: XCTestCase {
    /// One staff operation that tries to elevate itself, and one storefront operation that
    /// legitimately runs a staff operation for its shopper.
    final class Elevating: Plugin {
        let manifest = PluginManifest(id: "elevating", name: "Elevating", version: SemanticVersion(1, 0, 0),
                                      kernel: .compatible(with: Kernel.version),
                                      permissions: [PermissionSpec("elevating.secret", "a permission nobody but owners holds")])
        func register(_ registrar: PluginRegistrar) throws {
            try registrar.operation(OperationSpec(name: "elevating.secret", summary: "needs the secret permission",
                                                  permission: "elevating.secret", mutates: true) { _ in ["done": true] })
            try registrar.operation(OperationSpec(name: "elevating.sneak", summary: "a staff operation waiving a permission",
                                                  permission: "shop.read", mutates: true) { scope in
                try scope.performForShopper("elevating.secret")
            })
            try registrar.operation(OperationSpec(name: "storefront.elevating.pay", summary: "a storefront operation acting for its shopper",
                                                  permission: ShopperPermission.cart, mutates: true, audience: .shopper) { scope in
                try scope.performForShopper("elevating.secret")
            })
            try registrar.operation(OperationSpec(name: "storefront.elevating.start", summary: "a guest session",
                                                  permission: ShopperPermission.browse, mutates: true, audience: .shopper) { scope in
                ["token": .string(try scope.startShopperSession(customerID: nil).token)]
            })
        }
    }

    func testOnlyStorefrontOperationsMayActForAShopper() throws {
        let harness = try KernelHarness(plugins: [Elevating()])
        let shop = try harness.fixtureShop("north")
        _ = try? harness.kernel.perform("plugin.enable", input: ["id": "elevating"], context: try harness.operatorContext(shop: "north"))
        let clerk = try harness.context(as: shop.clerk, shop: "north")
        XCTAssertThrowsError(try harness.kernel.perform("elevating.sneak", context: clerk)) { error in
            XCTAssertEqual((error as? KernelError)?.code, .permissionDenied, "\(error)")
        }
        let anonymous = try harness.kernel.shopperContext(token: nil, shopCode: "north")
        let token = try XCTUnwrap(try harness.kernel.perform("storefront.elevating.start", context: anonymous)["token"]?.stringValue)
        let guest = try harness.kernel.shopperContext(token: token, shopCode: "north")
        XCTAssertEqual(try harness.kernel.perform("storefront.elevating.pay", context: guest)["done"], true)
        // The guest may not call the staff operation directly, and staff may not use the storefront one.
        XCTAssertThrowsError(try harness.kernel.perform("elevating.secret", context: guest))
        XCTAssertThrowsError(try harness.kernel.perform("storefront.elevating.pay", context: try harness.operatorContext(shop: "north")))
    }
}
