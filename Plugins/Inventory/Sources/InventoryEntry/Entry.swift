// The C entry points of the Inventory plugin's .so. Kept apart from the plugin's code so that
// hosts can link the code statically and the same source also ships as a shared object.
import Kernel
import Inventory

@_cdecl("souk_plugin_abi_version")
public func soukPluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("souk_plugin_fingerprint")
public func soukPluginFingerprint() -> UnsafePointer<CChar> { PluginABI.fingerprint }

@_cdecl("souk_plugin_create")
public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(InventoryPlugin()) }
