// Fixture plugin for the loader's failure paths (see Tests/CLITests/PluginLoadingTests.swift).
import Kernel

final class FixturePlugin: Plugin {
    let manifest = PluginManifest(id: "fx-wrongabi", name: "WrongABI fixture", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version), dependencies: [])
    func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(OperationSpec(name: "fx-wrongabi.ping", summary: "Ping", permission: nil, mutates: false) { _ in "pong" })
        
    }
}

@_cdecl("souk_plugin_abi_version")
public func soukPluginABIVersion() -> UInt32 { PluginABI.version + 41 }

@_cdecl("souk_plugin_fingerprint")
public func soukPluginFingerprint() -> UnsafePointer<CChar> { PluginABI.fingerprint }

@_cdecl("souk_plugin_create")
public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(FixturePlugin()) }
