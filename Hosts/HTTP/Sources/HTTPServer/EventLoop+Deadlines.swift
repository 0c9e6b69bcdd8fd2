import CHTTPShim
import Glibc

/// The periodic sweep that enforces every phase deadline of every connection on this loop.
extension EventLoop {
    func sweep(now: UInt64) {
        forEachConnection { connection in
            guard now >= connection.machine.deadline else {
                if connection.machine.phase == .idle { releaseBuffers(of: connection) }
                return
            }
            let phase = connection.machine.phase
            switch connection.machine.expire(now: now) {
            case .close?:
                if phase == .idle { core.stats.timedOut.wrappingAdd(1, ordering: .relaxed) }
                closeConnection(connection)
            case .respond(let problem)?:
                core.stats.errorResponses.wrappingAdd(1, ordering: .relaxed)
                if problem == .handlerTimeout {
                    core.stats.handlerTimeouts.wrappingAdd(1, ordering: .relaxed)
                } else {
                    core.stats.timedOut.wrappingAdd(1, ordering: .relaxed)
                }
                enqueue(problem.response, on: connection, isHead: false, http10KeepAlive: false)
                drive(connection, now: now)
            default:
                break
            }
        }
    }

    /// An idle keep-alive connection gives its buffers back, so thousands of idle clients
    /// cost little memory; the next request allocates again.
    private func releaseBuffers(of connection: Connection) {
        if connection.input.isEmpty, connection.input.capacity > 0 { connection.input.release() }
        if !connection.hasPendingOutput, connection.output.capacity > 0 {
            connection.output = []
            connection.outputOffset = 0
        }
    }
}
