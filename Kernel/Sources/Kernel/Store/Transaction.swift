/// A database transaction handed to a closure by `Store.write` or `Store.read`.
///
/// Everything done through it commits together when the closure returns, or rolls back
/// together when it throws. Only valid inside that closure.
public final class Transaction {
    let connection: Connection
    /// False for the snapshot given by `Store.read`: writes then fail in SQLite.
    public let isWritable: Bool
    /// The plugins enabled per shop, read once per transaction (the operation runner and
    /// every hook call ask for them).
    var enabledPlugins: [Int64: Set<String>] = [:]
    /// Names of the events published in this transaction, counted once it commits.
    var publishedEvents: [String] = []

    init(connection: Connection, isWritable: Bool) {
        self.connection = connection
        self.isWritable = isWritable
    }

    /// Runs a query with positional (`?`) parameters.
    public func query(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> [Row] {
        try connection.query(sql, parameters.map(\.sqlValue))
    }

    /// Runs a query with named (`:name`) parameters.
    public func query(_ sql: String, named: [String: any SQLBindable]) throws -> [Row] {
        try connection.query(sql, named: named.map { ($0.key, $0.value.sqlValue) })
    }

    /// Runs a statement with positional parameters; returns the number of rows changed.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> Int {
        try connection.execute(sql, parameters.map(\.sqlValue))
    }

    /// Runs a statement with named parameters; returns the number of rows changed.
    @discardableResult
    public func execute(_ sql: String, named: [String: any SQLBindable]) throws -> Int {
        try connection.execute(sql, named: named.map { ($0.key, $0.value.sqlValue) })
    }

    /// Kernel statements whose values are already `SQLValue`s: no existential boxes and no
    /// second array.
    func query(_ sql: String, values: [SQLValue]) throws -> [Row] {
        try connection.query(sql, values)
    }

    @discardableResult
    func execute(_ sql: String, values: [SQLValue]) throws -> Int {
        try connection.execute(sql, values)
    }

    /// What `load` returns, kept across write transactions until a table its statements read
    /// changes (see `WriteMemo`). In a read transaction `load` simply runs.
    func remembered<T: Sendable>(shopID: Int64, _ name: String, _ load: () throws -> T) throws -> T {
        guard isWritable, let memo = connection.memo else { return try load() }
        return try memo.value(WriteMemo.Key(shopID: shopID, name: name), load)
    }

    /// The rowid of the last row inserted through this connection.
    public var lastInsertRowID: Int64 { connection.lastInsertRowID }

    /// Runs `body` inside a savepoint: if it throws, only its own changes roll back and
    /// the error propagates.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SAVEPOINT souk_nested")
        let publishedBefore = publishedEvents.count
        do {
            let result = try body()
            try connection.execute("RELEASE souk_nested")
            return result
        } catch let refusal as RefusalKeepingWrites {
            // Nested: keep the writes in the enclosing transaction; the caller decides.
            try connection.execute("RELEASE souk_nested")
            throw refusal.error
        } catch {
            _ = try? connection.execute("ROLLBACK TO souk_nested")
            connection.memo?.savepointRolledBack()
            _ = try? connection.execute("RELEASE souk_nested")
            publishedEvents.removeSubrange(publishedBefore...)
            throw error
        }
    }
}
