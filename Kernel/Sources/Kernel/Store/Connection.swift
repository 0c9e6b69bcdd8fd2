import Foundation
internal import CSQLite

/// One SQLite connection with a prepared-statement cache. Not thread-safe on its own:
/// `Store` hands each connection to one thread at a time.
final class Connection {
    private(set) var handle: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]
    let path: String

    init(path: String, readOnly: Bool) throws {
        self.path = path
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
        try execute(script: "PRAGMA foreign_keys = ON;")
    }

    deinit {
        for statement in cache.values { sqlite3_finalize(statement) }
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
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw KernelError(.storage, "SQL failed: \(text)")
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = cache[sql] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw KernelError(.storage, "cannot prepare SQL (\(lastError)): \(sql)")
        }
        cache[sql] = statement
        return statement
    }

    /// Names of the parameters of `sql` (e.g. `:shop`), used by the shop-scoping check.
    func parameterNames(_ sql: String) throws -> Set<String> {
        let statement = try prepared(sql)
        var names: Set<String> = []
        let count = sqlite3_bind_parameter_count(statement)
        if count > 0 {
            for index in 1...count {
                if let name = sqlite3_bind_parameter_name(statement, index) { names.insert(String(cString: name)) }
            }
        }
        return names
    }

    private func bind(_ parameters: [SQLValue], named: [String: SQLValue], to statement: OpaquePointer) throws {
        let count = Int(sqlite3_bind_parameter_count(statement))
        var positional = 0
        for index in 0..<count {
            let position = Int32(index + 1)
            let value: SQLValue
            if let rawName = sqlite3_bind_parameter_name(statement, position) {
                let name = String(cString: rawName)
                if name.hasPrefix("?") {
                    guard positional < parameters.count else { throw KernelError(.storage, "too few parameters for SQL") }
                    value = parameters[positional]; positional += 1
                } else {
                    let key = String(name.dropFirst())
                    guard let named = named[key] else {
                        throw KernelError(.storage, "no value for SQL parameter \(name)")
                    }
                    value = named
                }
            } else {
                guard positional < parameters.count else {
                    throw KernelError(.storage, "SQL takes more parameters than the \(parameters.count) given")
                }
                value = parameters[positional]; positional += 1
            }
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, position)
            case .integer(let v): rc = sqlite3_bind_int64(statement, position, v)
            case .real(let v): rc = sqlite3_bind_double(statement, position, v)
            case .text(let v): rc = sqlite3_bind_text(statement, position, v, -1, souk_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), souk_sqlite_transient()) }
            }
            if rc != SQLITE_OK { throw error("cannot bind parameter \(position)") }
        }
        if positional != parameters.count {
            throw KernelError(.storage, "SQL takes \(positional) positional parameters, \(parameters.count) given")
        }
    }

    /// Runs one statement and returns its rows.
    func query(_ sql: String, _ parameters: [SQLValue] = [], named: [String: SQLValue] = [:]) throws -> [Row] {
        let statement = try prepared(sql)
        defer { sqlite3_reset(statement) }
        try bind(parameters, named: named, to: statement)
        let columnCount = Int(sqlite3_column_count(statement))
        let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
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
                case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(statement, column))))
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
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    /// Runs one statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue] = [], named: [String: SQLValue] = [:]) throws -> Int {
        _ = try query(sql, parameters, named: named)
        return Int(sqlite3_changes(handle))
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
}
