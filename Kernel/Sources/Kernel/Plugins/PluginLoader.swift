import Foundation

/// Loads plugins from shared objects: ELF checks, `dlopen(RTLD_NOW)`, the ABI version,
/// the build fingerprint, then the create symbol. Manifest checks (kernel range,
/// dependencies, duplicate ids) follow in the kernel's registration. Libraries are never
/// closed: unmapping Swift code breaks the runtime's type lookups.
public enum PluginLoader {
    /// The `.so` files in `directories`, sorted by name within each directory. Missing
    /// directories are skipped; a missing file named explicitly is reported by `load`.
    public static func files(in directories: [String]) -> [String] {
        var files: [String] = []
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            // A build folder also holds libKernel.so: loading it would put a second kernel in the process.
            for name in names.sorted() where name.hasSuffix(".so") && name != "libKernel.so" {
                files.append((directory as NSString).appendingPathComponent(name))
            }
        }
        return files
    }

    /// Loads one plugin file, or explains in one message why not.
    public static func load(_ path: String) throws -> PluginCandidate {
        try ELFCheck.validate(path)
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw KernelError(.pluginRefused, "plugin file \(path) cannot be loaded: \(reason); rebuild it against this kernel")
        }
        guard let abiSymbol = dlsym(handle, PluginABI.abiSymbol) else {
            throw KernelError(.pluginRefused,
                "plugin file \(path) is a shared library but not a Souk plugin: it exports no \(PluginABI.abiSymbol) symbol; build it with a plugin entry target (docs/plugins.md)")
        }
        typealias ABIFunction = @convention(c) () -> UInt32
        let abi = unsafeBitCast(abiSymbol, to: ABIFunction.self)()
        guard abi == PluginABI.version else {
            throw KernelError(.pluginRefused,
                "plugin file \(path) was built for plugin ABI \(abi) but this Souk (kernel \(Kernel.version)) speaks ABI \(PluginABI.version); rebuild the plugin against kernel \(Kernel.version)")
        }
        guard let fingerprintSymbol = dlsym(handle, PluginABI.fingerprintSymbol) else {
            throw KernelError(.pluginRefused, "plugin file \(path) exports no \(PluginABI.fingerprintSymbol) symbol; rebuild it with a plugin entry target (docs/plugins.md)")
        }
        typealias FingerprintFunction = @convention(c) () -> UnsafePointer<CChar>
        let fingerprint = String(cString: unsafeBitCast(fingerprintSymbol, to: FingerprintFunction.self)())
        let expected = PluginABI.fingerprintText
        guard fingerprint == expected else {
            throw KernelError(.pluginRefused,
                "plugin file \(path) has build fingerprint \(fingerprint) but this Souk expects \(expected): it was built with another compiler or kernel source; rebuild it against this kernel")
        }
        guard let createSymbol = dlsym(handle, PluginABI.createSymbol) else {
            throw KernelError(.pluginRefused, "plugin file \(path) exports no \(PluginABI.createSymbol) symbol; rebuild it with a plugin entry target (docs/plugins.md)")
        }
        typealias CreateFunction = @convention(c) () -> UnsafeMutableRawPointer
        let plugin = PluginABI.take(unsafeBitCast(createSymbol, to: CreateFunction.self)())
        return PluginCandidate(plugin: plugin, source: .file(path))
    }
}
