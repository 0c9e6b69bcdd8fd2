import Foundation

extension Kernel {
    /// Describes a plugin without installing it: its manifest and the operations and hooks
    /// its `register` adds (run against a scratch registrar that is thrown away).
    public static func describe(_ candidate: PluginCandidate) throws -> Value {
        let manifest = candidate.plugin.manifest
        let registrar = PluginRegistrar(pluginID: manifest.id, bus: HookBus())
        try candidate.plugin.register(registrar)
        registrar.sealed = true
        return [
            "id": .string(manifest.id), "name": .string(manifest.name), "version": .string(manifest.version.description),
            "source": .string(candidate.source.description), "kernel": .string(manifest.kernel.description),
            "compatible": .bool(manifest.kernel.contains(Kernel.version)),
            "dependencies": .string(manifest.dependencies.joined(separator: ",")),
            "permissions": .string(manifest.permissions.map(\.permission.rawValue).joined(separator: ",")),
            "operations": .string(registrar.operations.map(\.name).sorted().joined(separator: ",")),
            "hooks": .string(registrar.hookCount == 0 ? "" : "\(registrar.hookCount)"),
            "settings": .string(manifest.settings.map(\.key).joined(separator: ",")),
            "migrations": .int(Int64(manifest.migrations.count)),
        ]
    }

    /// Validates a plugin file exactly as start-up would (ELF, dlopen, ABI, fingerprint,
    /// manifest, dependencies, id not taken) and copies it into `<data>/plugins`.
    /// Operators only; audited.
    public func installPlugin(file: String, context: OperationContext) throws -> Value {
        guard context.isOperator else {
            let error = KernelError.denied("only an operator can install plugins")
            recordDenial(operation: "plugin.install", context: context, error: error)
            throw error
        }
        guard let dataDirectory else { throw KernelError(.internal, "this kernel has no data folder") }
        guard try allowsDynamicPlugins() else {
            throw KernelError(.pluginRefused, "this installation does not allow dynamic plugins; allow them first with: souk installation configure --allow-dynamic-plugins true")
        }
        let candidate = try PluginLoader.load(file)
        let manifest = candidate.plugin.manifest
        if let problem = Kernel.precheck(manifest, source: candidate.source, loaded: loaded, pending: []) { throw problem }
        let missing = manifest.dependencies.filter { id in !loaded.contains { $0.manifest.id == id } }
        guard missing.isEmpty else {
            throw KernelError(.pluginRefused, "plugin '\(manifest.id)' (\(file)) depends on \(missing.joined(separator: ", ")), which is not loaded; install that first")
        }
        let description = try Kernel.describe(candidate)
        let folder = Kernel.pluginsFolder(of: dataDirectory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = (folder as NSString).appendingPathComponent("\(manifest.id).so")
        guard !FileManager.default.fileExists(atPath: target) else {
            throw KernelError(.conflict, "a plugin file \(target) is already installed; remove it first to replace it")
        }
        // Copy to a temporary name and rename, so a crash never leaves half a library.
        let temporary = target + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: file, toPath: temporary)
        try FileManager.default.moveItem(atPath: temporary, toPath: target)
        try store.write { tx in
            try auditPlatform("plugin.install", actor: context.actor.description, entity: "plugin:\(manifest.id)",
                              change: ["file": .string(file), "installed_as": .string(target), "version": .string(manifest.version.description)],
                              correlationID: context.correlationID, in: tx)
        }
        guard case .object(var object) = description else { return description }
        object["installed_as"] = .string(target)
        return .object(object)
    }
}
