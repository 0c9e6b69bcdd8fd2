import Foundation
import Synchronization
internal import CSQLite

/// Tells whether the database changed, as a generation number that grows with every
/// commit made since the last look, by any connection of any process.
///
/// Built on `PRAGMA data_version`: SQLite changes the value a connection reports whenever
/// another connection has committed since that connection last looked. The probe's own
/// connections never write, so every commit anywhere moves their values. Several threads
/// probe at once, each on a connection of its own (a connection's values mean nothing to
/// another), so each connection remembers the value it saw last, and the first to see a
/// new one raises the shared generation. A probe starts and ends a read transaction (about
/// a microsecond) and never waits for a writer in WAL mode.
final class DataVersionProbe: @unchecked Sendable {
    /// One read-only connection with its prepared pragma and the value it reported last.
    private final class Watcher {
        let handle: OpaquePointer
        let statement: OpaquePointer
        var lastSeen: Int64 = .min

        init(path: String) throws {
            var db: OpaquePointer?
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else {
                let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
                sqlite3_close_v2(db)
                throw KernelError(.storage, "cannot open database \(path) to watch for changes: \(message)")
            }
            // No busy timeout: a probe that cannot read at once reports "unknown", and the
            // caller reads the database the ordinary way.
            var prepared: OpaquePointer?
            guard sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &prepared, nil) == SQLITE_OK, let prepared else {
                let message = String(cString: sqlite3_errmsg(db))
                sqlite3_close_v2(db)
                throw KernelError(.storage, "cannot prepare the change probe on \(path): \(message)")
            }
            handle = db
            statement = prepared
        }

        deinit {
            sqlite3_finalize(statement)
            sqlite3_close_v2(handle)
        }

        func read() -> Int64? {
            defer { sqlite3_reset(statement) }
            guard sqlite3_step(statement) == SQLITE_ROW else { return nil }
            return sqlite3_column_int64(statement, 0)
        }
    }

    private let path: String
    private let generation = Atomic<Int64>(0)
    private let lock = NSLock()
    private var idle: [Watcher] = []

    /// The lock-free watch of the WAL index header, used instead of the pragma when the
    /// index can be mapped.
    private let header: WALHeaderWatch?

    init(path: String) throws {
        self.path = path
        idle.append(try Watcher(path: path))  // fails early when the file cannot be watched
        // SOUK_CHANGE_PROBE=data_version keeps the pragma (to compare, or on an unusual VFS).
        let forced = getenv("SOUK_CHANGE_PROBE").map { String(cString: $0) } == "data_version"
        header = forced ? nil : WALHeaderWatch(path: path)
    }

    /// Whether commits are seen through the WAL index header (else through the pragma).
    var readsWALHeader: Bool { header != nil }

    /// The generation to tag this request's reads with, or nil when this request must not
    /// use cached reads: the database cannot be read right now, or this probe is the one
    /// that saw a commit (it raises the generation, which empties the cache for the next
    /// requests).
    ///
    /// Why a tag is safe: it is loaded after the watcher is checked out and before it
    /// looks. A commit that completed before that load was either seen by this look (nil)
    /// or seen by an earlier look on this watcher, whose raise came before this load; so
    /// an entry carrying the tag was read after every commit that completed before the
    /// tag was handed out to the request that is served it.
    ///
    /// `mayOpen`: whether a new connection may be opened when every watcher is busy (an
    /// event loop passes false: opening reads the schema from disk). Watchers are never
    /// closed: there are as many as threads that probe at once, and a new watcher's first
    /// look raises the generation (it cannot know what happened before it), which would
    /// empty the cache each time one was replaced.
    func current(mayOpen: Bool = true) -> Int64? {
        if let header { return header.current(generation) }
        lock.lock()
        let watcher = idle.popLast()
        lock.unlock()
        guard let watcher = watcher ?? (mayOpen ? try? Watcher(path: path) : nil) else { return nil }
        defer {
            lock.lock()
            idle.append(watcher)
            lock.unlock()
        }
        let tag = generation.load(ordering: .sequentiallyConsistent)
        guard let value = watcher.read() else { return nil }
        guard value == watcher.lastSeen else {
            // Also on a watcher's first look: it cannot know what happened before it.
            watcher.lastSeen = value
            generation.add(1, ordering: .sequentiallyConsistent)
            return nil
        }
        return tag
    }
}
