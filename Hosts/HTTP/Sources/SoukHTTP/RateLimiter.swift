import Foundation

/// A token bucket per client address, for the requests anyone may send without an
/// account: staff sign-in, storefront sessions, registration and customer sign-in. Each
/// writes rows (sessions, audit entries, failed-attempt counters), and unthrottled they let
/// one client fill the database or lock accounts out by guessing.
final class RateLimiter: @unchecked Sendable {
    /// Requests per second refilled, and the burst a quiet client may spend at once.
    struct Limit: Sendable {
        var perSecond: Double
        var burst: Double
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private let limit: Limit
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private let now: @Sendable () -> UInt64

    init(_ limit: Limit, now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.limit = limit
        self.now = now
    }

    /// Takes one token for `address`; nil when allowed, else the seconds until one is free.
    func take(_ address: String) -> Int? {
        let time = now()
        lock.lock()
        defer { lock.unlock() }
        if buckets.count > 50_000 { forgetFullBuckets(at: time) }
        var bucket = buckets[address] ?? Bucket(tokens: limit.burst, updated: time)
        let elapsed = Double(time &- bucket.updated) / 1e9
        bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
        bucket.updated = time
        guard bucket.tokens >= 1 else {
            buckets[address] = bucket
            return max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
        bucket.tokens -= 1
        buckets[address] = bucket
        return nil
    }

    /// Buckets that have refilled are the same as no bucket: dropping them bounds memory.
    private func forgetFullBuckets(at time: UInt64) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(time &- bucket.updated) / 1e9 * limit.perSecond < limit.burst
        }
    }
}
