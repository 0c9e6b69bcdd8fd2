import CHTTPShim
import Glibc

/// Graceful stop, run by each loop once `HTTPServer.shutdown()` set the flag.
extension EventLoop {
    /// One step of a graceful stop; true when this loop may exit.
    func stopStep(now: UInt64) -> Bool {
        if !sawStop {
            sawStop = true
            if index == 0 {
                closeListener()
                core.acceptorClosed.store(true, ordering: .releasing)
                for peer in peers where peer !== self { peer.post(.wake) }
            }
            forEachConnection { connection in
                if connection.machine.beginShutdown() { closeConnection(connection) }
            }
        }
        if now >= core.graceDeadline.load(ordering: .relaxed) {
            forEachConnection { closeConnection($0) }
        }
        guard core.acceptorClosed.load(ordering: .acquiring) else { return false }
        processInbox(now: now)  // connections handed over before the listener closed
        return openHere == 0
    }

    func forEachConnection(_ body: (Connection) -> Void) {
        for slot in connections.indices { if let connection = connections[slot] { body(connection) } }
    }
}
