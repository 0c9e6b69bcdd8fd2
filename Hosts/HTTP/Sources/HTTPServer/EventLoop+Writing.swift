import CHTTPShim
import Glibc

/// Sending responses: one sendmsg for head and body, the rest buffered for EPOLLOUT.
extension EventLoop {
    /// Encodes the head and tries to send head and body in one sendmsg; whatever the socket
    /// does not take is copied to the connection's output for EPOLLOUT.
    func enqueue(_ response: HTTPResponse, on connection: Connection, isHead: Bool, http10KeepAlive: Bool) {
        headScratch.removeAll(keepingCapacity: true)
        let sendsBody = !isHead && ResponseEncoder.hasBody(status: response.status)
        ResponseEncoder.appendHead(
            of: response, bodyLength: response.body.count, close: connection.machine.closeAfterResponse,
            http10KeepAlive: http10KeepAlive, date: dateCache.line, to: &headScratch)
        let bodyCount = sendsBody ? response.body.count : 0
        var sent: Int = 0
        if !connection.hasPendingOutput {
            sent = headScratch.withUnsafeBytes { head in
                response.body.withUnsafeBytes { body in
                    chttp_send2(connection.fd, head.baseAddress, head.count, body.baseAddress, bodyCount)
                }
            }
            sent = max(sent, 0)  // a hard error shows up again in flush, which closes
        }
        if sent == headScratch.count + bodyCount { return }
        if !connection.hasPendingOutput {
            connection.output.removeAll(keepingCapacity: true)
            connection.outputOffset = 0
        }
        if sent < headScratch.count {
            connection.output.append(contentsOf: headScratch[sent...])
            if bodyCount > 0 { connection.output.append(contentsOf: response.body) }
        } else {
            connection.output.append(contentsOf: response.body[(sent - headScratch.count)...])
        }
    }

    enum FlushResult { case done, pending, failed }

    func flush(_ connection: Connection) -> FlushResult {
        while connection.hasPendingOutput {
            let count = connection.output.withUnsafeBytes { bytes in
                chttp_send(connection.fd, bytes.baseAddress! + connection.outputOffset, bytes.count - connection.outputOffset)
            }
            if count > 0 { connection.outputOffset += count; continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return .pending }
            if count < 0, errno == EINTR { continue }
            return .failed
        }
        connection.output.removeAll(keepingCapacity: connection.output.capacity <= 64 * 1024)
        connection.outputOffset = 0
        return .done
    }
}
