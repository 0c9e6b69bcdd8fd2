// The three C symbols the Souk loader looks for. Keep this target this small.
import Kernel
import GiftWrap

@_cdecl("souk_plugin_abi_version")
public func soukPluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("souk_plugin_fingerprint")
public func soukPluginFingerprint() -> UnsafePointer<CChar> { PluginABI.fingerprint }

@_cdecl("souk_plugin_create")
public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(GiftWrapPlugin()) }
