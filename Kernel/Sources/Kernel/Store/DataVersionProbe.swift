import Foundation
internal import CSQLite

/// Tells whether the database changed: `PRAGMA data_version` on a connection of its own.
///
/// SQLite changes the value a connection reports whenever another connection, in this
/// process or in any other, has committed since that connection last looked. This probe's
/// connection never writes, so every commit anywhere moves its value; values come from
/// one connection and only grow, so they can be compared. A probe starts and ends a read
/// transaction (a couple of microseconds) and never waits for a writer in WAL mode.
final class DataVersionProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?
    private var statement: OpaquePointer?

    init(path: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw KernelError(.storage, "cannot open database \(path) to watch for changes: \(message)")
        }
        handle = db
        // No busy timeout: a probe that cannot read at once reports "unknown" and the
        // caller reads the database the ordinary way.
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &prepared, nil) == SQLITE_OK, let prepared else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            throw KernelError(.storage, "cannot prepare the change probe on \(path): \(message)")
        }
        statement = prepared
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close_v2(handle)
    }

    /// The current data version, or nil when it cannot be read right now.
    func current() -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { return nil }
        return sqlite3_column_int64(statement, 0)
    }
}
