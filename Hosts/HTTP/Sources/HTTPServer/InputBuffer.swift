import Glibc

/// Bytes received on one connection and not yet consumed. A class over malloc'd memory so
/// `recv` can write straight into spare capacity and consuming a request is an index bump
/// (no per-request allocation, no copying of pipelined input).
final class InputBuffer {
    private(set) var storage: UnsafeMutablePointer<UInt8>?
    private(set) var capacity = 0
    private(set) var start = 0
    private(set) var end = 0

    init() {}

    deinit { free(storage) }

    var count: Int { end - start }
    var isEmpty: Bool { end == start }

    /// The unconsumed bytes; valid until the next mutation.
    var readable: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage.map { $0 + start }, count: end - start)
    }

    subscript(offset: Int) -> UInt8 { storage![start + offset] }

    func consume(_ count: Int) {
        start += count
        if start == end { start = 0; end = 0 }
    }

    /// Ensures at least `minimum` writable bytes after the data and returns them; call
    /// `didWrite` with what was actually written.
    func writableSpace(minimum: Int) -> UnsafeMutableBufferPointer<UInt8> {
        if capacity - end < minimum {
            if start > 0 {  // compact first: the consumed prefix is free space
                if end > start { memmove(storage!, storage! + start, end - start) }
                end -= start
                start = 0
            }
            if capacity - end < minimum {
                let newCapacity = max(capacity * 2, end + minimum)
                storage = realloc(storage, newCapacity)?.assumingMemoryBound(to: UInt8.self)
                capacity = newCapacity
            }
        }
        return UnsafeMutableBufferPointer(start: storage! + end, count: capacity - end)
    }

    func didWrite(_ count: Int) { end += count }

    func append(_ bytes: some Collection<UInt8>) {
        let space = writableSpace(minimum: bytes.count)
        _ = space.initialize(from: bytes)
        didWrite(bytes.count)
    }

    /// Drops everything and returns the memory (idle connections should cost little).
    func release() {
        free(storage)
        storage = nil
        capacity = 0
        start = 0
        end = 0
    }
}
