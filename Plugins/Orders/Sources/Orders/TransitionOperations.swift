import Kernel

/// One operation per move of the state machine, each with the permission of the job that
/// makes it; all go through `transition`, which enforces the machine and the guards.
enum TransitionOperations {
    static let all = [pay, ship, deliver, complete, cancel]

    static func make(_ verb: String, _ summary: String, to status: OrderStatus, permission: Permission) -> OperationSpec {
        OperationSpec(
            name: "orders.\(verb)", summary: summary,
            fields: [OrderOperations.orderField, Field("reason", help: "a note kept with the change")],
            permission: permission, mutates: true
        ) { scope in
            let row = try transition(try scope.input.string("order"), to: status, reason: scope.input.optionalString("reason"), scope)
            return try OrderRecord.value(row, scope)
        }
    }

    static let pay = make("pay", "Record full payment of an order (pending payment → paid)", to: .paid, permission: "orders.payment.record")
    static let ship = make("ship", "Mark an order shipped (paid → shipped)", to: .shipped, permission: "orders.fulfil")
    static let deliver = make("deliver", "Mark an order delivered (shipped → delivered)", to: .delivered, permission: "orders.fulfil")
    static let complete = make("complete", "Complete a delivered order", to: .completed, permission: "orders.complete")
    static let cancel = make("cancel", "Cancel an order that has not shipped", to: .cancelled, permission: "orders.cancel")

    /// Moves an order to `status`: refuses moves the state machine does not allow, asks the
    /// `order.transition` guards, records who and when, publishes `order.status_changed`.
    @discardableResult
    static func transition(_ number: String, to status: OrderStatus, reason: String?, _ scope: OperationScope) throws -> Row {
        let row = try OrderRecord.row(number, scope)
        let from = try OrderRecord.status(row)
        guard from.next.contains(status) else {
            let allowed = from.next.isEmpty ? "it is final" : "allowed: \(from.next.map(\.rawValue).joined(separator: ", "))"
            throw KernelError(.conflict, "order \(number) is \(from.rawValue) and cannot become \(status.rawValue) (\(allowed))", field: "order")
        }
        let snapshot = try OrderRecord.snapshot(row, scope)
        try scope.check(Hooks.orderTransition, OrderTransition(order: snapshot, from: from, to: status, reason: reason))
        let db = try scope.db
        let id = try row.int64("id")
        let paid = status == .paid ? try row.int64("total") : try row.int64("paid_amount")
        // Cancelling gives back everything paid: the books say so at once, and the Payment
        // plugin (subscribed to order.status_changed) moves the money after commit.
        let refunded = status == .cancelled ? paid : try row.int64("refunded_amount")
        // Conditional on the old status: a concurrent change makes this a conflict, not a lost update.
        guard try db.execute("""
            UPDATE orders_orders SET status = :to, paid_amount = :paid, refunded_amount = :refunded, updated_at = :now
            WHERE shop_id = :shop AND id = :id AND status = :from
            """, ["to": status.rawValue, "paid": paid, "refunded": refunded, "now": scope.now, "id": id, "from": from.rawValue]) == 1 else {
            throw KernelError(.conflict, "order \(number) changed while this was running; try again", field: "order")
        }
        try db.execute("""
            INSERT INTO orders_transitions (order_id, shop_id, from_status, to_status, actor, reason, at)
            VALUES (:order, :shop, :from, :to, :actor, :reason, :now)
            """, ["order": id, "from": from.rawValue, "to": status.rawValue, "actor": scope.context.actor.description,
                  "reason": reason, "now": scope.now])
        try scope.publish(Hooks.orderStatusChanged, OrderEvent(orderID: id, number: number, customerID: snapshot.customerID,
                                                               status: status, previousStatus: from, total: snapshot.total))
        scope.audit(entity: "order:\(number)", change: ["from": .string(from.rawValue), "to": .string(status.rawValue), "reason": Value(reason)])
        return try OrderRecord.row(number, scope)
    }
}
