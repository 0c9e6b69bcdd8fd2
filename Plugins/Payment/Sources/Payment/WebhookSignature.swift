import Kernel

/// Gateway callback signatures: hex HMAC-SHA256 of `"<timestamp>.<payload>"` keyed with the
/// shop's webhook secret, where `timestamp` (unix seconds) is also inside the payload.
enum WebhookSignature {
    /// How far (seconds) a callback's timestamp may be from now, either way.
    static let tolerance: UInt64 = 300

    static func digest(secret: String, timestamp: Int64, payload: String) -> [UInt8] {
        HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).\(payload)".utf8))
    }

    /// Whether `signature` (hex, either case) is the payload's signature; compared in
    /// constant time so a forger learns nothing from how long the refusal took.
    static func isValid(_ signature: String, secret: String, timestamp: Int64, payload: String) -> Bool {
        guard let given = Hex.decode(signature) else { return false }
        return HMAC.constantTimeEqual(given, digest(secret: secret, timestamp: timestamp, payload: payload))
    }
}

/// The fields of a callback payload: `{"reference":"sbx_...","event":"payment.succeeded","amount":1350,"timestamp":1800000000}`.
struct WebhookPayload: Sendable {
    static let succeeded = "payment.succeeded"
    static let failed = "payment.failed"

    let reference: String
    let event: String
    let amount: Int64?
    let timestamp: Int64

    /// Only the timestamp, which the signature covers and which must be read to check it.
    static func timestamp(_ payload: String) throws -> Int64 {
        guard case .object(let object)? = try? JSON.decode(payload) else {
            throw KernelError.invalid("payload", "the webhook payload is not a JSON object")
        }
        guard let timestamp = object["timestamp"]?.intValue else {
            throw KernelError.invalid("payload", "the webhook payload has no timestamp (unix seconds, a whole number)")
        }
        return timestamp
    }

    init(_ payload: String) throws {
        timestamp = try Self.timestamp(payload)
        let object = (try? JSON.decode(payload))?.objectValue ?? [:]
        guard let reference = object["reference"]?.stringValue, !reference.isEmpty else {
            throw KernelError.invalid("payload", "the webhook payload has no reference")
        }
        guard let event = object["event"]?.stringValue, !event.isEmpty else {
            throw KernelError.invalid("payload", "the webhook payload has no event")
        }
        if let amount = object["amount"], amount.intValue == nil {
            throw KernelError.invalid("payload", "the webhook payload's amount must be a whole number of minor units, got \(JSON.encode(amount))")
        }
        self.reference = reference
        self.event = event
        amount = object["amount"]?.intValue
    }
}
