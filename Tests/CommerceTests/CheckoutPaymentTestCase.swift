import XCTest
import Kernel
import KernelTesting
import Orders
import Payment
import Inventory

/// The shop both ways of paying at checkout are tested in: Orders, Payment and Inventory
/// with table pricing and the `PaidHold` guard, the sandbox and cash on delivery configured,
/// 10 TEA and 3 CUP in stock. Subclasses add plugins with `extraPlugins`.
class CheckoutPaymentTestCase: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var contexts: [BuiltInRole: OperationContext] = [:]
    var kernel: Kernel { harness.kernel }

    /// More plugins for this suite's kernel.
    var extraPlugins: [any Plugin] { [] }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [TablePricing(), OrdersPlugin(), PaymentPlugin(), InventoryPlugin(), PaidHold()] + extraPlugins)
        shop = try harness.fixtureShop()
        try kernel.perform("payment.method.configure", input: ["code": "sandbox"], context: try ctx(.manager))
        try kernel.perform("payment.method.configure", input: ["code": "cod"], context: try ctx(.manager))
        for (sku, units) in [("TEA", 10), ("CUP", 3)] {
            try kernel.perform("inventory.adjust", input: ["sku": .string(sku), "quantity": .int(Int64(units)), "reason": "received"],
                               context: try ctx(.manager))
        }
    }

    func ctx(_ role: BuiltInRole) throws -> OperationContext {
        if let context = contexts[role] { return context }
        let context = try harness.context(as: shop.email(role), shop: shop.code)
        contexts[role] = context
        return context
    }

    func stock(_ sku: String) throws -> Value {
        try kernel.perform("inventory.stock.list", input: ["sku": .string(sku)], context: try ctx(.auditor))["items"]!.arrayValue![0]
    }

    func count(_ table: String, _ condition: String = "1") throws -> Int {
        try kernel.store.read { try $0.query("SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)")[0].int("n") }
    }
}
