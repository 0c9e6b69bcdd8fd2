/// SQL access scoped to the operation's shop: the plugin-facing face of the store.
///
/// Every statement must use the `:shop` parameter (the kernel binds it to the current
/// shop), so a plugin cannot read or write another shop's rows by forgetting a filter.
/// Values are bound, never concatenated:
/// ```swift
/// try scope.db.execute("INSERT INTO giftwrap_wraps (shop_id, note) VALUES (:shop, :note)", ["note": note])
/// let rows = try scope.db.query("SELECT note FROM giftwrap_wraps WHERE shop_id = :shop")
/// ```
public struct ShopDatabase {
    let transaction: Transaction
    public let shopID: Int64

    private func scoped(_ sql: String, _ parameters: [String: any SQLBindable]) throws -> [(String, SQLValue)] {
        guard try transaction.connection.parameterNames(sql).contains("shop") else {
            throw KernelError(.invalidInput, "shop-scoped SQL must filter by the :shop parameter: \(sql)")
        }
        var pairs: [(String, SQLValue)] = [("shop", .integer(shopID))]
        pairs.reserveCapacity(parameters.count + 1)
        for (key, value) in parameters where key != "shop" { pairs.append((key, value.sqlValue)) }
        return pairs
    }

    public func query(_ sql: String, _ parameters: [String: any SQLBindable] = [:]) throws -> [Row] {
        try transaction.connection.query(sql, named: try scoped(sql, parameters))
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [String: any SQLBindable] = [:]) throws -> Int {
        try transaction.connection.execute(sql, named: try scoped(sql, parameters))
    }

    public var lastInsertRowID: Int64 { transaction.lastInsertRowID }
}
