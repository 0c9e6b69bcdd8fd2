import Foundation

/// The Souk kernel: the store, the registries of plugins, permissions and operations, the
/// hook bus and the audit log. Hosts create one per process and send every action
/// through `perform`.
public final class Kernel: @unchecked Sendable {
    /// The kernel's version, checked against each plugin's `kernel` range.
    public static let version = SemanticVersion(0, 1, 0)

    public let store: Store
    public let hooks: HookBus
    public let clock: any WallClock
    /// The data folder this kernel was opened on, when it was opened on one.
    public let dataDirectory: String?
    /// Events published by committed operations since start, by name (for `/metrics`).
    public let eventTally = EventTally()
    /// Sessions, permissions and reusable answers, valid while the database is unchanged.
    let readCache: ReadCache

    var operations: [String: OperationSpec] = [:]
    var permissionSpecs: [Permission: (spec: PermissionSpec, pluginID: String)] = [:]
    /// The built-in roles' permission sets, computed once the registry is sealed (every
    /// staff request needs one; building it from `permissionSpecs` took ~10 % of a read).
    var builtInRolePermissions: [BuiltInRole: Set<Permission>] = [:]
    var loaded: [LoadedPlugin] = []
    /// Operations plugins asked to have run periodically (`PluginRegistrar.schedule`).
    var schedules: [ScheduledJob] = []
    /// (job, shop) pairs whose plugin was disabled at the last look, and until when not to
    /// look again: a thousand shops without the plugin cost no query per second.
    let jobSkips = JobSkips()
    /// Plugins that were offered but refused, with the reason; the rest run without them.
    public private(set) var failures: [PluginFailure] = []

    struct LoadedPlugin {
        let manifest: PluginManifest
        let source: PluginSource
        let plugin: (any Plugin)?
        var operations: [String]
    }

    /// Opens the data folder (creating it and its database when missing), migrates the
    /// schema, loads `.so` plugins from `<data>/plugins` and `pluginDirectories` (when the
    /// installation allows it), registers every plugin and seals the registry.
    public convenience init(dataDirectory: String, plugins: [any Plugin], pluginDirectories: [String] = [],
                            clock: any WallClock = SystemClock()) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let store = try Store(path: (dataDirectory as NSString).appendingPathComponent("souk.sqlite"))
        try self.init(store: store, dataDirectory: dataDirectory,
                      plugins: plugins.map { PluginCandidate(plugin: $0, source: .builtIn) },
                      pluginDirectories: [Kernel.pluginsFolder(of: dataDirectory)] + pluginDirectories, clock: clock)
    }

    /// Where `souk plugin install` puts plugin files.
    public static func pluginsFolder(of dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("plugins")
    }

    public init(store: Store, dataDirectory: String? = nil, plugins: [PluginCandidate], pluginDirectories: [String] = [],
                clock: any WallClock = SystemClock()) throws {
        self.store = store
        self.readCache = ReadCache(path: store.path)
        self.hooks = HookBus()
        self.clock = clock
        self.dataDirectory = dataDirectory
        hooks.declareKernelHooks()
        let migrator = Migrator(store: store, now: { clock.millis })
        try migrator.migrate(module: "kernel", KernelSchema.migrations)
        try registerKernelModule()
        var candidates = plugins
        let files = PluginLoader.files(in: pluginDirectories)
        if !files.isEmpty {
            if try allowsDynamicPlugins() {
                for file in files {
                    do { candidates.append(try PluginLoader.load(file)) } catch {
                        failures.append(PluginFailure(pluginID: nil, source: .file(file), error: KernelError.wrap(error)))
                    }
                }
            } else {
                for file in files {
                    failures.append(PluginFailure(pluginID: nil, source: .file(file), error: KernelError(.pluginRefused,
                        "not loading plugin file \(file): this installation does not allow dynamic plugins; an operator can allow them with: souk installation configure --allow-dynamic-plugins true")))
                }
            }
        }
        // Each registrar seals itself when its plugin's register returns: after this point no
        // plugin can add anything.
        try register(candidates, migrator: migrator)
        for role in BuiltInRole.allCases { builtInRolePermissions[role] = permissions(of: role) }
        deliverPendingEvents()
    }

    // MARK: Registration

    private func registerKernelModule() throws {
        let registrar = PluginRegistrar(pluginID: "kernel", bus: hooks)
        try KernelModule.register(registrar)
        for spec in KernelModule.permissions { permissionSpecs[spec.permission] = (spec, "kernel") }
        for operation in registrar.operations { operations[operation.name] = operation }
        for add in registrar.hookAdds { try add(hooks) }
        registrar.sealed = true
        let manifest = PluginManifest(id: "kernel", name: "Souk kernel", version: Kernel.version,
                                      kernel: .compatible(with: Kernel.version), permissions: KernelModule.permissions,
                                      migrations: KernelSchema.migrations, summary: "shops, staff, roles, plugins, audit")
        loaded.append(LoadedPlugin(manifest: manifest, source: .builtIn, plugin: nil,
                                   operations: registrar.operations.map(\.name)))
    }

    private func register(_ candidates: [PluginCandidate], migrator: Migrator) throws {
        var pending: [PluginCandidate] = []
        for candidate in candidates {
            let manifest = candidate.plugin.manifest
            if let problem = Self.precheck(manifest, source: candidate.source, loaded: loaded, pending: pending) {
                failures.append(PluginFailure(pluginID: manifest.id, source: candidate.source, error: problem))
                continue
            }
            pending.append(candidate)
        }
        // Dependency order: repeatedly take the plugins whose dependencies are all loaded.
        while !pending.isEmpty {
            let loadedIDs = Set(loaded.map(\.manifest.id))
            guard let index = pending.firstIndex(where: { Set($0.plugin.manifest.dependencies).isSubset(of: loadedIDs) }) else {
                for candidate in pending {
                    let manifest = candidate.plugin.manifest
                    let missing = manifest.dependencies.filter { !loadedIDs.contains($0) }
                    let offered = Set(pending.map(\.plugin.manifest.id))
                    let message = missing.allSatisfy(offered.contains)
                        ? "plugin '\(manifest.id)' (\(candidate.source)) is part of a dependency cycle through \(missing.joined(separator: ", ")); break the cycle"
                        : "plugin '\(manifest.id)' (\(candidate.source)) depends on \(missing.filter { !offered.contains($0) }.map { "'\($0)'" }.joined(separator: ", ")), which is not loaded; install or enable that plugin first"
                    failures.append(PluginFailure(pluginID: manifest.id, source: candidate.source,
                                                  error: KernelError(.pluginRefused, message)))
                }
                break
            }
            let candidate = pending.remove(at: index)
            do {
                try registerOne(candidate, migrator: migrator)
            } catch let error as KernelError where error.code == .schemaTooNew {
                throw error
            } catch {
                let manifest = candidate.plugin.manifest
                let kernelError = KernelError.wrap(error)
                failures.append(PluginFailure(pluginID: manifest.id, source: candidate.source, error: KernelError(
                    .pluginRefused, "plugin '\(manifest.id)' (\(candidate.source)) failed to register: \(kernelError.message)")))
            }
        }
    }

    static func precheck(_ manifest: PluginManifest, source: PluginSource, loaded: [LoadedPlugin],
                         pending: [PluginCandidate]) -> KernelError? {
        guard Validation.isCode(manifest.id) else {
            return KernelError(.pluginRefused, "plugin id '\(manifest.id)' (\(source)) is not a valid code: use lower-case letters, digits, '-' or '_'")
        }
        if let other = loaded.first(where: { $0.manifest.id == manifest.id }) {
            return KernelError(.pluginRefused, "plugin id '\(manifest.id)' from \(source) is already registered (\(other.source)); remove one of them")
        }
        if let other = pending.first(where: { $0.plugin.manifest.id == manifest.id }) {
            return KernelError(.pluginRefused, "plugin id '\(manifest.id)' from \(source) is already registered (\(other.source)); remove one of them")
        }
        if !manifest.kernel.contains(Kernel.version) {
            return KernelError(.pluginRefused, "plugin '\(manifest.id)' \(manifest.version) (\(source)) requires kernel \(manifest.kernel) but this kernel is \(Kernel.version); rebuild the plugin against kernel \(Kernel.version)")
        }
        return nil
    }

    private func registerOne(_ candidate: PluginCandidate, migrator: Migrator) throws {
        let manifest = candidate.plugin.manifest
        let registrar = PluginRegistrar(pluginID: manifest.id, bus: hooks)
        defer { registrar.sealed = true }
        try candidate.plugin.register(registrar)
        // Validate everything before committing anything.
        var seenPermissions: Set<Permission> = []
        for spec in manifest.permissions {
            if let owner = permissionSpecs[spec.permission]?.pluginID {
                throw KernelError(.conflict, "permission '\(spec.permission)' is already declared by '\(owner)'")
            }
            guard seenPermissions.insert(spec.permission).inserted else {
                throw KernelError(.conflict, "permission '\(spec.permission)' is declared twice")
            }
        }
        var seenOperations: Set<String> = []
        for operation in registrar.operations {
            guard operation.name.split(separator: ".").count >= 2, operation.name.split(separator: ".").allSatisfy({ Validation.isCode(String($0)) }) else {
                throw KernelError(.invalidInput, "operation name '\(operation.name)' must look like group.verb (lower-case codes)")
            }
            if let existing = operations[operation.name] {
                throw KernelError(.conflict, "operation '\(operation.name)' is already registered by '\(existing.pluginID)'")
            }
            guard seenOperations.insert(operation.name).inserted else {
                throw KernelError(.conflict, "operation '\(operation.name)' is registered twice")
            }
            if let permission = operation.permission, permissionSpecs[permission] == nil, !seenPermissions.contains(permission) {
                throw KernelError(.invalidInput, "operation '\(operation.name)' needs permission '\(permission)', which nobody declares; add it to the manifest's permissions")
            }
        }
        for job in registrar.schedules {
            guard let operation = registrar.operations.first(where: { $0.name == job.operation }) else {
                throw KernelError(.invalidInput, "schedule of '\(job.operation)': the plugin registers no such operation")
            }
            guard operation.scope == .shop, operation.mutates, operation.audience == .staff,
                  !operation.fields.contains(where: \.required) else {
                throw KernelError(.invalidInput,
                    "schedule of '\(job.operation)': a scheduled operation must act on a shop, change state, be a staff operation and need no input")
            }
        }
        // Hooks before migrations: a refused hook leaves no tables behind, and a failed
        // migration takes back the hooks already added.
        do {
            for add in registrar.hookAdds { try add(hooks) }
            try migrator.migrate(module: manifest.id, manifest.migrations)
        } catch {
            for token in registrar.reservedTokens { hooks.remove(token) }
            throw error
        }
        for spec in manifest.permissions { permissionSpecs[spec.permission] = (spec, manifest.id) }
        for operation in registrar.operations { operations[operation.name] = operation }
        schedules += registrar.schedules
        loaded.append(LoadedPlugin(manifest: manifest, source: candidate.source, plugin: candidate.plugin,
                                   operations: registrar.operations.map(\.name)))
    }

    // MARK: Introspection

    /// Every registered operation, sorted by name.
    public var allOperations: [OperationSpec] { operations.values.sorted { $0.name < $1.name } }

    public func operation(named name: String) -> OperationSpec? { operations[name] }

    /// Every declared permission with its owner, sorted.
    public var allPermissions: [(spec: PermissionSpec, pluginID: String)] {
        permissionSpecs.values.sorted { $0.spec.permission < $1.spec.permission }
    }

    /// The manifests of the loaded plugins (the kernel first).
    public var pluginManifests: [(manifest: PluginManifest, source: PluginSource)] {
        loaded.map { ($0.manifest, $0.source) }
    }

    func permissions(of role: BuiltInRole) -> Set<Permission> {
        if let cached = builtInRolePermissions[role] { return cached }
        return Set(permissionSpecs.values.filter { role == .owner || $0.spec.roles.contains(role) }.map(\.spec.permission))
    }
}

/// A plugin offered to the kernel, with where it came from.
public struct PluginCandidate: Sendable {
    public let plugin: any Plugin
    public let source: PluginSource

    public init(plugin: any Plugin, source: PluginSource) {
        self.plugin = plugin
        self.source = source
    }
}
