/// One page of a list operation. Fetch `limit + 1` rows ordered by a unique key after the
/// input's `cursor`; `Page` keeps `limit` of them and takes the next page's cursor from the
/// last one kept (nil on the last page). Answer `{"items": [...], "next_cursor": ...}`:
/// the HTTP host turns `next_cursor` into a `Link: rel="next"` header.
///
/// ```swift
/// let limit = try scope.input.limit()
/// let rows = try scope.db.query("SELECT * FROM giftwrap_wraps WHERE shop_id = :shop AND id > :cursor ORDER BY id LIMIT :limit",
///                               ["cursor": scope.input.optionalInt("cursor") ?? 0, "limit": limit + 1])
/// let page = try Page(rows, limit: limit)
/// return ["items": .array(try page.rows.map(Wrap.init).map(\.value)), "next_cursor": page.nextCursor]
/// ```
public struct Page {
    public let rows: ArraySlice<Row>
    public let nextCursor: Value

    /// `key`: the unique column the list is ordered by and the cursor continues after.
    public init(_ fetched: [Row], limit: Int64, key: String = "id") throws {
        rows = fetched.prefix(Int(limit))
        nextCursor = fetched.count > Int(limit) ? .int(try rows.last!.int64(key)) : .null
    }
}
