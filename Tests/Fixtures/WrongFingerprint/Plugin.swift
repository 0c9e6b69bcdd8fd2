// Fixture plugin for the loader's failure paths (see Tests/CLITests/PluginLoadingTests.swift).
import Kernel
import Foundation

final class FixturePlugin: Plugin {
    let manifest = PluginManifest(id: "fx-fingerprint", name: "WrongFingerprint fixture", version: SemanticVersion(1, 0, 0),
                                  kernel: .compatible(with: Kernel.version), dependencies: [])
    func register(_ registrar: PluginRegistrar) throws {
        try registrar.operation(OperationSpec(name: "fx-fingerprint.ping", summary: "Ping", permission: nil, mutates: false) { _ in "pong" })
        
    }
}

@_cdecl("souk_plugin_abi_version")
public func soukPluginABIVersion() -> UInt32 { PluginABI.version }

@_cdecl("souk_plugin_fingerprint")
public func soukPluginFingerprint() -> UnsafePointer<CChar> { UnsafePointer(strdup("abi1-swift6.3-built-from-other-kernel-source")!) }

@_cdecl("souk_plugin_create")
public func soukPluginCreate() -> UnsafeMutableRawPointer { PluginABI.export(FixturePlugin()) }
