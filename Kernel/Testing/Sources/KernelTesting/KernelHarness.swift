import Foundation
import Kernel

/// A kernel on a real SQLite file in a temporary folder, with a fixed clock and an
/// operator, for testing Souk and plugins through the public API.
///
/// ```swift
/// let harness = try KernelHarness(plugins: [GiftWrapPlugin()])
/// let shop = try harness.fixtureShop()
/// let result = try harness.kernel.perform("giftwrap.list", context: try harness.context(as: shop.clerk, shop: shop.code))
/// ```
public final class KernelHarness: @unchecked Sendable {
    public static let operatorEmail = "operator@souk.test"
    public static let password = "correct horse battery"

    public let directory: TemporaryDirectory
    public let clock: FixedClock
    public let kernel: Kernel
    public let operatorAccount: StaffAccount

    /// Opens a kernel with `plugins` on a new data folder and creates the operator.
    public init(plugins: [any Plugin] = [], clock: FixedClock = FixedClock()) throws {
        directory = try TemporaryDirectory()
        self.clock = clock
        kernel = try Kernel(dataDirectory: directory.path, plugins: plugins, clock: clock)
        operatorAccount = try kernel.initialize(operatorEmail: Self.operatorEmail, password: Self.password, allowDynamicPlugins: false)
    }

    /// A second kernel on the same data folder, as another process would open it.
    public func reopen(plugins: [any Plugin] = []) throws -> Kernel {
        try Kernel(dataDirectory: directory.path, plugins: plugins, clock: clock)
    }

    /// The operator's context, on the platform or in a shop.
    public func operatorContext(shop: String? = nil) throws -> OperationContext {
        try kernel.context(for: operatorAccount, shopCode: shop)
    }

    /// The context of the staff member with `email` in a shop (or on the platform).
    public func context(as email: String, shop: String?) throws -> OperationContext {
        try kernel.context(for: try kernel.verifyPassword(email: email, password: Self.password), shopCode: shop)
    }

    /// Creates a shop as the operator.
    @discardableResult
    public func addShop(_ code: String, currency: String = "EUR") throws -> Value {
        try kernel.perform("shop.create", input: ["code": .string(code), "name": .string("Shop \(code)"), "currency": .string(currency)],
                           context: try operatorContext())
    }

    /// Creates a staff account (password `KernelHarness.password`) holding `role` in `shop`.
    public func addStaff(_ email: String, role: String? = nil, shop: String? = nil) throws {
        var input: Value.Object = ["email": .string(email), "password": .string(Self.password)]
        if let role { input["role"] = .string(role) }
        try kernel.perform("staff.add", input: input, context: try operatorContext(shop: shop))
    }

    /// A shop with one staff member per built-in role: `owner@<code>.test`, `clerk@<code>.test`...
    public func fixtureShop(_ code: String = "fixture", currency: String = "EUR") throws -> FixtureShop {
        try addShop(code, currency: currency)
        for role in BuiltInRole.allCases { try addStaff("\(role.rawValue)@\(code).test", role: role.rawValue, shop: code) }
        return FixtureShop(code: code)
    }
}

/// The shop made by `KernelHarness.fixtureShop`, with the email of each role's holder.
public struct FixtureShop: Sendable {
    public let code: String
    public func email(_ role: BuiltInRole) -> String { "\(role.rawValue)@\(code).test" }
    public var owner: String { email(.owner) }
    public var manager: String { email(.manager) }
    public var clerk: String { email(.clerk) }
    public var auditor: String { email(.auditor) }
}
