import Foundation

extension Kernel {
    /// One operation of a `performAll` group.
    public struct Request: Sendable {
        public var name: String
        public var input: Value.Object
        public var context: OperationContext

        public init(_ name: String, input: Value.Object = [:], context: OperationContext) {
            self.name = name
            self.input = input
            self.context = context
        }
    }

    /// Performs several independent requests, answering each as `answer` would, with the
    /// mutations among them in **one** write transaction (group commit): each runs in a
    /// savepoint of its own, so one that fails rolls back alone and is answered with its
    /// error, while the others commit together. A host that receives mutations from many
    /// clients at once (the HTTP server) commits them in one go: the WAL pages they share
    /// are written once and the write lock changes hands once, instead of per request.
    ///
    /// Every request is checked, validated, audited and made idempotent exactly as by
    /// `perform`; reads among them are simply answered in turn. Nothing is visible to
    /// anyone before the group commits; if the commit fails, every mutation of the group
    /// fails with that error and none of them happened.
    public func performAll(_ requests: [Request]) -> [Result<Answer, KernelError>] {
        var results = [Result<Answer, KernelError>?](repeating: nil, count: requests.count)
        var mutations: [(index: Int, operation: OperationSpec)] = []
        for (index, request) in requests.enumerated() {
            do {
                let operation = try admit(request.name, context: request.context, nested: false)
                if operation.mutates {
                    mutations.append((index, operation))
                } else {
                    results[index] = .success(try answer(request.name, input: request.input, context: request.context))
                }
            } catch {
                results[index] = .failure(KernelError.wrap(error))
            }
        }
        guard !mutations.isEmpty else { return results.map { $0! } }

        var values: [Int: Value] = [:]
        var failures: [Int: KernelError] = [:]
        var deliver = false
        var published: [String] = []
        do {
            try store.write { tx in
                for (index, operation) in mutations {
                    let request = requests[index]
                    do {
                        values[index] = try tx.savepoint {
                            try checkEnabled(operation, context: request.context, in: tx)
                            let input = try operation.validate(request.input)
                            return try runIdempotent(operation, input: input, context: request.context, transaction: tx,
                                                     deliver: &deliver)
                        }
                    } catch {
                        failures[index] = KernelError.wrap(error)
                    }
                }
                published = tx.publishedEvents
            }
        } catch {
            // The commit itself failed: nothing of the group happened.
            let failure = KernelError.wrap(error)
            for (index, _) in mutations where failures[index] == nil { failures[index] = failure }
            values = [:]
            deliver = false
            published = []
        }
        eventTally.record(published)
        Self.faultPoint("crash-after-commit")
        for (index, operation) in mutations {
            if let value = values[index] {
                results[index] = .success(Answer(value))
            } else if let failure = failures[index] {
                // As `perform` does: a handler's own refusal and a guard's veto stay on record.
                if failure.code == .permissionDenied || failure.code == .vetoed {
                    recordDenial(operation: operation.name, context: requests[index].context, error: failure,
                                 outcome: failure.code == .vetoed ? "vetoed" : "denied")
                }
                results[index] = .failure(failure)
            }
        }
        if deliver { deliverPendingEvents() }
        return results.map { $0! }
    }
}
