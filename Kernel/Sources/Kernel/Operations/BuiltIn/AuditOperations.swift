enum AuditOperations {
    static let all: [OperationSpec] = [list, verify]

    /// Audit reads take an optional shop: with one, `audit.read` there is needed; without,
    /// only an operator may read across the installation.
    static func chains(_ scope: OperationScope) throws -> [Int64]? {
        if let shop = scope.context.shop {
            try GrantRules.ensureHolds(["audit.read"], scope, shop: shop, doing: "read the audit log")
            return [shop.id]
        }
        guard scope.context.isOperator else {
            throw KernelError.denied("only an operator can read the audit log of the whole installation; pass --shop CODE")
        }
        return nil
    }

    static let list = OperationSpec(
        name: "audit.list", summary: "List audit entries, newest first (across shops: chain by chain), a page at a time",
        fields: [
            Field("actor", help: "only entries whose actor contains this text (e.g. an email)"),
            Field("operation", help: "only this operation, e.g. shop.update"),
            Field("entity", help: "only this entity, e.g. shop:north"),
            Field("outcome", help: "ok, denied or vetoed"),
            Field("since", .dateTime, help: "from this time (ISO 8601)"),
            Field("until", .dateTime, help: "before this time (ISO 8601)"),
            Field("cursor", .int, help: "continue after this entry id (next_cursor of the previous page); across shops, entries come chain by chain"),
            Field("limit", .int, help: "page size, 1-10000 (default 50)"),
        ],
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        let input = scope.input
        var sql = "SELECT * FROM souk_audit WHERE 1 = 1"
        var parameters: [any SQLBindable] = []
        if let shops = try chains(scope) {
            // The chain's own range of ids: read in key order, no index needed.
            let chain = AuditLog.range(of: shops[0])
            sql += " AND id >= ? AND id < ? AND shop_id = ?"
            parameters += [chain.lower, chain.upper, shops[0]]
        }
        if let actor = input.optionalString("actor") { sql += " AND instr(actor, ?) > 0"; parameters.append(actor) }
        if let operation = input.optionalString("operation") { sql += " AND operation = ?"; parameters.append(operation) }
        if let entity = input.optionalString("entity") { sql += " AND entity = ?"; parameters.append(entity) }
        if let outcome = input.optionalString("outcome") { sql += " AND outcome = ?"; parameters.append(outcome) }
        if let since = input.optionalString("since").flatMap(Validation.parseDate) {
            sql += " AND at >= ?"; parameters.append(Int64(since.timeIntervalSince1970 * 1000))
        }
        if let until = input.optionalString("until").flatMap(Validation.parseDate) {
            sql += " AND at < ?"; parameters.append(Int64(until.timeIntervalSince1970 * 1000))
        }
        if let cursor = input.optionalInt("cursor") { sql += " AND id < ?"; parameters.append(cursor) }
        let limit = try input.limit(max: 10_000)
        sql += " ORDER BY id DESC LIMIT ?"
        parameters.append(limit + 1)
        let shopCodes = Dictionary(uniqueKeysWithValues: try scope.transaction.query("SELECT id, code FROM souk_shops").map {
            (try $0.int64("id"), try $0.string("code"))
        })
        let rows = try scope.transaction.query(sql, parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map { row in
            let entry = try AuditEntry(row: row)
            guard case .object(var object) = entry.value else { return entry.value }
            object["shop_id"] = nil
            var shaped: Value.Object = ["seq": object["seq"]!, "at": object["at"]!, "shop": .string(shopCodes[entry.shopID] ?? "platform")]
            for (key, value) in object where !["id", "seq", "at"].contains(key) { shaped[key] = value }
            return .object(shaped)
        }), "next_cursor": next]
    }

    static let verify = OperationSpec(
        name: "audit.verify", summary: "Check the audit hash chains; name the first bad entry",
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        let tx = scope.transaction
        let only = try chains(scope)
        // Rows stored outside their chain's range: one pass for all chains, not one per chain.
        let stray = only == nil ? try AuditLog.strayRow(in: tx) : nil
        let ids: [Int64]
        if let only {
            ids = only
        } else {
            // Every shop, the platform, and any other chain found in the table (a deleted shop's):
            // one key lookup per chain, jumping from the start of one to the start of the next.
            var found = Set(try tx.query("SELECT id FROM souk_shops").map { try $0.int64("id") })
            found.insert(0)
            // From the lowest possible id, so forged rows at negative ids are found too.
            var next = Int64.min
            while let row = try tx.query("SELECT id FROM souk_audit WHERE id >= ? ORDER BY id LIMIT 1", [next]).first {
                let chain = try row.int64("id") >> 32
                found.insert(chain)
                guard chain < Int64(Int32.max) else { break }
                next = (chain + 1) << 32
            }
            if let stray { found.insert(stray.shopID) }
            ids = found.sorted()
        }
        let codes = Dictionary(uniqueKeysWithValues: try tx.query("SELECT id, code FROM souk_shops").map { (try $0.int64("id"), try $0.string("code")) })
        var reports: [Value] = []
        var broken: [String] = []
        for id in ids {
            var report = try AuditLog.verify(shopID: id, strays: only != nil, in: tx)
            if report.problem == nil, let stray, stray.shopID == id {
                report = AuditLog.ChainReport(shopID: id, entries: report.entries, problem: stray.problem)
            }
            let name = id == 0 ? "platform" : (codes[id] ?? "shop #\(id)")
            reports.append(["chain": .string(name), "entries": .int(Int64(report.entries)),
                            "status": .string(report.problem == nil ? "ok" : "BROKEN"), "problem": Value(report.problem)])
            if let problem = report.problem { broken.append("\(name): \(problem)") }
        }
        if !broken.isEmpty {
            throw KernelError(.auditBroken, "audit chain broken: " + broken.joined(separator: "; "))
        }
        return .array(reports)
    }
}
