import XCTest
import Kernel
import KernelTesting

final class RegistryTests: XCTestCase {
    func testRefusedPluginsLeaveNothingAndOthersLoad() throws {
        let harness = try KernelHarness(plugins: [
            NotesPlugin(id: "good"),
            NotesPlugin(id: "good"),
            NotesPlugin(id: "crashy", throwInRegister: true),
            NotesPlugin(id: "orphan", dependencies: ["missing"]),
            NotesPlugin(id: "ancient", kernel: VersionRange(from: SemanticVersion(9, 0, 0), upTo: SemanticVersion(10, 0, 0))),
            NotesPlugin(id: "child", dependencies: ["good"]),
        ])
        let kernel = harness.kernel
        XCTAssertEqual(Set(kernel.pluginManifests.map(\.manifest.id)), ["kernel", "good", "child"])
        let messages = kernel.failures.map(\.error.message)
        XCTAssertEqual(messages, [
            "plugin id 'good' from built in is already registered (built in); remove one of them",
            "plugin 'ancient' 1.0.0 (built in) requires kernel >=9.0.0 <10.0.0 but this kernel is \(Kernel.version); rebuild the plugin against kernel \(Kernel.version)",
            "plugin 'crashy' (built in) failed to register: init failed on purpose",
            "plugin 'orphan' (built in) depends on 'missing', which is not loaded; install or enable that plugin first",
        ])
        XCTAssertNil(kernel.operation(named: "crashy.add"), "nothing of a failed plugin stays registered")
        XCTAssertFalse(kernel.allPermissions.contains { $0.spec.permission == "crashy.write" })
        let tables = try kernel.store.read { try $0.query("SELECT name FROM sqlite_master WHERE name = 'crashy_notes'").count }
        XCTAssertEqual(tables, 0, "a plugin whose init failed is not migrated")
    }

    func testRegistrationIsSealedAfterStartUp() throws {
        final class Sneaky: Plugin {
            let manifest = PluginManifest(id: "sneaky", name: "s", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
            nonisolated(unsafe) var kept: PluginRegistrar?
            func register(_ registrar: PluginRegistrar) throws { kept = registrar }
        }
        let sneaky = Sneaky()
        _ = try KernelHarness(plugins: [sneaky])
        XCTAssertThrowsError(try sneaky.kept!.operation(OperationSpec(name: "sneaky.late", summary: "", permission: nil, mutates: false) { _ in .null })) {
            XCTAssertEqual(($0 as! KernelError).code, .registrySealed)
        }
    }

    func testDuplicateOperationAndMistypedHookAreRefused() throws {
        final class Clash: Plugin {
            let manifest = PluginManifest(id: "clash", name: "c", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
            func register(_ registrar: PluginRegistrar) throws {
                try registrar.operation(OperationSpec(name: "shop.show", summary: "", permission: nil, mutates: false) { _ in .null })
            }
        }
        final class Mistyped: Plugin {
            let manifest = PluginManifest(id: "mistyped", name: "m", version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
            func register(_ registrar: PluginRegistrar) throws {
                try registrar.filter(FilterHook<Int>("shop.profile")) { _, _ in }
            }
        }
        let harness = try KernelHarness(plugins: [Clash(), Mistyped(), HookPlugin(id: "typed", recorder: HookRecorder())])
        XCTAssertEqual(harness.kernel.failures.map(\.error.message), [
            "plugin 'clash' (built in) failed to register: operation 'shop.show' is already registered by 'kernel'",
            "plugin 'mistyped' (built in) failed to register: filter hook 'shop.profile' is declared with payload Kernel.ShopProfile but plugin 'mistyped' registers a handler for Swift.Int",
        ])
    }

    func testSettingsAreTypedPerShop() throws {
        let harness = try KernelHarness(plugins: [NotesPlugin()])
        let shop = try harness.fixtureShop()
        let owner = try harness.context(as: shop.owner, shop: shop.code)
        XCTAssertThrowsError(try harness.kernel.perform("settings.set", input: ["plugin": "notes", "key": "max_length", "value": "lots"], context: owner)) {
            XCTAssertEqual(($0 as! KernelError).message, "--value expects a whole number, got 'lots'")
        }
        try harness.kernel.perform("settings.set", input: ["plugin": "notes", "key": "max_length", "value": "3"], context: owner)
        XCTAssertThrowsError(try harness.kernel.perform("notes.add", input: ["text": "long"], context: owner))
        XCTAssertNoThrow(try harness.kernel.perform("notes.add", input: ["text": "ok"], context: owner))
        // Write transactions keep settings in the writer's memo: a change is still seen at once.
        try harness.kernel.perform("settings.set", input: ["plugin": "notes", "key": "max_length", "value": "10"], context: owner)
        XCTAssertNoThrow(try harness.kernel.perform("notes.add", input: ["text": "long"], context: owner))
        try harness.kernel.perform("settings.set", input: ["plugin": "notes", "key": "max_length", "value": "3"], context: owner)
        XCTAssertThrowsError(try harness.kernel.perform("notes.add", input: ["text": "long"], context: owner))
    }
}
