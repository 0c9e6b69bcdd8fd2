/// What a plugin declares about itself before any of its code runs.
///
/// ```swift
/// PluginManifest(
///     id: "giftwrap", name: "Gift wrapping", version: SemanticVersion(1, 0, 0),
///     kernel: .compatible(with: SemanticVersion(0, 1, 0)),
///     permissions: [PermissionSpec("giftwrap.read", "See wrapped orders", roles: [.manager, .clerk])],
///     migrations: [Migration(version: 1, name: "wraps", sql: "CREATE TABLE ...")],
///     settings: [SettingSpec("fee", .int, default: 250, help: "fee in minor units")])
/// ```
public struct PluginManifest: Sendable {
    /// A unique code: lower-case letters, digits, '-' and '_'.
    public let id: String
    public let name: String
    public let version: SemanticVersion
    /// Kernel versions this plugin was built for; checked before `register` runs.
    public let kernel: VersionRange
    /// Plugins that must be loaded (and registered) before this one.
    public let dependencies: [String]
    public let permissions: [PermissionSpec]
    public let migrations: [Migration]
    public let settings: [SettingSpec]
    /// Whether a new shop gets the plugin enabled without asking.
    public let enabledByDefault: Bool
    public let summary: String

    public init(id: String, name: String, version: SemanticVersion, kernel: VersionRange,
                dependencies: [String] = [], permissions: [PermissionSpec] = [], migrations: [Migration] = [],
                settings: [SettingSpec] = [], enabledByDefault: Bool = true, summary: String = "") {
        self.id = id
        self.name = name
        self.version = version
        self.kernel = kernel
        self.dependencies = dependencies
        self.permissions = permissions
        self.migrations = migrations
        self.settings = settings
        self.enabledByDefault = enabledByDefault
        self.summary = summary
    }
}
