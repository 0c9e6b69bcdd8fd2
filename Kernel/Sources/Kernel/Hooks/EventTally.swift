import Foundation

/// Counts events published by committed operations, by event name, whether or not anyone
/// subscribes (unsubscribed events never reach the outbox). Hosts export it as metrics,
/// e.g. `order.placed` as orders placed.
public final class EventTally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func record(_ names: [String]) {
        guard !names.isEmpty else { return }
        lock.lock()
        for name in names { counts[name, default: 0] += 1 }
        lock.unlock()
    }

    /// The counts so far.
    public var snapshot: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}
