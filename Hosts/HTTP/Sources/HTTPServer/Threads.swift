import CHTTPShim
import Glibc

/// Starts a detached POSIX thread (not a Swift concurrency task: loops block in epoll_wait
/// and workers block in handlers, which must not starve the cooperative pool).
func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    let box = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { raw in
        let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
        chttp_set_thread_name(start.name)
        start.body()
        return nil
    }, box)
    if status != 0 {
        Unmanaged<ThreadStart>.fromOpaque(box).release()
        return false
    }
    pthread_detach(thread)
    return true
}

private final class ThreadStart {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
