import Kernel

/// Replenishment suggestions and inventory analysis from the stock ledger.
enum InsightOperations {
    static let all = [replenishment, analysis]

    static let daysField = Field("days", .int, help: "look back this many days of sales (default 30)")

    static func window(_ scope: OperationScope) throws -> Int64 {
        let days = scope.input.optionalInt("days") ?? 30
        guard (1...365).contains(days) else { throw KernelError.invalid("days", "days must be between 1 and 365, got \(days)") }
        return days
    }

    static let replenishment = OperationSpec(
        name: "inventory.replenishment", summary: "Suggest what to reorder from the last days' sales velocity",
        fields: [daysField, Field("lead_days", .int, help: "days a reorder takes to arrive (default 7)")],
        permission: "inventory.read", mutates: false
    ) { scope in
        let days = try window(scope)
        let lead = scope.input.optionalInt("lead_days") ?? 7
        guard (0...365).contains(lead) else { throw KernelError.invalid("lead_days", "lead_days must be between 0 and 365, got \(lead)") }
        let since = scope.now - days * 86_400_000
        let rows = try scope.db.query("""
            SELECT s.sku, SUM(s.on_hand - s.reserved) AS free, SUM(s.safety_stock) AS safety,
                (SELECT COALESCE(-SUM(m.on_hand_delta), 0) FROM inventory_movements m
                 WHERE m.shop_id = :shop AND m.sku = s.sku AND m.kind = 'sale' AND m.at >= :since) AS sold
            FROM inventory_stock s WHERE s.shop_id = :shop GROUP BY s.sku ORDER BY s.sku
            """, ["since": since])
        return .array(try rows.compactMap { row -> Value? in
            let sold = try row.int64("sold"), free = try row.int64("free"), safety = try row.int64("safety")
            // Units needed to cover the lead time at the current pace, plus safety stock; rounded up.
            let needed = (sold * lead + days - 1) / days + safety
            let suggest = needed - free
            guard suggest > 0 else { return nil }
            return ["sku": .string(try row.string("sku")), "sold": .int(sold), "per_day": .string(perDay(sold, days)),
                    "free": .int(free), "safety_stock": .int(safety), "reorder": .int(suggest)]
        })
    }

    static func perDay(_ sold: Int64, _ days: Int64) -> String {
        let hundredths = (sold * 100 + days / 2) / days
        return "\(hundredths / 100).\(String(format: "%02d", Int(hundredths % 100)))"
    }

    static let analysis = OperationSpec(
        name: "inventory.analysis", summary: "Slow movers (stock but no sales) and stock-outs",
        fields: [daysField], permission: "inventory.read", mutates: false
    ) { scope in
        let since = scope.now - (try window(scope)) * 86_400_000
        let rows = try scope.db.query("""
            SELECT s.sku, SUM(s.on_hand) AS on_hand, SUM(s.on_hand - s.reserved - s.safety_stock) AS available,
                (SELECT COALESCE(-SUM(m.on_hand_delta), 0) FROM inventory_movements m
                 WHERE m.shop_id = :shop AND m.sku = s.sku AND m.kind = 'sale' AND m.at >= :since) AS sold
            FROM inventory_stock s WHERE s.shop_id = :shop GROUP BY s.sku ORDER BY s.sku
            """, ["since": since])
        var slow: [Value] = [], out: [Value] = []
        for row in rows {
            let sku = try row.string("sku")
            if try row.int64("available") <= 0 { out.append(["sku": .string(sku), "available": .int(try row.int64("available"))]) }
            if try row.int64("sold") == 0, try row.int64("on_hand") > 0 { slow.append(["sku": .string(sku), "on_hand": .int(try row.int64("on_hand"))]) }
        }
        return ["slow_movers": .array(slow), "stock_outs": .array(out)]
    }
}
