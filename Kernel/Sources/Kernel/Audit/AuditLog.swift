/// The append-only, hash-chained audit log. Each shop (and the platform, as shop 0) has
/// its own chain; the chain's row in `souk_counters` (name `audit`) keeps the last sequence
/// number and hash of each, so that deleting the newest rows is caught as well as editing or
/// inserting rows.
enum AuditLog {
    static let genesis = String(repeating: "0", count: 64)

    /// A row's id is its place: chain (shop id, 0 for the platform) × 2^32 + seq, so each
    /// chain is one range of the table's own key, in order, with no index to keep.
    static func rowID(shopID: Int64, seq: Int64) -> Int64 { (shopID << 32) + seq }

    /// The ids of `shopID`'s chain: `lower ..< upper`.
    static func range(of shopID: Int64) -> (lower: Int64, upper: Int64) { (shopID << 32, (shopID + 1) << 32) }

    struct Record {
        var shopID: Int64
        var actor: String
        var operation: String
        var entity: String
        var change: Value
        var correlationID: String
        var outcome: String
    }

    static func append(_ record: Record, at: Int64, in tx: Transaction) throws {
        let head = try tx.query("SELECT value, hash FROM souk_counters WHERE shop_id = ? AND name = 'audit'",
                                values: [.integer(record.shopID)]).first
        let seq = (try head?.int64("value") ?? 0) + 1
        // Each chain owns 2^32 ids (see `rowID`).
        guard (0..<(1 << 31)).contains(record.shopID), seq < 1 << 32 else {
            throw KernelError(.storage, "the audit chain of shop \(record.shopID) cannot take entry #\(seq): a chain holds at most 2^32 - 1 entries")
        }
        let prev = try head?.string("hash") ?? genesis
        let change = JSON.encode(record.change)
        let hash = AuditEntry.computeHash(shopID: record.shopID, seq: seq, at: at, actor: record.actor,
                                          operation: record.operation, entity: record.entity, change: change,
                                          correlationID: record.correlationID, outcome: record.outcome, prevHash: prev)
        try tx.execute("""
            INSERT INTO souk_audit (id, shop_id, seq, at, actor, operation, entity, change, correlation_id, outcome, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, values: [.integer(rowID(shopID: record.shopID, seq: seq)), .integer(record.shopID), .integer(seq), .integer(at),
                          .text(record.actor), .text(record.operation),
                          .text(record.entity), .text(change), .text(record.correlationID), .text(record.outcome), .text(prev),
                          .text(hash)])
        // An UPDATE in place (a REPLACE would delete and re-insert the row); the chain's first
        // entry inserts it.
        if head == nil {
            try tx.execute("INSERT INTO souk_counters (shop_id, name, value, hash) VALUES (?, 'audit', ?, ?)",
                           values: [.integer(record.shopID), .integer(seq), .text(hash)])
        } else {
            try tx.execute("UPDATE souk_counters SET value = ?, hash = ? WHERE shop_id = ? AND name = 'audit'",
                           values: [.integer(seq), .text(hash), .integer(record.shopID)])
        }
    }

    /// Any row stored outside its own chain's range, in one pass over the table: (its chain, the problem).
    static func strayRow(in tx: Transaction) throws -> (shopID: Int64, problem: String)? {
        guard let row = try tx.query("SELECT id, shop_id, seq FROM souk_audit WHERE id != shop_id * 4294967296 + seq LIMIT 1").first else {
            return nil
        }
        return (try row.int64("shop_id"), try strayProblem(row))
    }

    private static func strayProblem(_ row: Row) throws -> String {
        "entry #\(try row.int64("seq")) (row id \(try row.int64("id"))) is stored outside its chain (inserted)"
    }

    /// The result of checking one chain.
    struct ChainReport {
        let shopID: Int64
        let entries: Int
        /// Nil when the chain is intact; otherwise names the first bad entry.
        let problem: String?
    }

    /// Checks one chain. `strays`: also look through the whole table for rows that name this
    /// chain but are stored outside its range (verifying every chain does that once for all,
    /// with `strayRow`).
    static func verify(shopID: Int64, strays: Bool = true, in tx: Transaction) throws -> ChainReport {
        let chain = range(of: shopID)
        let rows = try tx.query("SELECT * FROM souk_audit WHERE id >= ? AND id < ? ORDER BY id", [chain.lower, chain.upper])
        // A row naming this chain but stored outside its range was not written by the kernel.
        if strays, let stray = try tx.query("SELECT id, seq FROM souk_audit WHERE shop_id = ? AND (id < ? OR id >= ?) LIMIT 1",
                                            [shopID, chain.lower, chain.upper]).first {
            return ChainReport(shopID: shopID, entries: rows.count, problem: try strayProblem(stray))
        }
        var prev = genesis
        var expectedSeq: Int64 = 1
        for row in rows {
            let entry = try AuditEntry(row: row)
            if entry.shopID != shopID || entry.id != rowID(shopID: shopID, seq: entry.seq) {
                return ChainReport(shopID: shopID, entries: rows.count, problem:
                    "entry #\(entry.seq) (row id \(entry.id)) is not in its place in the chain (inserted or moved)")
            }
            if entry.seq != expectedSeq {
                let problem = entry.seq > expectedSeq
                    ? "entry #\(expectedSeq) is missing (deleted); the chain jumps to #\(entry.seq) (row id \(entry.id))"
                    : "entry #\(entry.seq) (row id \(entry.id)) appears twice or out of order (inserted)"
                return ChainReport(shopID: shopID, entries: rows.count, problem: problem)
            }
            if entry.prevHash != prev {
                return ChainReport(shopID: shopID, entries: rows.count,
                                   problem: "entry #\(entry.seq) (row id \(entry.id)) does not link to the entry before it (inserted or reordered)")
            }
            if entry.hash != entry.expectedHash {
                return ChainReport(shopID: shopID, entries: rows.count,
                                   problem: "entry #\(entry.seq) (row id \(entry.id)) was edited: its content no longer matches its hash")
            }
            prev = entry.hash
            expectedSeq += 1
        }
        let head = try tx.query("SELECT value, hash FROM souk_counters WHERE shop_id = ? AND name = 'audit'", [shopID]).first
        let headSeq = try head?.int64("value") ?? 0
        let headHash = try head?.string("hash") ?? genesis
        if headSeq != expectedSeq - 1 || headHash != prev {
            let problem = headSeq > expectedSeq - 1
                ? (headSeq == expectedSeq
                    ? "entry #\(headSeq) is missing (deleted from the end of the chain)"
                    : "entries #\(expectedSeq) to #\(headSeq) are missing (deleted from the end of the chain)")
                : "the chain ends at #\(expectedSeq - 1) but its recorded head is #\(headSeq) (rows inserted or head edited)"
            return ChainReport(shopID: shopID, entries: rows.count, problem: problem)
        }
        return ChainReport(shopID: shopID, entries: rows.count, problem: nil)
    }
}
