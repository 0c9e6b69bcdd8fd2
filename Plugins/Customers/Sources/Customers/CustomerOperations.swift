import Kernel

enum CustomerOperations {
    static let all = [create, update, show, list, setLevel]

    static let create = OperationSpec(
        name: "customers.create", summary: "Create a customer account (an email, a phone number or both)",
        fields: [
            Field("email", .email, help: "email address, unique in the shop"),
            Field("phone", help: "phone number: digits, spaces and + - ( ), at least 5 digits; unique in the shop"),
            Field("name", help: "the customer's name (up to 200 characters)"),
            Field("level", .code, help: "member level code, e.g. regular, silver, gold (default regular)"),
        ],
        permission: "customers.write", mutates: true
    ) { scope in
        let email = try scope.input.optionalString("email").map { try CustomerRules.email($0) }
        let phone = try scope.input.optionalString("phone").map { try CustomerRules.phone($0) }
        guard email != nil || phone != nil else {
            throw KernelError.invalid("email", "a customer needs an email address or a phone number: give email, phone or both")
        }
        let name = try CustomerRules.text(scope, "name")
        let level = scope.input.optionalString("level") ?? CustomerRules.defaultLevel
        try Customer.ensureUnique(email: email, phoneKey: phone?.key, phone: phone?.display, except: nil, scope)
        let db = try scope.db
        try db.execute("""
            INSERT INTO customers_accounts (shop_id, email, phone, phone_key, name, level, created_at, updated_at)
            VALUES (:shop, :email, :phone, :key, :name, :level, :now, :now)
            """, ["email": email, "phone": phone?.display, "key": phone?.key, "name": name, "level": level, "now": scope.now])
        let id = db.lastInsertRowID
        try scope.publish(CustomerEvents.created, CustomerCreated(customerID: id, email: email, phone: phone?.display))
        scope.audit(entity: "customer:\(id)", change: ["created": true, "email": Value(email), "phone": Value(phone?.display),
                                                       "name": .string(name), "level": .string(level)])
        return try Customer.load(id, scope).value
    }

    static let update = OperationSpec(
        name: "customers.update", summary: "Change a customer's email, phone or name",
        fields: [
            Field("id", .int, required: true, help: "customer id"),
            Field("email", help: "new email address; empty removes it (the customer keeps a phone number)"),
            Field("phone", help: "new phone number; empty removes it (the customer keeps an email address)"),
            Field("name", help: "new name (up to 200 characters)"),
        ],
        permission: "customers.write", mutates: true
    ) { scope in
        let input = scope.input
        let id = try input.int("id")
        let old = try Customer.load(id, scope, field: "id")
        guard input.has("email") || input.has("phone") || input.has("name") else {
            throw KernelError(.invalidInput, "nothing to change: give email, phone or name")
        }
        var email = old.email, phone = old.phone
        var phoneKey = old.phone.map(CustomerRules.phoneKey)
        if let text = input.optionalString("email") {
            email = text.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try CustomerRules.email(text)
        }
        if let text = input.optionalString("phone") {
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                phone = nil; phoneKey = nil
            } else {
                let checked = try CustomerRules.phone(text)
                phone = checked.display; phoneKey = checked.key
            }
        }
        guard email != nil || phone != nil else {
            throw KernelError.invalid(input.has("email") ? "email" : "phone",
                "customer \(id) needs an email address or a phone number; it cannot lose both")
        }
        let name = input.has("name") ? try CustomerRules.text(scope, "name") : old.name
        try Customer.ensureUnique(email: email, phoneKey: phoneKey, phone: phone, except: id, scope)
        try scope.db.execute("""
            UPDATE customers_accounts SET email = :email, phone = :phone, phone_key = :key, name = :name, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["email": email, "phone": phone, "key": phoneKey, "name": name, "now": scope.now, "id": id])
        var from = Value.Object(), to = Value.Object()
        // A reset link on its way to the old address must not open the account any more.
        let revoked = email != old.email ? try PasswordResetOperations.revokeOpen(customerID: id, scope) : 0
        if email != old.email { from["email"] = Value(old.email); to["email"] = Value(email) }
        if phone != old.phone { from["phone"] = Value(old.phone); to["phone"] = Value(phone) }
        if name != old.name { from["name"] = .string(old.name); to["name"] = .string(name) }
        var change: Value.Object = ["from": .object(from), "to": .object(to)]
        if revoked > 0 { change["resets_revoked"] = .int(Int64(revoked)) }
        scope.audit(entity: "customer:\(id)", change: .object(change))
        return try Customer.load(id, scope).value
    }

    static let show = OperationSpec(
        name: "customers.show", summary: "Show a customer with their groups and points balance",
        fields: [Field("id", .int, required: true, help: "customer id", positional: true)],
        permission: "customers.read", mutates: false
    ) { scope in
        try Customer.load(try scope.input.int("id"), scope, field: "id").value
    }

    static let list = OperationSpec(
        name: "customers.list", summary: "Search customers, in id order, a page at a time",
        fields: [
            Field("q", help: "text found in the name, email or phone number (any case)"),
            Field("level", .code, help: "only customers at this member level"),
            Field("group", .code, help: "only members of this group"),
            Field("cursor", .int, help: CustomerRules.cursorHelp),
            Field("limit", .int, help: CustomerRules.limitHelp),
        ],
        permission: "customers.read", mutates: false
    ) { scope in
        let input = scope.input
        let db = try scope.db
        var conditions = ["c.shop_id = :shop"]
        var parameters: [String: any SQLBindable] = [:]
        if let q = input.optionalString("q")?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            var match = ["c.name LIKE :pattern ESCAPE '!'", "c.email LIKE :pattern ESCAPE '!'", "c.phone LIKE :pattern ESCAPE '!'"]
            parameters["pattern"] = CustomerRules.containsPattern(q)
            // "0612 34" also finds "06 12 34 56 78": compare the digits of phone-like text.
            let digits = CustomerRules.phoneKey(q).filter(\.isNumber)
            if !digits.isEmpty, q.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || " +-()".unicodeScalars.contains($0) }) {
                match.append("c.phone_key LIKE :digits")
                parameters["digits"] = "%" + digits + "%"
            }
            conditions.append("(" + match.joined(separator: " OR ") + ")")
        }
        if let level = input.optionalString("level") {
            conditions.append("c.level = :level")
            parameters["level"] = level
        }
        if let group = input.optionalString("group") {
            guard !(try db.query("SELECT 1 FROM customers_groups WHERE shop_id = :shop AND code = :group", ["group": group]).isEmpty) else {
                throw KernelError(.notFound, "no customer group '\(group)' in this shop", field: "group")
            }
            conditions.append("""
                EXISTS (SELECT 1 FROM customers_group_members m JOIN customers_groups g ON g.id = m.group_id
                        WHERE m.shop_id = :shop AND m.customer_id = c.id AND g.code = :group)
                """)
            parameters["group"] = group
        }
        if let cursor = input.optionalInt("cursor") {
            conditions.append("c.id > :cursor")
            parameters["cursor"] = cursor
        }
        let limit = try CustomerRules.limit(scope)
        parameters["limit"] = limit + 1
        let rows = try db.query(Customer.selectSQL + " WHERE " + conditions.joined(separator: " AND ") + " ORDER BY c.id LIMIT :limit",
                                parameters)
        let page = try rows.prefix(Int(limit)).map(Customer.init)
        let next: Value = rows.count > Int(limit) ? .int(page.last!.id) : .null
        return ["items": .array(page.map(\.value)), "next_cursor": next]
    }

    static let setLevel = OperationSpec(
        name: "customers.level.set", summary: "Set a customer's member level",
        fields: [
            Field("customer", .int, required: true, help: "customer id"),
            Field("level", .code, required: true, help: "member level code, e.g. regular, silver, gold"),
        ],
        permission: "customers.write", mutates: true
    ) { scope in
        let id = try scope.input.int("customer")
        let level = try scope.input.string("level")
        let old = try Customer.load(id, scope)
        try scope.db.execute("UPDATE customers_accounts SET level = :level, updated_at = :now WHERE shop_id = :shop AND id = :id",
                             ["level": level, "now": scope.now, "id": id])
        scope.audit(entity: "customer:\(id)", change: ["level": ["from": .string(old.level), "to": .string(level)]])
        return try Customer.load(id, scope).value
    }
}
