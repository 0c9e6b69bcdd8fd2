import XCTest
import Kernel
import KernelTesting
import Catalog
import Customers
import Orders
import Inventory
import Payment

/// A shop with Catalog, Customers, Orders, Inventory and Payment, some products (on sale, draft,
/// scheduled), stock, and helpers to act as storefront visitors.
class StorefrontTestCase: XCTestCase {
    var harness: KernelHarness!
    var shop: FixtureShop!
    var kernel: Kernel { harness.kernel }
    static let password = "open sesame 42"

    /// Plugins a test class adds to the shop's (a notifier, say).
    var extraPlugins: [any Plugin] { [] }

    override func setUpWithError() throws {
        harness = try KernelHarness(plugins: [CatalogPlugin(), CustomersPlugin(), OrdersPlugin(), InventoryPlugin(), PaymentPlugin()]
                                    + extraPlugins)
        shop = try harness.fixtureShop("north")
        try staff("catalog.product.create", ["handle": "tea", "title": "Green tea", "listed": true, "keywords": ["sencha"]])
        try staff("catalog.sku.add", ["product": "tea", "code": "TEA-1", "price": 450, "barcode": "4006381333931"])
        try staff("catalog.sku.add", ["product": "tea", "code": "TEA-5", "price": 2000])
        try staff("catalog.product.create", ["handle": "cup", "title": "Cup", "listed": true])
        try staff("catalog.sku.add", ["product": "cup", "code": "CUP-1", "price": 1200])
        try staff("catalog.product.create", ["handle": "draft", "title": "Secret draft"])
        try staff("catalog.sku.add", ["product": "draft", "code": "DRAFT-1", "price": 100])
        try staff("catalog.product.create", ["handle": "later", "title": "Coming soon", "listed": true])
        try staff("catalog.sku.add", ["product": "later", "code": "LATER-1", "price": 100])
        try staff("catalog.product.schedule", ["handle": "later", "list_at": .string(Validation.isoString(millis: harness.clock.millis + 86_400_000))])
        for sku in ["TEA-1", "TEA-5", "CUP-1"] {
            try staff("inventory.adjust", ["sku": .string(sku), "quantity": 20, "reason": "received"], as: .warehouse)
        }
    }

    @discardableResult
    func staff(_ operation: String, _ input: Value.Object = [:], as role: BuiltInRole = .manager) throws -> Value {
        try kernel.perform(operation, input: input, context: try harness.context(as: shop.email(role), shop: shop.code))
    }

    /// A storefront visitor: anonymous without a token.
    func visitor(_ token: String? = nil, key: String? = nil) throws -> OperationContext {
        try kernel.shopperContext(token: token, shopCode: shop.code, idempotencyKey: key)
    }

    @discardableResult
    func shop(_ operation: String, _ input: Value.Object = [:], token: String? = nil, key: String? = nil) throws -> Value {
        try kernel.perform(operation, input: input, context: try visitor(token, key: key))
    }

    /// A new guest session's token.
    func guest() throws -> String {
        try shop("storefront.session.start")["token"]!.stringValue!
    }

    /// Registers an account and returns its token and customer id.
    func register(_ email: String, token: String? = nil, name: String = "Ada") throws -> (token: String, id: Int64) {
        let answer = try shop("storefront.account.register", ["email": .string(email), "name": .string(name),
                                                              "password": .string(Self.password)], token: token)
        return (answer["token"]!.stringValue!, answer["customer"]!["id"]!.intValue!)
    }

    func refusal(_ operation: String, _ input: Value.Object = [:], token: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) -> KernelError? {
        do {
            try shop(operation, input, token: token)
            XCTFail("\(operation) was not refused", file: file, line: line)
            return nil
        } catch {
            return error as? KernelError
        }
    }

    func count(_ sql: String) throws -> Int {
        try kernel.store.read { try $0.query(sql)[0].int("n") }
    }

    /// The audit entries of `operation`, oldest first, as (actor, entity, outcome).
    func audit(_ operation: String) throws -> [(actor: String, entity: String, outcome: String)] {
        try kernel.store.read { tx in
            try tx.query("SELECT actor, entity, outcome FROM souk_audit WHERE operation = ? ORDER BY id", [operation]).map {
                (try $0.string("actor"), try $0.string("entity"), try $0.string("outcome"))
            }
        }
    }
}
