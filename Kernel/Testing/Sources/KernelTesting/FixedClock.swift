import Foundation
import Kernel

/// A clock that stands still until a test moves it.
///
/// ```swift
/// let clock = FixedClock(Date(timeIntervalSince1970: 1_800_000_000))
/// clock.advance(by: 16 * 60)   // past the sign-in lock-out
/// ```
public final class FixedClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func advance(by seconds: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        current += seconds
    }

    public func set(_ date: Date) {
        lock.lock()
        defer { lock.unlock() }
        current = date
    }
}
