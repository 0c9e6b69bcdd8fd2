/// A per-shop setting a plugin declares (e.g. the gift-wrapping fee). Shops change it with
/// `souk settings set --shop C --plugin ID --key K --value V`; the plugin reads it with
/// `scope.setting(...)`.
public struct SettingSpec: Sendable {
    public let key: String
    public let type: FieldType
    public let defaultValue: Value
    public let help: String
    /// Secret settings (webhook keys, API tokens) are masked in `settings.show` and in the
    /// audit log.
    public let secret: Bool

    public init(_ key: String, _ type: FieldType, default defaultValue: Value, help: String, secret: Bool = false) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
    }
}
