import Glibc

/// Monotonic time in nanoseconds. The connection state machine never reads a clock itself:
/// every input carries `now`, so tests drive timeouts with made-up instants instead of sleeps.
protocol ServerClock: Sendable {
    func now() -> UInt64
}

/// CLOCK_MONOTONIC (a vDSO call; cheap enough to read once per event batch).
struct MonotonicClock: ServerClock {
    func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}
