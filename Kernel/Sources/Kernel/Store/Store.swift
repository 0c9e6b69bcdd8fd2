import Foundation
internal import CSQLite

/// The entity store: one SQLite database file in WAL mode.
///
/// Writes are serialised through one writer connection (and, across processes, by
/// `BEGIN IMMEDIATE` plus a busy timeout); reads run in parallel on a small pool of reader
/// connections, each inside a snapshot transaction.
public final class Store: @unchecked Sendable {
    public let path: String
    private let writer: Connection
    /// Recursive so that a write issued from inside a write on the same thread nests as a
    /// savepoint instead of deadlocking.
    private let writeLock = NSRecursiveLock()
    private var writeDepth = 0
    private let readLock = NSLock()
    private var idleReaders: [Connection] = []

    /// Opens (creating when missing) the database at `path`.
    public init(path: String) throws {
        self.path = path
        writer = try Connection(path: path, readOnly: false)
        let mode = try writer.query("PRAGMA journal_mode = WAL")
        guard case .text(let journal)? = mode.first?.values.first, journal.lowercased() == "wal" else {
            throw KernelError(.storage, "cannot switch \(path) to WAL mode")
        }
        // Savepoints (nested operations, group commit) keep the pages they change in a
        // statement journal; in memory it costs a copy, in a temporary file (the default once
        // it passes 64 KiB) a file created, written and deleted per transaction.
        try writer.execute(script: "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;")
    }

    /// Runs `body` in a write transaction that commits whole when it returns and rolls
    /// back whole when it throws. A nested call joins the outer transaction through a
    /// savepoint.
    @discardableResult
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        let transaction = Transaction(connection: writer, isWritable: true)
        if writeDepth > 0 {
            writeDepth += 1
            defer { writeDepth -= 1 }
            return try transaction.savepoint { try body(transaction) }
        }
        try writer.execute("BEGIN IMMEDIATE")
        // Under the write lock now: whatever other connections committed is visible, and
        // nothing more can be committed until this transaction ends.
        writer.memo?.transactionBegan(dataVersion: writer.fileDataVersion())
        writeDepth = 1
        defer {
            writeDepth = 0
            writer.memo?.transactionEnded(dataVersion: writer.fileDataVersion())
        }
        do {
            let result = try body(transaction)
            try writer.execute("COMMIT")
            return result
        } catch let refusal as RefusalKeepingWrites {
            // The operation refused but asked to keep its writes (e.g. a failed sign-in count).
            do {
                try writer.execute("COMMIT")
            } catch {
                if !writer.isAutocommit { _ = try? writer.execute("ROLLBACK") }
                throw error
            }
            throw refusal.error
        } catch {
            if !writer.isAutocommit { _ = try? writer.execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` on a consistent read snapshot. Reads run in parallel with each other and
    /// with the writer.
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        let connection = try checkOutReader()
        defer { checkIn(connection) }
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("COMMIT") }
        return try body(Transaction(connection: connection, isWritable: false))
    }

    private func checkOutReader() throws -> Connection {
        readLock.lock()
        if let connection = idleReaders.popLast() {
            readLock.unlock()
            return connection
        }
        readLock.unlock()
        return try Connection(path: path, readOnly: true)
    }

    private func checkIn(_ connection: Connection) {
        readLock.lock()
        defer { readLock.unlock() }
        if idleReaders.count < 8 { idleReaders.append(connection) }
    }
}
