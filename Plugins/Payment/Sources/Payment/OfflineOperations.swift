import Foundation
import Kernel

/// Money received outside any gateway (cash on delivery, bank transfer): staff with the
/// finance right record it, and the order becomes paid in the same transaction.
enum OfflineOperations {
    static let all = [markPaid]

    static let markPaid = OperationSpec(
        name: "payment.mark-paid",
        summary: "Record that an offline payment (cash on delivery, bank transfer) was received; the order becomes paid",
        fields: [
            ChargeOperations.orderField,
            Field("method", .code, help: "offline method paid with, e.g. cod or bank_transfer (default: the one chosen when the payment was authorized)"),
            Field("reference", help: "receipt or bank transfer reference, kept as the payment's reference"),
            PaymentRequestKey.field,
        ],
        permission: "payment.capture", mutates: true
    ) { scope in
        let number = try scope.input.string("order")
        let key = try PaymentRequestKey.input(scope)
        let order = try OrderLookup.order(number, scope)
        let existing = try PaymentRecord.find(order: number, scope)
        let code: String
        if let given = scope.input.optionalString("method") {
            code = given
        } else if let existing, try Providers.find(existing.method, scope)?.isOffline == true {
            // The method chosen at authorization (also what a repeated request used).
            code = existing.method
        } else {
            throw KernelError.invalid("method", "order \(number) has no offline payment yet: say which method was paid (e.g. cod or bank_transfer)")
        }
        let reference = scope.input.optionalString("reference")?.trimmingCharacters(in: .whitespaces)
        if let reference, reference.isEmpty || reference.count > 100 {
            throw KernelError.invalid("reference", "the reference must have 1 to 100 characters, got \(reference.count)")
        }
        guard let configured = try PaymentMethod.find(code, scope) else {
            throw KernelError(.notFound, "no payment method '\(code)' in this shop; configure it with payment.method.configure", field: "method")
        }
        let amount = try order.total.adding(Money(minorUnits: configured.fee, currency: order.total.currency))
        let request = PaymentRequestKey(key: key, action: .markPaid, order: number, method: code, amount: amount.minorUnits,
                                        currency: amount.currency)
        if let first = try request.replay(scope) { return ChargeOperations.replayed(first, request, scope) }

        try OrderLookup.requirePendingPayment(order, doing: "be marked paid")
        let (method, provider) = try PaymentMethod.usable(code, scope)
        guard provider.isOffline else {
            throw KernelError.invalid("method", "payment method '\(code)' is not an offline method; card payments are captured with payment.capture")
        }
        try method.check(amount)
        if let existing { try ChargeOperations.refuseUnlessReplaceable(existing, scope) }

        let answer = Outcome(provider.perform(PaymentRequest(action: .capture, amount: amount, orderNumber: number,
                                                             reference: existing?.reference, instrument: nil, idempotencyKey: key)))
        let outcome = Outcome(kind: answer.kind, reason: answer.reason, reference: answer.kind == .approved ? (reference ?? answer.reference) : answer.reference)
        var payment = existing ?? PaymentRecord(order: order, method: code, amount: amount, fee: method.fee, now: scope.now)
        var orderStatus = order.status
        if outcome.kind == .approved {
            payment.method = code
            payment.amount = amount.minorUnits
            payment.fee = method.fee
            payment.status = .captured
            payment.authorized = amount.minorUnits
            payment.captured = amount.minorUnits
            payment.refunded = 0
            payment.cardLast4 = nil
            payment.reference = outcome.reference
        }
        try payment.save(scope)
        try Attempts.append(payment: payment, action: .markPaid, amount: amount.minorUnits, key: key, outcome: outcome, scope)
        if outcome.kind == .approved {
            orderStatus = try ChargeOperations.payOrder(number, because: "\(provider.name.lowercased()) received (\(outcome.reference ?? "no reference"))", scope)
        }
        let response = ChargeOperations.result(outcome, payment, orderStatus: orderStatus)
        try request.remember(amount: amount.minorUnits, outcome: outcome.kind, response: response, scope)
        ChargeOperations.audit(.markPaid, amount: amount.minorUnits, key: key, outcome: outcome, payment, orderStatus: orderStatus, scope)
        return response
    }
}
