import Foundation
import Kernel

/// Small plugins, one per capability under test.
final class NotesPlugin: Plugin {
    let manifest: PluginManifest
    let throwInRegister: Bool

    init(id: String = "notes", dependencies: [String] = [], kernel: VersionRange = .compatible(with: Kernel.version),
         throwInRegister: Bool = false) {
        self.throwInRegister = throwInRegister
        manifest = PluginManifest(
            id: id, name: "Notes", version: SemanticVersion(1, 0, 0), kernel: kernel, dependencies: dependencies,
            permissions: [PermissionSpec(Permission("\(id).write"), "Write notes", roles: [.clerk])],
            migrations: [Migration(version: 1, name: "notes", sql: "CREATE TABLE \(id)_notes (id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, text TEXT NOT NULL);")],
            settings: [SettingSpec("max_length", .int, default: 20, help: "longest note")])
    }

    func register(_ registrar: PluginRegistrar) throws {
        let table = "\(manifest.id)_notes"
        try registrar.operation(OperationSpec(
            name: "\(manifest.id).add", summary: "Add a note", fields: [Field("text", required: true, help: "the note")],
            permission: Permission("\(manifest.id).write"), mutates: true
        ) { scope in
            let text = try scope.input.string("text")
            let max = try scope.setting(plugin: self.manifest.id, "max_length").intValue ?? 20
            guard text.count <= max else { throw KernelError.invalid("text", "note longer than \(max)") }
            try scope.db.execute("INSERT INTO \(table) (shop_id, text) VALUES (:shop, :text)", ["text": text])
            return ["text": .string(text)]
        })
        try registrar.operation(OperationSpec(name: "\(manifest.id).count", summary: "Count notes", permission: "shop.read", mutates: false) { scope in
            .int(try scope.db.query("SELECT COUNT(*) AS n FROM \(table) WHERE shop_id = :shop")[0].int64("n"))
        })
        try registrar.operation(OperationSpec(name: "\(manifest.id).leak", summary: "Unscoped SQL", permission: "shop.read", mutates: false) { scope in
            .int(try scope.db.query("SELECT COUNT(*) AS n FROM \(table)")[0].int64("n"))
        })
        if throwInRegister { throw KernelError(.internal, "init failed on purpose") }
    }
}

/// Records what its hook handlers saw, in order.
final class HookRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func add(_ entry: String) { lock.lock(); entries.append(entry); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return entries }
}

/// A plugin whose filter, guard and subscriber behaviour tests can steer.
final class HookPlugin: Plugin {
    let manifest: PluginManifest
    let recorder: HookRecorder
    let priority: Int
    let veto: String?
    let throwInFilter: Bool
    let failDeliveries: Int
    private let failures = HookRecorder()

    init(id: String, recorder: HookRecorder, priority: Int = 0, veto: String? = nil, throwInFilter: Bool = false, failDeliveries: Int = 0) {
        manifest = PluginManifest(id: id, name: id, version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version),
                                  migrations: [Migration(version: 1, name: "seen", sql: "CREATE TABLE \(id)_seen (shop_id INTEGER, code TEXT);")])
        self.recorder = recorder
        self.priority = priority
        self.veto = veto
        self.throwInFilter = throwInFilter
        self.failDeliveries = failDeliveries
    }

    func register(_ registrar: PluginRegistrar) throws {
        let id = manifest.id
        try registrar.filter(Hooks.shopProfile, priority: priority) { profile, _ in
            self.recorder.add("filter:\(id)")
            if self.throwInFilter { throw KernelError(.internal, "filter \(id) broke") }
            profile.description = (profile.description ?? "") + "[\(id)]"
        }
        try registrar.guard(Hooks.shopWillUpdate) { _, _ in
            self.recorder.add("guard:\(id)")
            return self.veto.map(GuardVerdict.veto) ?? .allow
        }
        try registrar.subscribe(Hooks.shopUpdated, name: "record") { event, scope in
            if self.failures.all.count < self.failDeliveries {
                self.failures.add("fail")
                throw KernelError(.internal, "subscriber down")
            }
            self.recorder.add("event:\(id):\(event.code)")
            try scope.db.execute("INSERT INTO \(id)_seen (shop_id, code) VALUES (:shop, :code)", ["code": event.code])
        }
    }
}

/// Subscribes to `shop.updated` only for shops whose code starts with `prefix`.
final class PickyPlugin: Plugin {
    let manifest: PluginManifest
    let recorder: HookRecorder
    let prefix: String

    init(id: String, prefix: String, recorder: HookRecorder) {
        manifest = PluginManifest(id: id, name: id, version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
        self.prefix = prefix
        self.recorder = recorder
    }

    func register(_ registrar: PluginRegistrar) throws {
        let prefix = self.prefix, id = manifest.id
        try registrar.subscribe(Hooks.shopUpdated, name: "picky", when: { $0.code.hasPrefix(prefix) }) { event, _ in
            self.recorder.add("event:\(id):\(event.code)")
        }
    }
}
