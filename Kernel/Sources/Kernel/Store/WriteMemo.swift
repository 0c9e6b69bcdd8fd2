internal import CSQLite

/// Values computed from the database and kept by the writer connection across write
/// transactions, for as long as no table they were read from has changed.
///
/// Why: a checkout reads the same few rows in every transaction (each SKU's price and
/// listing, the shop's enabled plugins). Reading them again costs a statement each; keeping
/// them is safe only if every change to those tables is seen. Two kinds of change exist:
///
/// - **Changes made through this connection.** SQLite's authorizer tells, when a statement
///   is prepared, which tables it reads and which it writes (`Connection.Prepared`). Running a
///   statement that writes table T moves T's stamp; a value remembers the tables its loader's
///   statements read and the tick it was loaded at, and is stale once any of those tables
///   has a later stamp. When a transaction ends (commit or rollback) or a savepoint rolls
///   back, every table written since the transaction began is stamped again, so a value
///   loaded from rows that were then rolled back is never served.
/// - **Changes made by anyone else** (another process, another connection in this process).
///   SQLite's data version of the database file (`SQLITE_FCNTL_DATA_VERSION`, a file control:
///   no statement) moves on every change to the file, this connection's own commits
///   included. It is read when each of this connection's write transactions ends, and again
///   right after the next one has taken the write lock (`BEGIN IMMEDIATE`), whether or not
///   that transaction uses the memo: if it moved in between, someone else committed, and
///   every value is dropped. While this connection holds the write lock nobody else can
///   commit, so values loaded in it stay valid until it releases the lock. (A version that
///   moved for any other reason only costs a reload.)
///
/// Schema changes (scripts, DDL) drop every value. Only the writer connection has a memo, and
/// it is used only inside write transactions: `Store` hands the writer to one thread at a time.
final class WriteMemo {
    struct Key: Hashable {
        let shopID: Int64
        let name: String
    }

    /// Values are boxed with their type's identity, so reading one back is a comparison and
    /// a cast that cannot fail (a dynamic cast from `any Sendable` cost more than the lookup).
    private class AnyBox {}
    private final class Box<T>: AnyBox {
        let value: T
        init(_ value: T) { self.value = value }
    }

    private struct Entry {
        let box: AnyBox
        let type: ObjectIdentifier
        /// Ids of the tables the loader's statements read (see `tableID`).
        let reads: [Int]
        let loadedAt: UInt64
    }

    /// The most values kept; the table is emptied when full (values are cheap to load again).
    static let capacity = 8192

    private var tick: UInt64 = 1
    /// Tables are numbered when a statement naming them is first prepared, so that running a
    /// statement touches arrays, not string-keyed tables.
    private var tableIDs: [String: Int] = [:]
    private var lastWrite: [UInt64] = []
    private var writtenInTransaction: [Int] = []
    private var isWrittenInTransaction: [Bool] = []
    private var entries: [Key: Entry] = [:]
    /// The tables read by the loader that is running now (nil when none is).
    private var recording: [Int]?
    /// The file's data version when this connection's last write transaction ended.
    private var dataVersion: UInt32?

    // MARK: Called by Connection and Store

    /// The id of a table, given when a statement naming it is prepared.
    func tableID(_ name: String) -> Int {
        if let id = tableIDs[name] { return id }
        let id = lastWrite.count
        tableIDs[name] = id
        lastWrite.append(0)
        isWrittenInTransaction.append(false)
        return id
    }

    /// A prepared statement is about to run.
    func willRun(reads: [Int], writes: [Int], changesSchema: Bool) {
        if changesSchema { dropAll() }
        if !writes.isEmpty {
            tick += 1
            for table in writes {
                lastWrite[table] = tick
                if !isWrittenInTransaction[table] {
                    isWrittenInTransaction[table] = true
                    writtenInTransaction.append(table)
                }
            }
        }
        if recording != nil, !reads.isEmpty { recording!.append(contentsOf: reads) }
    }

    /// A write transaction took the write lock; `version` is the file's data version now.
    func transactionBegan(dataVersion version: UInt32) {
        if version != dataVersion { dropAll() }
    }

    /// The write transaction committed or rolled back; `version` is the file's data version
    /// right after.
    func transactionEnded(dataVersion version: UInt32) {
        restampWritten()
        for table in writtenInTransaction { isWrittenInTransaction[table] = false }
        writtenInTransaction.removeAll(keepingCapacity: true)
        dataVersion = version
    }

    /// A savepoint rolled back: values loaded from its rows must not survive it.
    func savepointRolledBack() {
        restampWritten()
    }

    func dropAll() {
        entries.removeAll(keepingCapacity: true)
        tick += 1
    }

    private func restampWritten() {
        guard !writtenInTransaction.isEmpty else { return }
        tick += 1
        for table in writtenInTransaction { lastWrite[table] = tick }
    }

    // MARK: Values

    /// The value remembered for `key`, or what `load` returns (then remembered with the
    /// tables its statements read). Only inside a write transaction of this connection.
    func value<T: Sendable>(_ key: Key, _ load: () throws -> T) throws -> T {
        if let entry = entries[key], entry.type == ObjectIdentifier(T.self), isFresh(entry) {
            // A loader running now that uses this value depends on what it was read from.
            if recording != nil { recording!.append(contentsOf: entry.reads) }
            return unsafeDowncast(entry.box, to: Box<T>.self).value
        }
        let outer = recording
        recording = []
        let value: T
        do {
            value = try load()
        } catch {
            recording = outer.map { $0 + (recording ?? []) }
            throw error
        }
        let reads = recording ?? []
        recording = outer.map { $0 + reads }
        tick += 1
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(box: Box(value), type: ObjectIdentifier(T.self), reads: reads, loadedAt: tick)
        return value
    }

    private func isFresh(_ entry: Entry) -> Bool {
        for table in entry.reads where lastWrite[table] >= entry.loadedAt { return false }
        return true
    }
}

/// Collects, while a statement is prepared, what SQLite's authorizer reports it will do.
final class StatementAccess {
    var reads: Set<String> = []
    var writes: Set<String> = []
    var changesSchema = false
    /// Set by any authorizer call: also when SQLite prepares a statement again by itself
    /// while stepping it (after a schema change, e.g. a trigger added by another process).
    var reported = false

    func reset() {
        reads.removeAll(keepingCapacity: true)
        writes.removeAll(keepingCapacity: true)
        changesSchema = false
        reported = false
    }

    /// Action codes of the authorizer that change the schema (CREATE, DROP, ALTER, ATTACH...).
    static let schemaActions: Set<Int32> = [
        SQLITE_CREATE_INDEX, SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_INDEX, SQLITE_CREATE_TEMP_TABLE,
        SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_TEMP_VIEW, SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VIEW,
        SQLITE_DROP_INDEX, SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_TEMP_TABLE,
        SQLITE_DROP_TEMP_TRIGGER, SQLITE_DROP_TEMP_VIEW, SQLITE_DROP_TRIGGER, SQLITE_DROP_VIEW,
        SQLITE_ALTER_TABLE, SQLITE_ATTACH, SQLITE_DETACH, SQLITE_CREATE_VTABLE, SQLITE_DROP_VTABLE,
    ]

    /// Installs the authorizer on `handle`; it always allows and only records.
    func install(on handle: OpaquePointer) {
        sqlite3_set_authorizer(handle, { context, action, first, _, _, _ in
            guard let context else { return SQLITE_OK }
            let access = Unmanaged<StatementAccess>.fromOpaque(context).takeUnretainedValue()
            access.reported = true
            switch action {
            case SQLITE_READ:
                if let first { access.reads.insert(String(cString: first)) }
            case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
                if let first { access.writes.insert(String(cString: first)) }
            default:
                if StatementAccess.schemaActions.contains(action) { access.changesSchema = true }
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}
