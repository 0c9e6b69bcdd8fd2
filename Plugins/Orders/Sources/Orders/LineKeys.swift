/// Where an order's lines live in `orders_lines`: the row id of line n (1, 2, 3...) of order
/// o is o × 1024 + n, so an order's lines are one range of the table's own key. Reading them
/// needs no index, and placing an order appends its lines at the end of the table (SQLite adds
/// a page there instead of rebalancing an index's pages). Hence at most 1,023 lines per order;
/// checkout allows 1,000.
///
/// Other plugins reading `orders_lines` by order should select this range too:
/// `WHERE shop_id = :shop AND id >= :order * 1024 AND id < (:order + 1) * 1024`.
enum LineKeys {
    static let perOrder: Int64 = 1024
    static let maximumLines = 1000

    static func id(order: Int64, line: Int) -> Int64 { order * perOrder + Int64(line) }
    static func range(order: Int64) -> (lower: Int64, upper: Int64) { (order * perOrder, (order + 1) * perOrder) }
}
