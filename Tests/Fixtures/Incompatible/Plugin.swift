// Fixture plugin for the loader's failure paths (see Tests/CLITests/PluginLoadingTests.swift).
import Kernel

final class FixturePlugin: Plugin {
    let manifest = PluginManifest(id: "fx-future", name: "Incompatible fixture", version: SemanticVersion(1, 0, 0),
                                  kernel: VersionRange(from: SemanticVersion(7, 0, 0), upTo: SemanticVersion(8, 0, 0)), dependencies: [])
    func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(OperationSpec(name: "fx-future.ping", summary: "Ping", permission: nil, mutates: false) { _ in "pong" })
        
    }
}

@_cdecl("souk_plugin_abi_version")
public func soukPluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("souk_plugin_fingerprint")
public func soukPluginFingerprint() -> UnsafePointer<CChar> { PluginABI.fingerprint }

@_cdecl("souk_plugin_create")
public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(FixturePlugin()) }
