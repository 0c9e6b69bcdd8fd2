import Foundation

/// Where the kernel reads the time. Injected so that tests and replays can fix it.
///
/// ```swift
/// struct FrozenClock: WallClock { func now() -> Date { Date(timeIntervalSince1970: 0) } }
/// ```
public protocol WallClock: Sendable {
    func now() -> Date
}

extension WallClock {
    /// Milliseconds since 1970, the unit of every timestamp column.
    public var millis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// The real time.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
