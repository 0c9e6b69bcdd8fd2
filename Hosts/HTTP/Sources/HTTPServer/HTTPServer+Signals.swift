import Dispatch
import Glibc

extension HTTPServer {
    /// Makes SIGTERM and SIGINT (or `signals`) start a graceful `shutdown()` instead of
    /// killing the process, so `souk serve` finishes in-flight requests under systemd,
    /// Docker or Ctrl-C. The default action is disabled for those signals and a Dispatch
    /// signal source calls `shutdown()` on a Dispatch queue (no work in a signal handler).
    public func shutdownOnSignals(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        var boxes: [SignalSourceBox] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.shutdown() }
            source.resume()
            boxes.append(SignalSourceBox(source: source))
        }
        retainSignalSources(boxes)
    }
}

/// Keeps a signal source alive for the server's lifetime. DispatchSource objects are
/// thread-safe but not marked Sendable.
struct SignalSourceBox: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
