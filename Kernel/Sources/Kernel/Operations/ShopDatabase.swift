/// SQL access scoped to the operation's shop: the plugin-facing face of the store.
///
/// Every statement must use the `:shop` parameter (the kernel binds it to the current
/// shop), so a plugin cannot read or write another shop's rows by forgetting a filter.
/// Values are bound, never concatenated:
/// ```swift
/// try scope.db.execute("INSERT INTO giftwrap_wraps (shop_id, note) VALUES (:shop, :note)", ["note": note])
/// let rows = try scope.db.query("SELECT note FROM giftwrap_wraps WHERE shop_id = :shop")
/// ```
/// On a hot path, `binding:` takes the values as ordered pairs (`KeyValuePairs`) instead of a
/// dictionary: nothing is hashed, and values listed in the order the SQL names them are each
/// found at the first comparison.
public struct ShopDatabase {
    let transaction: Transaction
    public let shopID: Int64

    private func scoped<Base: SQLNamedValues>(_ parameters: Base) -> ShopScopedValues<Base> {
        ShopScopedValues(shopID: shopID, base: parameters)
    }

    public func query(_ sql: String, _ parameters: [String: any SQLBindable] = [:]) throws -> [Row] {
        try transaction.connection.query(sql, values: scoped(NamedValues.Dictionary(values: parameters)), shopScoped: true)
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [String: any SQLBindable] = [:]) throws -> Int {
        try transaction.connection.execute(sql, values: scoped(NamedValues.Dictionary(values: parameters)), shopScoped: true)
    }

    /// `query(_:_:)` with the values as ordered pairs, e.g.
    /// `db.query(sql, binding: ["code": sku])`.
    public func query(_ sql: String, binding parameters: KeyValuePairs<String, any SQLBindable>) throws -> [Row] {
        try transaction.connection.query(sql, values: scoped(NamedValues.BindablePairs(values: parameters)), shopScoped: true)
    }

    /// `execute(_:_:)` with the values as ordered pairs.
    @discardableResult
    public func execute(_ sql: String, binding parameters: KeyValuePairs<String, any SQLBindable>) throws -> Int {
        try transaction.connection.execute(sql, values: scoped(NamedValues.BindablePairs(values: parameters)), shopScoped: true)
    }

    /// `query(_:_:)` with ordered pairs built at run time (e.g. one `:cN` per item of a
    /// list bound into `IN (...)` or a multi-row `VALUES`).
    public func query(_ sql: String, binding parameters: [(String, any SQLBindable)]) throws -> [Row] {
        try transaction.connection.query(sql, values: scoped(NamedValues.BindableList(values: parameters)), shopScoped: true)
    }

    /// `execute(_:_:)` with ordered pairs built at run time.
    @discardableResult
    public func execute(_ sql: String, binding parameters: [(String, any SQLBindable)]) throws -> Int {
        try transaction.connection.execute(sql, values: scoped(NamedValues.BindableList(values: parameters)), shopScoped: true)
    }

    /// The typed fast path: ordered pairs of `SQLValue`s (`.text(sku)`, `.integer(n)`,
    /// `optional.sqlValue`), with no existential box per value. For statements that run on
    /// every request, such as checkout's.
    public func query(_ sql: String, values parameters: KeyValuePairs<String, SQLValue>) throws -> [Row] {
        try transaction.connection.query(sql, values: scoped(NamedValues.Pairs(values: parameters)), shopScoped: true)
    }

    /// `query(_:values:)` for statements that return no rows.
    @discardableResult
    public func execute(_ sql: String, values parameters: KeyValuePairs<String, SQLValue>) throws -> Int {
        try transaction.connection.execute(sql, values: scoped(NamedValues.Pairs(values: parameters)), shopScoped: true)
    }

    /// Typed pairs built at run time (a multi-row `VALUES`).
    @discardableResult
    public func execute(_ sql: String, values parameters: [(String, SQLValue)]) throws -> Int {
        try transaction.connection.execute(sql, values: scoped(parameters), shopScoped: true)
    }

    public var lastInsertRowID: Int64 { transaction.lastInsertRowID }

    /// Advances the shop's counter `name` and returns its new value; the first call in a shop
    /// returns `first`. For numbers people read, such as order numbers: inside the operation's
    /// write transaction, so numbers are gapless, and a rolled-back operation gives its number
    /// back. Name counters after your plugin, `giftwrap.ticket`; names without a dot are the
    /// kernel's (the audit chain's head is `audit`).
    /// ```swift
    /// let ticket = try scope.db.nextCounterValue("giftwrap.ticket", first: 1)
    /// ```
    public func nextCounterValue(_ name: String, first: Int64 = 1) throws -> Int64 {
        guard Self.isCounterName(name) else {
            throw KernelError.invalid("counter", "counter name '\(name)' must be code-like and start with the plugin's name and a dot, e.g. giftwrap.ticket")
        }
        // An UPDATE then a read: an upsert with RETURNING makes SQLite buffer the row in a
        // temporary table, which costs more than both statements together.
        if try execute("UPDATE souk_counters SET value = value + 1 WHERE shop_id = :shop AND name = :name", values: ["name": .text(name)]) == 1 {
            return try query("SELECT value FROM souk_counters WHERE shop_id = :shop AND name = :name", values: ["name": .text(name)])[0].int64("value")
        }
        try execute("INSERT INTO souk_counters (shop_id, name, value) VALUES (:shop, :name, :first)", values: ["name": .text(name), "first": .integer(first)])
        return first
    }

    /// What `load` returns for `key` in this shop, kept across write transactions until one
    /// of the tables that `load`'s statements read changes, through this kernel or any other
    /// process; then `load` runs again. For rows read on every mutation that rarely change,
    /// such as prices at checkout. The kernel learns which tables a statement reads from
    /// SQLite when it prepares it, so there is nothing to declare. Keys are per shop; start
    /// them with your plugin's name. In a read transaction (reads have the read cache) and
    /// with `SOUK_WRITE_MEMO=off`, `load` runs every time.
    /// ```swift
    /// let fee = try scope.db.remembered("giftwrap.fee:\(style)") {
    ///     try scope.db.query("SELECT fee FROM giftwrap_styles WHERE shop_id = :shop AND code = :code",
    ///                        values: ["code": .text(style)]).first?.int64("fee")
    /// }
    /// ```
    /// `load` must read through this `ShopDatabase` and compute only from what it reads (not
    /// from the clock or the input); check time windows on the value it returns.
    public func remembered<T: Sendable>(_ key: String, _ load: () throws -> T) throws -> T {
        // Plugins' keys live apart from the kernel's (which a plugin must not overwrite).
        try transaction.remembered(shopID: shopID, "plugin:" + key, load)
    }

    /// Runs `body` in a savepoint of the operation's transaction: when it throws, what it
    /// wrote (and the events it published) rolls back and the error propagates; what was
    /// written before stays. (A nested operation's refusal that keeps its writes, such as an
    /// audited denial, keeps them here too.) For trying something that may be undone, such as a payment at
    /// checkout that the provider does not approve.
    /// ```swift
    /// do { try scope.db.savepoint { try tryTheFastWay() } } catch is NotThisWay { try doItTheSlowWay() }
    /// ```
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try transaction.savepoint(body)
    }

    /// `plugin.counter`: two codes (see `Validation.isCode`) joined by one dot, checked on the
    /// UTF-8 bytes without building strings (it runs on every order).
    static func isCounterName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return false }
        return Validation.isCode(utf8: bytes[..<dot]) && Validation.isCode(utf8: bytes[bytes.index(after: dot)...])
    }
}
