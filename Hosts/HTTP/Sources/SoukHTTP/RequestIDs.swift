import Kernel
import Synchronization

/// Request ids for requests that bring none: `req_` + a random prefix drawn once per
/// process + a counter. Unique across processes and restarts (the prefix has 64 random
/// bits) without a call to the system's random source per request; they identify, they do
/// not authenticate, so they need not be unpredictable.
enum RequestIDs {
    private static let prefix = SecureRandom.token(prefix: "req_", byteCount: 8) + "-"
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return prefix + String(number, radix: 16)
    }
}
