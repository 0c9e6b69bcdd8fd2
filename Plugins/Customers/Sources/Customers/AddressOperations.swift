import Kernel

enum AddressOperations {
    static let all = [add, list, remove]

    static let columns = "id, customer_id, label, name, line1, line2, city, region, country, postal_code, phone, created_at"

    static func value(_ row: Row) throws -> Value {
        ["id": .int(try row.int64("id")), "customer": .int(try row.int64("customer_id")), "label": .string(try row.string("label")),
         "name": .string(try row.string("name")), "line1": .string(try row.string("line1")), "line2": .string(try row.string("line2")),
         "city": .string(try row.string("city")), "region": .string(try row.string("region")),
         "country": .string(try row.string("country")), "postal_code": .string(try row.string("postal_code")),
         "phone": .string(try row.string("phone")), "created_at": CustomerRules.time(try row.int64("created_at"))]
    }

    /// The fields of an address, as `customers.address.add` and `storefront.account.address.add` take them.
    static let addressFields = [
        Field("label", help: "what the customer calls it, e.g. home, work (up to 50 characters)"),
        Field("name", help: "recipient name (default: the customer's name)"),
        Field("line1", required: true, help: "street and number"),
        Field("line2", help: "building, floor, apartment"),
        Field("city", required: true, help: "city or town"),
        Field("region", help: "state, province or county"),
        Field("country", required: true, help: "two-letter ISO 3166 country code, e.g. FR"),
        Field("postal_code", help: "postal or ZIP code (up to 20 characters)"),
        Field("phone", help: "phone number for the courier: digits, spaces and + - ( ), at least 5 digits"),
    ]

    static let add = OperationSpec(
        name: "customers.address.add", summary: "Add an address to a customer's address book",
        fields: [Field("customer", .int, required: true, help: "customer id")] + addressFields,
        permission: "customers.write", mutates: true
    ) { scope in
        try insert(for: try Customer.load(try scope.input.int("customer"), scope), scope)
    }

    /// Adds the address of the input's `addressFields` to `customer`'s book, audits it, returns it.
    static func insert(for customer: Customer, _ scope: OperationScope) throws -> Value {
        let customerID = customer.id
        let label = try CustomerRules.text(scope, "label", max: 50)
        let given = try CustomerRules.text(scope, "name")
        let name = given.isEmpty ? customer.name : given
        let line1 = try CustomerRules.text(scope, "line1", required: true)
        let line2 = try CustomerRules.text(scope, "line2")
        let city = try CustomerRules.text(scope, "city", max: 100, required: true)
        let region = try CustomerRules.text(scope, "region", max: 100)
        let country = try CustomerRules.country(try scope.input.string("country"))
        let postalCode = try CustomerRules.text(scope, "postal_code", max: 20)
        let phone = try scope.input.optionalString("phone").map { try CustomerRules.phone($0).display } ?? ""
        let db = try scope.db
        try db.execute("""
            INSERT INTO customers_addresses (shop_id, customer_id, label, name, line1, line2, city, region, country, postal_code, phone, created_at)
            VALUES (:shop, :customer, :label, :name, :line1, :line2, :city, :region, :country, :postal, :phone, :now)
            """, ["customer": customerID, "label": label, "name": name, "line1": line1, "line2": line2, "city": city, "region": region,
                  "country": country, "postal": postalCode, "phone": phone, "now": scope.now])
        let id = db.lastInsertRowID
        // The address itself stays out of the audit log; the row id leads to it.
        scope.audit(entity: "customer:\(customerID)", change: ["address_added": .int(id), "label": .string(label), "country": .string(country)])
        return try value(try db.query("SELECT \(columns) FROM customers_addresses WHERE shop_id = :shop AND id = :id", ["id": id])[0])
    }

    static let list = OperationSpec(
        name: "customers.address.list", summary: "List a customer's addresses, oldest first",
        fields: [Field("customer", .int, required: true, help: "customer id")],
        permission: "customers.read", mutates: false
    ) { scope in
        let customerID = try scope.input.int("customer")
        try Customer.require(customerID, scope)
        return try book(of: customerID, scope)
    }

    /// A customer's addresses, oldest first.
    static func book(of customerID: Int64, _ scope: OperationScope) throws -> Value {
        .array(try scope.db.query("""
            SELECT \(columns) FROM customers_addresses WHERE shop_id = :shop AND customer_id = :customer ORDER BY id
            """, ["customer": customerID]).map(value))
    }

    static let remove = OperationSpec(
        name: "customers.address.remove", summary: "Remove an address from a customer's address book",
        fields: [Field("address", .int, required: true, help: "address id (from customers address list)")],
        permission: "customers.write", mutates: true
    ) { scope in
        let id = try scope.input.int("address")
        let db = try scope.db
        guard let row = try db.query("SELECT \(columns) FROM customers_addresses WHERE shop_id = :shop AND id = :id", ["id": id]).first else {
            throw KernelError(.notFound, "no customer address \(id) in this shop", field: "address")
        }
        let customerID = try row.int64("customer_id")
        try db.execute("DELETE FROM customers_addresses WHERE shop_id = :shop AND id = :id", ["id": id])
        scope.audit(entity: "customer:\(customerID)", change: ["address_removed": .int(id), "label": .string(try row.string("label"))])
        return ["id": .int(id), "customer": .int(customerID), "removed": true]
    }
}
