import Kernel

/// Carts: built line by line, priced on demand, checked out once.
enum CartOperations {
    static let all = [create, add, remove, show, checkout]

    static let create = OperationSpec(
        name: "orders.cart.create", summary: "Open a cart",
        fields: [Field("customer", .int, help: "customer id (from the customers plugin)"),
                 Field("attributes", .list, help: "requests as key=value, e.g. gift_wrap=yes"),
                 Field("destination", .list, help: "where it ships: country=FR,region=IDF,city=PAR")],
        permission: "orders.place", mutates: true
    ) { scope in
        try open(customer: scope.input.optionalInt("customer"), guestSession: nil, scope)
    }

    /// Opens a cart with the input's `attributes` and `destination`, for a customer, a
    /// storefront guest session, or nobody.
    static func open(customer: Int64?, guestSession: Int64?, _ scope: OperationScope) throws -> Value {
        let attributes = try LineList.attributes(scope.input.list("attributes"), field: "attributes")
        let destination = try LineList.attributes(scope.input.list("destination"), field: "destination")
        let db = try scope.db
        try db.execute("""
            INSERT INTO orders_carts (shop_id, customer_id, guest_session, attributes, destination, status, created_at, updated_at)
            VALUES (:shop, :customer, :guest, :attributes, :destination, 'open', :now, :now)
            """, ["customer": customer, "guest": guestSession, "attributes": OrderRecord.encode(attributes),
                  "destination": OrderRecord.encode(destination), "now": scope.now])
        let id = db.lastInsertRowID
        var change: Value.Object = ["customer": Value(customer.map { Int($0) })]
        if let guestSession { change["guest_session"] = .int(guestSession) }
        scope.audit(entity: "cart:\(id)", change: .object(change))
        return ["cart": .int(id), "status": "open"]
    }

    static let cartField = Field("cart", .int, required: true, help: "cart id")

    static let add = OperationSpec(
        name: "orders.cart.add", summary: "Add a quantity of a SKU to a cart",
        fields: [cartField, Field("sku", required: true, help: "SKU code"),
                 Field("quantity", .int, required: true, help: "how many (at least 1)")],
        permission: "orders.place", mutates: true
    ) { scope in
        try addLine(to: try openCart(scope), scope)
    }

    /// Adds the input's `quantity` of `sku` to an open cart; refuses, writing nothing, an
    /// unknown or unlisted SKU and a quantity below 1.
    static func addLine(to cart: Int64, _ scope: OperationScope) throws -> Value {
        var lines = try cartLines(cart, scope)
        let sku = try scope.input.string("sku")
        try LineList.add(sku, try scope.input.int("quantity"), to: &lines, field: "quantity")
        // Price now so that an unknown or unlisted SKU is refused when added, not at checkout.
        _ = try Checkout.price(try loadCart(cart, lines: lines, scope), scope)
        let quantity = lines.first { $0.sku == sku }!.quantity
        try scope.db.execute("""
            INSERT INTO orders_cart_lines (cart_id, shop_id, sku, quantity) VALUES (:cart, :shop, :sku, :quantity)
            ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = :quantity
            """, ["cart": cart, "sku": sku, "quantity": quantity])
        try touch(cart, scope)
        scope.audit(entity: "cart:\(cart)", change: ["sku": .string(sku), "quantity": .int(quantity)])
        return try priced(cart, scope)
    }

    static let remove = OperationSpec(
        name: "orders.cart.remove", summary: "Remove a SKU from a cart",
        fields: [cartField, Field("sku", required: true, help: "SKU code")],
        permission: "orders.place", mutates: true
    ) { scope in
        try removeLine(from: try openCart(scope), scope)
    }

    /// Removes the input's `sku` from an open cart.
    static func removeLine(from cart: Int64, _ scope: OperationScope) throws -> Value {
        let sku = try scope.input.string("sku")
        guard try scope.db.execute("DELETE FROM orders_cart_lines WHERE shop_id = :shop AND cart_id = :cart AND sku = :sku",
                                   ["cart": cart, "sku": sku]) == 1 else {
            throw KernelError(.notFound, "cart \(cart) has no SKU '\(sku)'", field: "sku")
        }
        try touch(cart, scope)
        scope.audit(entity: "cart:\(cart)", change: ["removed": .string(sku)])
        return try priced(cart, scope)
    }

    static let show = OperationSpec(
        name: "orders.cart.show", summary: "Show a cart priced as checkout would price it",
        fields: [cartField], permission: "orders.read", mutates: false
    ) { scope in
        try priced(try scope.input.int("cart"), scope)
    }

    static let checkout = OperationSpec(
        name: "orders.cart.checkout", summary: "Place the order for a cart; with pay_with, pay it in the same transaction",
        fields: [cartField] + Checkout.paymentFields, permission: "orders.place", mutates: true
    ) { scope in
        try checkOut(try openCart(scope), scope)
    }

    /// Places the order for an open cart (the checkout pipeline) and closes the cart. An
    /// order placed from a guest's cart keeps the guest session, which owns it.
    static func checkOut(_ cart: Int64, _ scope: OperationScope) throws -> Value {
        let placed = try Checkout.place(try loadCart(cart, lines: try cartLines(cart, scope), scope),
                                        paying: try Checkout.PaymentAsked(scope), scope)
        let db = try scope.db
        try db.execute("""
            UPDATE orders_orders SET guest_session = (SELECT guest_session FROM orders_carts WHERE shop_id = :shop AND id = :cart)
            WHERE shop_id = :shop AND id = :order
            """, ["cart": cart, "order": placed.snapshot.id])
        try db.execute("UPDATE orders_carts SET status = 'checked_out', updated_at = :now WHERE shop_id = :shop AND id = :cart",
                       ["cart": cart, "now": scope.now])
        return OrderRecord.value(placed)
    }

    /// The cart id of the input, refused unless the cart exists and is still open.
    static func openCart(_ scope: OperationScope) throws -> Int64 {
        try openCart(try scope.input.int("cart"), owner: nil, scope)
    }

    /// `cart`, refused unless it exists, belongs to `owner` (nil: anyone, for staff) and is
    /// still open. Someone else's cart is `not_found`, exactly as a cart that does not exist.
    @discardableResult
    static func openCart(_ cart: Int64, owner: CartOwner?, _ scope: OperationScope) throws -> Int64 {
        let row = try cartRow(cart, owner: owner, scope)
        guard try row.string("status") == "open" else {
            throw KernelError(.conflict, "cart \(cart) is already checked out; open a new cart", field: "cart")
        }
        return cart
    }

    /// The cart's row when it exists and belongs to `owner` (nil: anyone), else `not_found`.
    static func cartRow(_ cart: Int64, owner: CartOwner?, _ scope: OperationScope) throws -> Row {
        var sql = "SELECT status FROM orders_carts WHERE shop_id = :shop AND id = :cart"
        var parameters: [String: any SQLBindable] = ["cart": cart]
        if let owner {
            sql += " AND " + owner.condition
            parameters["owner"] = owner.id
        }
        guard let row = try scope.db.query(sql, parameters).first else {
            throw KernelError(.notFound, "no cart \(cart) in this shop", field: "cart")
        }
        return row
    }

    static func cartLines(_ cart: Int64, _ scope: OperationScope) throws -> [CartLine] {
        try scope.db.query("SELECT sku, quantity FROM orders_cart_lines WHERE shop_id = :shop AND cart_id = :cart ORDER BY rowid",
                           ["cart": cart]).map { CartLine(sku: try $0.string("sku"), quantity: try $0.int64("quantity")) }
    }

    static func loadCart(_ cart: Int64, lines: [CartLine], _ scope: OperationScope) throws -> Cart {
        guard let row = try scope.db.query("SELECT * FROM orders_carts WHERE shop_id = :shop AND id = :cart", ["cart": cart]).first else {
            throw KernelError(.notFound, "no cart \(cart) in this shop", field: "cart")
        }
        let shop = try scope.context.requireShop()
        guard let currency = Currency(code: shop.currency) else { throw KernelError(.storage, "shop currency unknown") }
        return Cart(currency: currency, customerID: try row.optionalInt("customer_id").map(Int64.init), lines: lines,
                    attributes: OrderRecord.decode(try row.string("attributes")),
                    destination: OrderRecord.decode(try row.string("destination")))
    }

    static func touch(_ cart: Int64, _ scope: OperationScope) throws {
        try scope.db.execute("UPDATE orders_carts SET updated_at = :now WHERE shop_id = :shop AND id = :cart", ["cart": cart, "now": scope.now])
    }

    static func priced(_ cart: Int64, _ scope: OperationScope) throws -> Value {
        let lines = try cartLines(cart, scope)
        guard !lines.isEmpty else { return ["cart": .int(cart), "lines": [], "total": Value.null] }
        let priced = try Checkout.price(try loadCart(cart, lines: lines, scope), scope)
        return [
            "cart": .int(cart),
            "lines": .array(try priced.lines.map {
                ["sku": .string($0.sku), "title": .string($0.title), "quantity": .int($0.quantity),
                 "unit_price": $0.unitPrice!.value, "line_total": try $0.total().value]
            }),
            "adjustments": .array(priced.adjustments.map { ["kind": .string($0.kind.rawValue), "label": .string($0.label), "amount": $0.amount.value] }),
            "subtotal": try priced.subtotal().value, "total": try priced.total().value,
        ]
    }
}
