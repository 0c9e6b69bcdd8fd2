import Synchronization
import Glibc

/// State shared by all loops and workers of one server: configuration, counters, the
/// per-address table and the shutdown flags. Everything here is thread-safe.
final class ServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let limits: ConnectionLimits
    let clock: any ServerClock
    let stats = StatsCounters()
    let workers: WorkerPool
    /// Asked first, on the I/O thread, for an answer that needs no waiting.
    let handler: any HTTPHandler
    /// Open connections per peer address (incremented on accept, decremented on close).
    let addresses = Mutex<[String: Int]>([:])
    /// True while accepting is paused because of `maxConnections`; a closer that flips it
    /// back asks the acceptor loop to listen again.
    let pausedAtCapacity = Atomic<Bool>(false)
    let stopping = Atomic<Bool>(false)
    /// Set once the acceptor closed the listener: after that no connection can be handed to
    /// a loop, so a loop with no connections may exit.
    let acceptorClosed = Atomic<Bool>(false)
    let graceDeadline = Atomic<UInt64>(.max)
    let runningLoops = Atomic<Int>(0)
    let stopped = StopLatch()
    let listenFD = Atomic<Int32>(-1)
    /// The acceptor loop (index 0); set before any thread starts.
    let acceptor = Mutex<EventLoop?>(nil)

    init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, clock: any ServerClock) {
        self.configuration = configuration
        self.limits = ConnectionLimits(configuration)
        self.clock = clock
        self.workers = WorkerPool(handler: handler)
        self.handler = handler
    }

    /// Bookkeeping after a loop closed a connection (any thread).
    func connectionClosed(address: String) {
        addresses.withLock { table in
            if let count = table[address], count > 1 { table[address] = count - 1 } else { table[address] = nil }
        }
        let open = stats.open.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
        if open < configuration.maxConnections, pausedAtCapacity.exchange(false, ordering: .acquiringAndReleasing) {
            acceptor.withLock { $0 }?.post(.resumeAccepting)
        }
    }

    /// Takes a slot for `address`, or false if it already has `maxConnectionsPerAddress`.
    func reserve(address: String) -> Bool {
        addresses.withLock { table in
            let count = table[address] ?? 0
            guard count < configuration.maxConnectionsPerAddress else { return false }
            table[address] = count + 1
            return true
        }
    }

    /// Called by each loop as it exits; the last one stops the workers and opens the latch.
    func loopExited() {
        if runningLoops.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            workers.stop()
            acceptor.withLock { $0 = nil }
            stopped.open()
        }
    }
}
