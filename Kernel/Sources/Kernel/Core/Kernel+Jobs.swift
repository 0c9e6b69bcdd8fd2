import Foundation

extension Kernel {
    /// What one call of `runDueJobs` did.
    public struct JobReport: Sendable, Equatable {
        public var ran: [String] = []
        /// "operation in shop: message" for each run that failed.
        public var failed: [String] = []
        public init() {}
    }

    /// The scheduled operations of every loaded plugin.
    public var scheduledJobs: [ScheduledJob] { schedules }

    /// Runs the scheduled operations that are due, at most `limit` runs per call. Hosts that
    /// stay up call this every second or so. Each (operation, shop) pair is claimed in a
    /// write transaction before it runs, so several processes on one data folder never run
    /// the same job twice in one interval. A failed run is reported and recorded in
    /// `souk_job_runs.last_error`; it is tried again after the next interval.
    @discardableResult
    public func runDueJobs(limit: Int = 50) -> JobReport {
        var report = JobReport()
        guard !schedules.isEmpty else { return report }
        let now = clock.millis
        let due: [(ScheduledJob, ShopRef)]
        do {
            due = try store.read { tx in
                let shops = try tx.query("SELECT id, code, currency FROM souk_shops ORDER BY id").map {
                    ShopRef(id: try $0.int64("id"), code: try $0.string("code"), currency: try $0.string("currency"))
                }
                var lastRuns: [String: Int64] = [:]
                for row in try tx.query("SELECT operation, shop_id, last_run_at FROM souk_job_runs") {
                    lastRuns["\(try row.string("operation"))|\(try row.int64("shop_id"))"] = try row.int64("last_run_at")
                }
                var due: [(ScheduledJob, ShopRef)] = []
                for job in schedules {
                    for shop in shops where due.count < limit {
                        let key = "\(job.operation)|\(shop.id)"
                        let last = lastRuns[key] ?? Int64.min / 2
                        guard last + job.intervalMillis <= now, !jobSkips.skips(key, at: now) else { continue }
                        guard try enabledPlugins(shopID: shop.id, in: tx).contains(job.pluginID) else {
                            jobSkips.skip(key, until: now + job.intervalMillis)
                            continue
                        }
                        due.append((job, shop))
                    }
                }
                return due
            }
        } catch {
            report.failed.append("scheduled jobs: \(KernelError.wrap(error).message)")
            return report
        }
        for (job, shop) in due {
            do {
                guard try claim(job, shop: shop, now: now) else { continue }
                let context = OperationContext(shop: shop, actor: .system, isOperator: true, clock: clock)
                try perform(job.operation, context: context)
                report.ran.append("\(job.operation) in \(shop.code)")
            } catch {
                let message = KernelError.wrap(error).message
                report.failed.append("\(job.operation) in \(shop.code): \(message)")
                _ = try? store.write { tx in
                    try tx.execute("UPDATE souk_job_runs SET last_error = ? WHERE operation = ? AND shop_id = ?",
                                   [message, job.operation, shop.id])
                }
            }
        }
        return report
    }

    /// Takes the (job, shop) run for this interval; false when another process took it.
    private func claim(_ job: ScheduledJob, shop: ShopRef, now: Int64) throws -> Bool {
        try store.write { tx in
            let claimed = try tx.execute("""
                UPDATE souk_job_runs SET last_run_at = ?, last_error = NULL
                WHERE operation = ? AND shop_id = ? AND last_run_at + ? <= ?
                """, [now, job.operation, shop.id, job.intervalMillis, now])
            if claimed == 1 { return true }
            return try tx.execute("INSERT OR IGNORE INTO souk_job_runs (operation, shop_id, last_run_at) VALUES (?, ?, ?)",
                                  [job.operation, shop.id, now]) == 1
        }
    }
}

/// Remembers (job, shop) pairs not to look at again before a time.
final class JobSkips: @unchecked Sendable {
    private let lock = NSLock()
    private var until: [String: Int64] = [:]

    func skips(_ key: String, at now: Int64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (until[key] ?? Int64.min) > now
    }

    func skip(_ key: String, until time: Int64) {
        lock.lock()
        until[key] = time
        lock.unlock()
    }
}
