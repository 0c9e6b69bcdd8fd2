enum OutboxOperations {
    static let all: [OperationSpec] = [list]

    static let list = OperationSpec(
        name: "outbox.list", summary: "List events not yet delivered (pending or failed)",
        fields: [Field("cursor", .int, help: "continue after this event id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        guard scope.context.isOperator else { throw KernelError.denied("only an operator can read the outbox") }
        let limit = try scope.input.limit()
        let rows = try scope.transaction.query("""
            SELECT id, shop_id, event, attempts, last_error, failed_at FROM souk_outbox
            WHERE delivered_at IS NULL AND id > ? ORDER BY id LIMIT ?
            """, [scope.input.optionalInt("cursor") ?? 0, limit + 1])
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map {
            ["id": .int(try $0.int64("id")), "shop_id": .int(try $0.int64("shop_id")), "event": .string(try $0.string("event")),
             "attempts": .int(try $0.int64("attempts")), "state": .string(try $0.optionalInt("failed_at") == nil ? "pending" : "failed"),
             "last_error": Value(try $0.optionalString("last_error"))]
        }), "next_cursor": next]
    }
}
