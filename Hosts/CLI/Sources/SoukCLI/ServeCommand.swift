import Dispatch
import Foundation
import HTTPServer
import Kernel
import SoukHTTP

/// `souk serve [--listen ADDR:PORT]`: the HTTP API of this data folder's kernel and plugins.
struct ServeCommand {
    let cli: CLI
    let options: GlobalOptions
    let arguments: [String]

    static let help = """
        Usage: souk serve [--listen ADDR:PORT] [--io-threads N] [--workers N] [--max-connections N] [--drain SECONDS]

        Serve the JSON API of every operation of the data folder's plugins (admin and
        storefront), /v1/openapi.json, /healthz, /readyz and /metrics.
        SIGTERM or SIGINT turns /readyz to 503, keeps serving for --drain seconds (so a load
        balancer can stop sending), then stops accepting, finishes in-flight requests and exits.

        Flags:
          --listen ADDR:PORT     where to listen (default 127.0.0.1:8080; port 0 picks a free one)
          --io-threads N         event-loop threads (default: one per core)
          --workers N            threads that run operations (default: two per core)
          --max-connections N    open connections before accepting pauses (default: the
                                 descriptor limit minus 64, at most 10000)
          --drain SECONDS        after SIGTERM, how long /readyz answers 503 before the
                                 listener closes (default 0)

        """

    func run() throws -> Int32 {
        if options.help { cli.out(Self.help); return 0 }
        let parsed = try FlagParser(command: "souk serve", valueFlags: ["listen", "io-threads", "workers", "max-connections", "drain"],
                                    boolFlags: []).parse(arguments)
        if let extra = parsed.positionals.first { throw KernelError(.usage, "unexpected argument '\(extra)' for 'souk serve'") }
        var configuration = HTTPServerConfiguration()
        let (host, port) = try Self.listenAddress(parsed.values["listen"] ?? "127.0.0.1:8080")
        configuration.host = host
        configuration.port = port
        if let text = parsed.values["io-threads"] { configuration.ioThreads = try Self.positive(text, flag: "io-threads") }
        if let text = parsed.values["workers"] { configuration.workerThreads = try Self.positive(text, flag: "workers") }
        if let text = parsed.values["max-connections"] { configuration.maxConnections = try Self.positive(text, flag: "max-connections") }

        var drain = 0
        if let text = parsed.values["drain"] {
            guard let seconds = Int(text), (0...300).contains(seconds) else {
                throw KernelError.invalid("drain", "--drain expects whole seconds from 0 to 300, got '\(text)'")
            }
            drain = seconds
        }
        let kernel = try cli.openKernel(options)
        let api = SoukAPI(kernel: kernel)
        let server = HTTPServer(configuration: configuration, handler: api)
        api.serverMetrics = { [server] in
            let stats = server.stats
            return [("souk_http_open_connections", "Connections open now.", stats.openConnections),
                    ("souk_http_connections_accepted_total", "Connections accepted since start.", stats.acceptedConnections),
                    ("souk_http_refused_per_address_total", "Connections refused by the per-address cap.", stats.rejectedPerAddress),
                    ("souk_http_timed_out_total", "Connections cut by the request deadline or idle timeout.", stats.timedOut),
                    ("souk_http_accept_paused_total", "Times accepting paused at the connection cap or out of descriptors.",
                     stats.acceptPausedAtCapacity + stats.acceptPausedOutOfDescriptors)]
        }
        let bound = try server.start()
        cli.out("souk: serving \(options.dataDirectory) on http://\(host):\(bound) (\(kernel.allOperations.count) operations)\n")

        // Stop on SIGTERM/SIGINT: readiness goes first, then the server drains.
        let signals = DispatchQueue(label: "souk.serve.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler {
                api.beginShutdown()
                signals.asyncAfter(deadline: .now() + .seconds(drain)) { server.shutdown() }
            }
            source.resume()
            sources.append(source)
        }
        // Events published by requests are delivered right after each commit; this retries
        // the ones whose subscribers failed, on their backoff schedule, and runs the plugins'
        // scheduled jobs that are due.
        let delivery = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "souk.serve.outbox"))
        delivery.schedule(deadline: .now() + 1, repeating: 1)
        delivery.setEventHandler {
            kernel.deliverPendingEvents()
            // Plugins' housekeeping (e.g. expiring stock holds), on the same serial queue.
            let jobs = kernel.runDueJobs()
            for failure in jobs.failed { CLI.write("souk serve: scheduled job failed: \(failure)\n", to: STDERR_FILENO) }
        }
        delivery.resume()

        server.waitUntilStopped()
        delivery.cancel()
        sources.forEach { $0.cancel() }
        cli.out("souk: stopped\n")
        return 0
    }

    static func listenAddress(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw KernelError.invalid("listen", "--listen expects ADDR:PORT such as 127.0.0.1:8080, got '\(text)'")
        }
        let host = String(text[..<colon])
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw KernelError.invalid("listen", "--listen expects an IPv4 address such as 127.0.0.1 or 0.0.0.0, got '\(host)'")
        }
        return (host, port)
    }

    static func positive(_ text: String, flag: String) throws -> Int {
        guard let value = Int(text), value > 0 else { throw KernelError.invalid(flag, "--\(flag) expects a positive whole number, got '\(text)'") }
        return value
    }
}
