import Foundation

/// The C-ABI contract between a host and a plugin built as a shared object.
///
/// A plugin's entry target exports three symbols; the values come from these inlined
/// members, so they are compiled into the plugin and report what the plugin was built
/// with, not what the host has:
/// ```swift
/// import Kernel
/// @_cdecl("souk_plugin_abi_version") public func soukPluginABIVersion() -> UInt32 { PluginABI.version }
/// @_cdecl("souk_plugin_fingerprint") public func soukPluginFingerprint() -> UnsafePointer<CChar> { PluginABI.fingerprint }
/// @_cdecl("souk_plugin_create") public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(MyPlugin()) }
/// ```
public enum PluginABI {
    /// Bumped whenever anything that crosses the boundary changes incompatibly.
    @_alwaysEmitIntoClient
    public static var version: UInt32 { 1 }

    /// ABI version, compiler and the sizes of the types that cross the boundary. A layout
    /// change without a version bump still changes the fingerprint, so the plugin is
    /// refused instead of crashing.
    @_alwaysEmitIntoClient
    public static var fingerprintText: String {
        var compiler = "older"
        #if compiler(>=6.4)
        compiler = "6.4+"
        #elseif compiler(>=6.3)
        compiler = "6.3"
        #endif
        let sizes = [
            MemoryLayout<PluginManifest>.size, MemoryLayout<OperationSpec>.size, MemoryLayout<Field>.size,
            MemoryLayout<OperationContext>.size, MemoryLayout<Value>.size, MemoryLayout<KernelError>.size,
            MemoryLayout<PermissionSpec>.size, MemoryLayout<Migration>.size, MemoryLayout<SettingSpec>.size,
        ].map(String.init).joined(separator: ".")
        return "abi\(version)-swift\(compiler)-\(sizes)"
    }

    /// The fingerprint as a C string that lives for the whole process.
    @_alwaysEmitIntoClient
    public static var fingerprint: UnsafePointer<CChar> {
        UnsafePointer(strdup(fingerprintText)!)
    }

    /// Hands a plugin instance to the host across the C boundary (retained once).
    public static func export(_ plugin: any Plugin) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(PluginBox(plugin)).toOpaque()
    }

    static func take(_ pointer: UnsafeMutableRawPointer) -> any Plugin {
        Unmanaged<PluginBox>.fromOpaque(pointer).takeRetainedValue().plugin
    }

    static let abiSymbol = "souk_plugin_abi_version"
    static let fingerprintSymbol = "souk_plugin_fingerprint"
    static let createSymbol = "souk_plugin_create"
}

/// Carries an existential across the C boundary as one object pointer.
final class PluginBox {
    let plugin: any Plugin
    init(_ plugin: any Plugin) { self.plugin = plugin }
}
