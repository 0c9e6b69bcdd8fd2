/// A module of Souk: payment, shipping, a shop's own gift wrapping...
///
/// A plugin declares itself in `manifest` and registers its operations and hooks in
/// `register`, which runs once at start-up. After start-up the registry is sealed.
///
/// ```swift
/// public final class GiftWrapPlugin: Plugin {
///     public init() {}
///     public let manifest = PluginManifest(id: "giftwrap", name: "Gift wrapping",
///         version: SemanticVersion(1, 0, 0), kernel: .compatible(with: Kernel.version))
///     public func register(_ registrar: PluginRegistrar) throws {
///         try registrar.operation(OperationSpec(name: "giftwrap.list", summary: "List wraps",
///             permission: "giftwrap.read", mutates: false) { scope in .array([]) })
///     }
/// }
/// ```
/// - Important: keep no state outside the kernel's store (several processes share one
///   data folder) and never block the caller (no network calls inside a handler).
public protocol Plugin: AnyObject, Sendable {
    var manifest: PluginManifest { get }
    func register(_ registrar: PluginRegistrar) throws
}

/// Where a plugin came from.
public enum PluginSource: Sendable, Equatable, CustomStringConvertible {
    case builtIn
    case file(String)

    public var description: String {
        switch self {
        case .builtIn: return "built in"
        case .file(let path): return path
        }
    }
}

/// A plugin that failed to load or register, and why. The host keeps running without it.
public struct PluginFailure: Sendable, CustomStringConvertible {
    public let pluginID: String?
    public let source: PluginSource
    public let error: KernelError

    public init(pluginID: String?, source: PluginSource, error: KernelError) {
        self.pluginID = pluginID
        self.source = source
        self.error = error
    }

    public var description: String { error.message }
}
