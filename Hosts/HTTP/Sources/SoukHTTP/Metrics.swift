import Foundation

/// Request counters and a latency histogram, exported in the Prometheus text format.
/// One lock, held for a few increments per request.
final class Metrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// Clients choose the method token: only these become labels, the rest count as OTHER.
    static let labels = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"]

    private let lock = NSLock()
    /// Count by label index × 1000 + status: an integer key costs no string per request.
    private var requests: [Int: Int] = [:]
    private var bucketCounts = [Int](repeating: 0, count: buckets.count)
    private var latencyCount = 0
    private var latencySumNanos: UInt64 = 0

    func record(method: String, status: Int, nanos: UInt64) {
        let seconds = Double(nanos) / 1e9
        let label = Self.labels.firstIndex(of: method) ?? Self.labels.count - 1
        lock.lock()
        requests[label * 1000 + status, default: 0] += 1
        for (index, bound) in Self.buckets.enumerated() where seconds <= bound { bucketCounts[index] += 1 }
        latencyCount += 1
        latencySumNanos &+= nanos
        lock.unlock()
    }

    /// The Prometheus exposition of these counters followed by `extra` lines.
    func render(extra: [(help: String, type: String, name: String, samples: [(labels: String, value: String)])]) -> String {
        lock.lock()
        let requests = self.requests
        let bucketCounts = self.bucketCounts
        let count = latencyCount
        let sum = latencySumNanos
        lock.unlock()

        var out = "# HELP souk_http_requests_total HTTP requests answered, by method and status.\n"
        out += "# TYPE souk_http_requests_total counter\n"
        for (label, key) in requests.keys.map({ (Self.labels[$0 / 1000], $0) }).sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            out += "souk_http_requests_total{method=\"\(label)\",status=\"\(key % 1000)\"} \(requests[key]!)\n"
        }
        out += "# HELP souk_http_request_duration_seconds Time from a parsed request to its response.\n"
        out += "# TYPE souk_http_request_duration_seconds histogram\n"
        for (index, bound) in Self.buckets.enumerated() {
            out += "souk_http_request_duration_seconds_bucket{le=\"\(bound)\"} \(bucketCounts[index])\n"
        }
        out += "souk_http_request_duration_seconds_bucket{le=\"+Inf\"} \(count)\n"
        out += "souk_http_request_duration_seconds_sum \(Double(sum) / 1e9)\n"
        out += "souk_http_request_duration_seconds_count \(count)\n"
        for metric in extra {
            out += "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.type)\n"
            for sample in metric.samples {
                out += sample.labels.isEmpty ? "\(metric.name) \(sample.value)\n" : "\(metric.name){\(sample.labels)} \(sample.value)\n"
            }
        }
        return out
    }
}
