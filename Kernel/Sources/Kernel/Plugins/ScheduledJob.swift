/// An operation a plugin asked to have run periodically in each shop (see
/// `PluginRegistrar.schedule`).
public struct ScheduledJob: Sendable, Equatable {
    public let operation: String
    public let pluginID: String
    public let intervalMillis: Int64
}
