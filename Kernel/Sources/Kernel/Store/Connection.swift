import Foundation
internal import CSQLite

/// One SQLite connection with a prepared-statement cache. Not thread-safe on its own:
/// `Store` hands each connection to one thread at a time.
final class Connection {
    private(set) var handle: OpaquePointer?
    let path: String
    /// What each statement reads and writes, recorded at prepare time (writer only).
    private let access: StatementAccess?
    /// Values kept across write transactions (writer only; see `WriteMemo`).
    let memo: WriteMemo?

    init(path: String, readOnly: Bool) throws {
        self.path = path
        let remembers = !readOnly && Self.memoEnabled
        access = remembers ? StatementAccess() : nil
        memo = remembers ? WriteMemo() : nil
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            handle = nil
            throw KernelError(.storage, "cannot open database \(path): \(message)")
        }
        // Wait for other writers (other processes too) instead of failing at once.
        sqlite3_busy_timeout(db, 15_000)
        if let access, let db { access.install(on: db) }
        if Self.traceStatements {
            // SOUK_TRACE_SQL=1: every statement as it runs, on stderr (for profiling and for
            // plugin authors checking what their operations cost).
            sqlite3_trace_v2(db, UInt32(SQLITE_TRACE_STMT), { _, _, statement, _ in
                if let statement, let sql = sqlite3_expanded_sql(OpaquePointer(statement)) {
                    let line = Array("sql: \(String(cString: sql))\n".utf8)
                    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                    sqlite3_free(sql)
                }
                return 0
            }, nil)
        }
        try execute(script: "PRAGMA foreign_keys = ON;")
    }

    private static let traceStatements = ProcessInfo.processInfo.environment["SOUK_TRACE_SQL"] == "1"
    /// `SOUK_WRITE_MEMO=off` turns the writer's memo off (every value is loaded each time).
    static let memoEnabled = ProcessInfo.processInfo.environment["SOUK_WRITE_MEMO"] != "off"

    deinit {
        for entry in preparedCache.values { sqlite3_finalize(entry.statement) }
        sqlite3_close_v2(handle)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ context: String) -> KernelError {
        let code = sqlite3_extended_errcode(handle)
        if code & 0xff == SQLITE_CONSTRAINT {
            return KernelError(.conflict, "\(context): \(lastError)")
        }
        return KernelError(.storage, "\(context): \(lastError)")
    }

    /// Runs SQL text that may hold several statements and takes no parameters
    /// (schema migrations, pragmas).
    func execute(script: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, script, nil, nil, &message)
        // Scripts are migrations and pragmas: whatever they changed, forget every value.
        memo?.dropAll()
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw KernelError(.storage, "SQL failed: \(text)")
        }
    }

    /// A prepared statement with what binding needs to know about it, worked out once.
    final class Prepared {
        let statement: OpaquePointer
        /// For each parameter position: its name without the sigil, or nil for `?`.
        let names: [String?]
        /// Whether the SQL names a `:shop` parameter (what `ShopDatabase` requires).
        let namesShop: Bool
        let columns: Row.Columns
        /// Tables the statement reads and writes, and whether it changes the schema, as
        /// SQLite's authorizer reported them when it was prepared (empty without a memo).
        private(set) var reads: [Int] = []
        private(set) var writes: [Int] = []
        private(set) var changesSchema = false

        init(_ statement: OpaquePointer, access: StatementAccess?, memo: WriteMemo?) {
            self.statement = statement
            names = (0..<Int(sqlite3_bind_parameter_count(statement))).map { index in
                guard let raw = sqlite3_bind_parameter_name(statement, Int32(index + 1)) else { return nil }
                let name = String(cString: raw)
                return name.hasPrefix("?") ? nil : String(name.dropFirst())
            }
            namesShop = names.contains("shop")
            columns = Row.Columns((0..<Int(sqlite3_column_count(statement))).map {
                String(cString: sqlite3_column_name(statement, Int32($0)))
            })
            if let access, let memo { learn(from: access, memo) }
        }

        /// What the authorizer reported while the statement was (re)prepared.
        func learn(from access: StatementAccess, _ memo: WriteMemo) {
            reads = access.reads.map(memo.tableID)
            writes = access.writes.map(memo.tableID)
            changesSchema = access.changesSchema
        }
    }

    private var preparedCache: [String: Prepared] = [:]
    /// Most SQL is a string literal that keeps one address for the life of the process: look
    /// it up by address first (cheap), and by text (hashing the whole statement) on a miss.
    /// A hit is confirmed by comparing the text, so a reused address can never match wrongly.
    private var preparedByAddress: [UnsafeRawPointer: (sql: String, entry: Prepared)] = [:]

    private func prepared(_ sql: String) throws -> Prepared {
        // Strings of up to 15 bytes (BEGIN, COMMIT, ...) are stored inline: their bytes reach
        // here through a stack copy whose address says nothing, and two of them could take
        // turns evicting each other from the address table. They are looked up by text.
        let address = sql.utf8.count <= 15 ? nil
            : (sql.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil)
        // Same address and length means the same text: the string is a literal, or heap
        // storage that this table keeps alive, so it can be neither reused nor changed in place.
        // Bindings are not cleared: `bind` sets every parameter before each run.
        if let address, let hit = preparedByAddress[address], hit.sql.utf8.count == sql.utf8.count {
            sqlite3_reset(hit.entry.statement)
            return hit.entry
        }
        if let entry = preparedCache[sql] {
            sqlite3_reset(entry.statement)
            remember(address, sql, entry)
            return entry
        }
        var statement: OpaquePointer?
        access?.reset()
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw KernelError(.storage, "cannot prepare SQL (\(lastError)): \(sql)")
        }
        let entry = Prepared(statement, access: access, memo: memo)
        preparedCache[sql] = entry
        remember(address, sql, entry)
        return entry
    }

    private func remember(_ address: UnsafeRawPointer?, _ sql: String, _ entry: Prepared) {
        guard let address else { return }
        // Strings built at run time bring new addresses each time: keep the table small.
        if preparedByAddress.count >= 1024 { preparedByAddress.removeAll(keepingCapacity: true) }
        preparedByAddress[address] = (sql, entry)
    }

    /// Names of the named parameters of `sql` (without the sigil), used by the shop-scoping check.
    func parameterNames(_ sql: String) throws -> [String?] {
        try prepared(sql).names
    }

    private func bind<Named: SQLNamedValues>(_ parameters: [SQLValue], named: Named, to entry: Prepared) throws {
        let statement = entry.statement
        var positional = 0
        // Where the search for the next name starts: callers that list values in the order
        // the SQL names them find each one at the first comparison.
        var hint = 0
        for (index, name) in entry.names.enumerated() {
            let position = Int32(index + 1)
            let value: SQLValue
            if let name {
                guard let found = named.value(named: name, hint: &hint) else {
                    throw KernelError(.storage, "no value for SQL parameter :\(name)")
                }
                value = found
            } else {
                guard positional < parameters.count else {
                    throw KernelError(.storage, "SQL takes more parameters than the \(parameters.count) given")
                }
                value = parameters[positional]
                positional += 1
            }
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, position)
            case .integer(let v): rc = sqlite3_bind_int64(statement, position, v)
            case .real(let v): rc = sqlite3_bind_double(statement, position, v)
            case .text(let v):
                // With its length: no strlen, no C-string copy. An empty string must stay text
                // (a nil pointer would bind NULL).
                var text = v
                rc = text.withUTF8 { utf8 in
                    guard let base = utf8.baseAddress, utf8.count > 0 else {
                        return sqlite3_bind_text(statement, position, "", 0, souk_sqlite_transient())
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                        sqlite3_bind_text(statement, position, $0, Int32(utf8.count), souk_sqlite_transient())
                    }
                }
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), souk_sqlite_transient()) }
            }
            if rc != SQLITE_OK { throw error("cannot bind parameter \(position)") }
        }
        if positional != parameters.count {
            throw KernelError(.storage, "SQL takes \(positional) positional parameters, \(parameters.count) given")
        }
    }

    /// Runs one statement and returns its rows. `shopScoped` refuses SQL that does not name
    /// the `:shop` parameter (checked on the cached statement, no second lookup).
    func query(_ sql: String, _ parameters: [SQLValue] = [], named: [(String, SQLValue)] = [], shopScoped: Bool = false) throws -> [Row] {
        try query(sql, parameters, values: named, shopScoped: shopScoped)
    }

    /// `query` with the named values in any `SQLNamedValues` form (no intermediate array).
    func query<Named: SQLNamedValues>(_ sql: String, _ parameters: [SQLValue] = [], values named: Named,
                                      shopScoped: Bool = false) throws -> [Row] {
        let entry = try prepared(sql)
        if shopScoped && !entry.namesShop {
            throw KernelError(.invalidInput, "shop-scoped SQL must filter by the :shop parameter: \(sql)")
        }
        let statement = entry.statement
        defer { sqlite3_reset(statement) }
        if let memo, let access {
            memo.willRun(reads: entry.reads, writes: entry.writes, changesSchema: entry.changesSchema)
            // SQLite prepares a cached statement again by itself when the schema changed (a
            // trigger or foreign key added, perhaps by another process): learn its tables anew.
            access.reset()
            defer {
                if access.reported {
                    entry.learn(from: access, memo)
                    memo.willRun(reads: entry.reads, writes: entry.writes, changesSchema: entry.changesSchema)
                }
            }
            return try run(entry, parameters, named)
        }
        return try run(entry, parameters, named)
    }

    private func run<Named: SQLNamedValues>(_ entry: Prepared, _ parameters: [SQLValue], _ named: Named) throws -> [Row] {
        let statement = entry.statement
        try bind(parameters, named: named, to: entry)
        let columns = entry.columns
        let columnCount = columns.names.count
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("SQL failed") }
            var values: [SQLValue] = []
            values.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_TEXT:
                    // With its byte count (sqlite3_column_bytes after _text): no strlen.
                    let text = sqlite3_column_text(statement, column)
                    let count = Int(sqlite3_column_bytes(statement, column))
                    values.append(.text(text.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? ""))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    if let bytes = sqlite3_column_blob(statement, column), count > 0 {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: bytes, count: count))))
                    } else {
                        values.append(.blob([]))
                    }
                default: values.append(.null)
                }
            }
            rows.append(Row(layout: columns, values: values))
        }
        return rows
    }

    /// Runs one statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue] = [], named: [(String, SQLValue)] = [], shopScoped: Bool = false) throws -> Int {
        _ = try query(sql, parameters, values: named, shopScoped: shopScoped)
        return Int(sqlite3_changes(handle))
    }

    @discardableResult
    func execute<Named: SQLNamedValues>(_ sql: String, values named: Named, shopScoped: Bool = false) throws -> Int {
        _ = try query(sql, [], values: named, shopScoped: shopScoped)
        return Int(sqlite3_changes(handle))
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// SQLite's data version of the main database file: it changes whenever the file's
    /// content changes, through this connection or any other (a file control, no statement).
    func fileDataVersion() -> UInt32 {
        var version: UInt32 = 0
        sqlite3_file_control(handle, "main", SQLITE_FCNTL_DATA_VERSION, &version)
        return version
    }

    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
}


/// Named parameter values as `Connection.bind` asks for them: by name, with a hint of where
/// to start looking. Values listed in the order the SQL names them are found at the first
/// comparison; names are compared by UTF-8 length before text.
protocol SQLNamedValues {
    func value(named name: String, hint: inout Int) -> SQLValue?
}

extension Array: SQLNamedValues where Element == (String, SQLValue) {
    func value(named name: String, hint: inout Int) -> SQLValue? {
        guard let index = NamedSearch.find(name, count: count, from: &hint, key: { self[$0].0 }) else { return nil }
        return self[index].1
    }
}

enum NamedSearch {
    /// The index of `name` among `count` keys, searching from `hint` round to just before it.
    @inline(__always)
    static func find(_ name: String, count: Int, from hint: inout Int, key: (Int) -> String) -> Int? {
        let length = name.utf8.count
        var probe = hint
        for _ in 0..<count {
            if probe >= count { probe = 0 }
            let candidate = key(probe)
            if candidate.utf8.count == length && candidate == name {
                hint = probe + 1
                return probe
            }
            probe += 1
        }
        return nil
    }
}

/// Values of a `ShopDatabase` call: `:shop` is the operation's shop (a caller's own "shop"
/// key is ignored, as it always was), the rest come from the caller's collection as given,
/// with no array of converted pairs in between.
struct ShopScopedValues<Base: SQLNamedValues>: SQLNamedValues {
    let shopID: Int64
    let base: Base

    func value(named name: String, hint: inout Int) -> SQLValue? {
        if name.utf8.count == 4 && name == "shop" { return .integer(shopID) }
        return base.value(named: name, hint: &hint)
    }
}

/// The forms a caller hands named values in.
enum NamedValues {
    struct Dictionary: SQLNamedValues {
        let values: [String: any SQLBindable]
        func value(named name: String, hint: inout Int) -> SQLValue? { values[name]?.sqlValue }
    }

    struct BindablePairs: SQLNamedValues {
        let values: KeyValuePairs<String, any SQLBindable>
        func value(named name: String, hint: inout Int) -> SQLValue? {
            guard let index = NamedSearch.find(name, count: values.count, from: &hint, key: { values[$0].key }) else { return nil }
            return values[index].value.sqlValue
        }
    }

    struct BindableList: SQLNamedValues {
        let values: [(String, any SQLBindable)]
        func value(named name: String, hint: inout Int) -> SQLValue? {
            values.withUnsafeBufferPointer { buffer in
                guard let index = NamedSearch.find(name, count: buffer.count, from: &hint, key: { buffer[$0].0 }) else { return nil }
                return buffer[index].1.sqlValue
            }
        }
    }

    struct Pairs: SQLNamedValues {
        let values: KeyValuePairs<String, SQLValue>
        func value(named name: String, hint: inout Int) -> SQLValue? {
            guard let index = NamedSearch.find(name, count: values.count, from: &hint, key: { values[$0].key }) else { return nil }
            return values[index].value
        }
    }
}
