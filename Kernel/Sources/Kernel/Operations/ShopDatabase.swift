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
}
