/// One line of the audit log, as written and as listed.
public struct AuditEntry: Sendable {
    public let id: Int64
    /// 0 for the platform chain (installation-level actions).
    public let shopID: Int64
    public let seq: Int64
    public let at: Int64
    public let actor: String
    public let operation: String
    public let entity: String
    /// JSON text of what changed (input without secrets, or what the handler recorded).
    public let change: String
    public let correlationID: String
    /// `ok`, or `denied` for a refused attempt.
    public let outcome: String
    public let prevHash: String
    public let hash: String

    init(row: Row) throws {
        id = try row.int64("id")
        shopID = try row.int64("shop_id")
        seq = try row.int64("seq")
        at = try row.int64("at")
        actor = try row.string("actor")
        operation = try row.string("operation")
        entity = try row.string("entity")
        change = try row.string("change")
        correlationID = try row.string("correlation_id")
        outcome = try row.string("outcome")
        prevHash = try row.string("prev_hash")
        hash = try row.string("hash")
    }

    /// The hash of an entry covers every field and the previous entry's hash. Each field is
    /// fed as its UTF-8 length, a colon and its bytes, so no two different entries encode alike.
    static func computeHash(shopID: Int64, seq: Int64, at: Int64, actor: String, operation: String, entity: String,
                            change: String, correlationID: String, outcome: String, prevHash: String) -> String {
        // The same length-prefixed byte stream as always, gathered first so that SHA-256 runs
        // over one buffer instead of thirty small updates; numbers are written as digits
        // without a String each.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(120 + actor.utf8.count + operation.utf8.count + entity.utf8.count + change.utf8.count
                              + correlationID.utf8.count + outcome.utf8.count + prevHash.utf8.count)
        let digits = DecimalDigits.with
        func add(_ field: UnsafeRawBufferPointer) {
            digits(Int64(field.count)) { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: field)
        }
        func add(_ number: Int64) { digits(number) { add($0) } }
        func add(_ text: String) {
            var text = text
            text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        }
        add(shopID)
        add(seq)
        add(at)
        add(actor)
        add(operation)
        add(entity)
        add(change)
        add(correlationID)
        add(outcome)
        add(prevHash)
        var hasher = SHA256()
        hasher.update(bytes)
        return Hex.encode(hasher.finish())
    }

    var expectedHash: String {
        Self.computeHash(shopID: shopID, seq: seq, at: at, actor: actor, operation: operation, entity: entity,
                         change: change, correlationID: correlationID, outcome: outcome, prevHash: prevHash)
    }

    var value: Value {
        [
            "id": .int(id), "shop_id": .int(shopID), "seq": .int(seq), "at": .string(Validation.isoString(millis: at)),
            "actor": .string(actor), "operation": .string(operation), "entity": .string(entity),
            "change": (try? JSON.decode(change)) ?? .string(change), "correlation_id": .string(correlationID),
            "outcome": .string(outcome),
        ]
    }
}
