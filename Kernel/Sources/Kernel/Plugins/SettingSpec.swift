/// A per-shop setting a plugin declares (e.g. the gift-wrapping fee). Shops change it with
/// `souk settings set --shop C --plugin ID --key K --value V`; the plugin reads it with
/// `scope.setting(...)`.
public struct SettingSpec: Sendable {
    public let key: String
    public let type: FieldType
    public let defaultValue: Value
    public let help: String

    public init(_ key: String, _ type: FieldType, default defaultValue: Value, help: String) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
    }
}
