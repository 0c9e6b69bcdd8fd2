/// Threads that run the handler. Loops hand over complete requests; a worker calls the
/// handler (blocking is fine here) and posts the response back to the owning loop.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        let loop: EventLoop
        let fd: Int32
        let connectionID: UInt64
        let request: HTTPRequest
        /// May be handled with the batchable jobs queued right after it (`handleBatch`).
        var batchable = false
    }

    /// At most this many requests in one `handleBatch` call.
    static let batchLimit = 32

    private let handler: any HTTPHandler
    private let lock = ConditionLock()
    // All guarded by `lock`:
    private var queue: [Job?] = []  // consumed slots are nil so bodies are freed early
    private var head = 0
    private var idleWorkers = 0
    private var stopping = false

    init(handler: any HTTPHandler) { self.handler = handler }

    /// Starts `count` threads; false if the system refused one.
    func start(count: Int) -> Bool {
        for index in 0..<count {
            guard startThread(name: "http-worker-\(index)", { [self] in run() }) else { return false }
        }
        return true
    }

    /// Queues a loop's batch under one lock and wakes at most one idle worker per job:
    /// each wake-up is a context switch, the main cost of handing work to another thread.
    func submit(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        lock.lock()
        queue.append(contentsOf: jobs.lazy.map { Optional($0) })
        let wakes = min(idleWorkers, jobs.count)
        lock.unlock()
        if wakes == 1 { lock.signal() } else if wakes > 1 { lock.broadcast() }
    }

    /// Workers finish the queued jobs, then exit.
    func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        lock.unlock()
    }

    private func run() {
        while let jobs = next() {
            if jobs.count == 1 {
                let job = jobs[0]
                job.loop.post(.response(fd: job.fd, connectionID: job.connectionID, handler.handle(job.request)))
                continue
            }
            let responses = handler.handleBatch(jobs.map(\.request))
            for (job, response) in zip(jobs, responses) {
                job.loop.post(.response(fd: job.fd, connectionID: job.connectionID, response))
            }
        }
    }

    /// The next job, with the batchable jobs queued right behind a batchable one.
    private func next() -> [Job]? {
        lock.lock()
        defer { lock.unlock() }
        while head == queue.count {
            if stopping { return nil }
            idleWorkers += 1
            lock.wait()
            idleWorkers -= 1
        }
        var taken = [take()]
        while taken[0].batchable, taken.count < Self.batchLimit, head < queue.count, queue[head]!.batchable {
            taken.append(take())
        }
        return taken
    }

    /// Removes the job at `head`. Under `lock`, with a job there.
    private func take() -> Job {
        let job = queue[head]!
        queue[head] = nil
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return job
    }
}
