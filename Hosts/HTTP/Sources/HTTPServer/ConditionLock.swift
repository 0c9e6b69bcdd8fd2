import Glibc

/// A pthread mutex with one condition variable: the worker queue and the stop latch wait
/// on it. (Synchronization.Mutex has no condition variable.)
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Call with the lock held.
    func wait() { pthread_cond_wait(condition, mutex) }
    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Blocks callers of `wait()` until `open()`; used by `waitUntilStopped()`.
final class StopLatch: @unchecked Sendable {
    private let lock = ConditionLock()
    private var isOpen = false  // guarded by lock

    func open() {
        lock.lock()
        isOpen = true
        lock.broadcast()
        lock.unlock()
    }

    func wait() {
        lock.lock()
        while !isOpen { lock.wait() }
        lock.unlock()
    }
}
