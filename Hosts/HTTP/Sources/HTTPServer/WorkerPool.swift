/// Threads that run the handler. Loops hand over complete requests; a worker calls the
/// handler (blocking is fine here) and posts the response back to the owning loop.
///
/// Writes that may be committed together (`Job.batchable`) have a queue of their own and one
/// worker at a time drains it: while it commits a group, the writes that arrive wait for it
/// and become its next group. Several workers taking writes side by side would only queue on
/// the database's single write lock, each with a smaller group, each group its own commit
/// and a thread switch more. Other requests (reads, and writes that cannot be grouped) go to
/// any idle worker, in the order they came.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        let loop: EventLoop
        let fd: Int32
        let connectionID: UInt64
        let request: HTTPRequest
        /// May be handled with the batchable jobs queued with it (`handleBatch`).
        var batchable = false
    }

    /// At most this many requests in one `handleBatch` call.
    static let batchLimit = 32

    private let handler: any HTTPHandler
    private let lock = ConditionLock()
    // All guarded by `lock`:
    private var others = JobQueue()
    private var writes = JobQueue()
    /// A worker is handling a group of writes; the next group waits for it.
    private var writing = false
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

    /// Queues a loop's batch under one lock and wakes at most one idle worker per job a worker
    /// can take now: each wake-up is a context switch, the main cost of handing work over.
    func submit(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        lock.lock()
        var runnable = 0
        let wasWaiting = !writes.isEmpty
        for job in jobs {
            if job.batchable { writes.append(job) } else { others.append(job); runnable += 1 }
        }
        // New writes need a worker only when none is writing or about to take them.
        if !writing, !wasWaiting, !writes.isEmpty { runnable += 1 }
        let wakes = min(idleWorkers, runnable)
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
        var wroteLast = false
        while let (jobs, isWriteGroup) = next(afterWriting: wroteLast) {
            wroteLast = isWriteGroup
            if jobs.count == 1 {
                let job = jobs[0]
                job.loop.post(.response(fd: job.fd, connectionID: job.connectionID, handler.handle(job.request)))
            } else {
                let responses = handler.handleBatch(jobs.map(\.request))
                for (job, response) in zip(jobs, responses) {
                    job.loop.post(.response(fd: job.fd, connectionID: job.connectionID, response))
                }
            }
            if isWriteGroup { finishedWriting() }
        }
    }

    /// The next job, or the next group of writes when no other worker is writing.
    private func next(afterWriting: Bool) -> (jobs: [Job], isWriteGroup: Bool)? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            // Writes first when nobody is writing: at most one worker is ever busy with them, so
            // reads keep the others, and a stream of reads cannot hold the writes back. A worker
            // that just wrote serves a waiting read first, so a stream of writes cannot hold the
            // reads back either (with a single worker they alternate).
            if afterWriting, let job = others.take() { return ([job], false) }
            if !writing, !writes.isEmpty {
                writing = true
                var group = [writes.take()!]
                while group.count < Self.batchLimit, let job = writes.take() { group.append(job) }
                return (group, true)
            }
            if let job = others.take() { return ([job], false) }
            // The worker that is writing takes what is left of the writes itself.
            if stopping { return nil }
            idleWorkers += 1
            lock.wait()
            idleWorkers -= 1
        }
    }

    /// The writing worker is done with its group: the writes that came meanwhile are the next
    /// group, for whichever worker is free (usually this one, on its next `next()`).
    private func finishedWriting() {
        lock.lock()
        writing = false
        let waiting = !writes.isEmpty && idleWorkers > 0
        lock.unlock()
        if waiting { lock.signal() }
    }
}

/// A first-in first-out queue of jobs whose consumed slots are emptied at once (so request
/// bodies are freed early) and reclaimed in bulk.
struct JobQueue {
    private var slots: [WorkerPool.Job?] = []
    private var head = 0

    var isEmpty: Bool { head == slots.count }

    mutating func append(_ job: WorkerPool.Job) { slots.append(job) }

    mutating func take() -> WorkerPool.Job? {
        guard head < slots.count else { return nil }
        let job = slots[head]
        slots[head] = nil
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > slots.count {
            slots.removeFirst(head)
            head = 0
        }
        return job
    }
}
