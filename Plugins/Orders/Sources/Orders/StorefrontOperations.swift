import Kernel

/// Who a storefront cart or order belongs to: a guest's storefront session, or a customer.
enum CartOwner {
    case guest(session: Int64)
    case customer(Int64)

    /// The shopper of the operation; anyone else is refused (staff use `orders.cart.*`).
    init(_ scope: OperationScope) throws {
        switch scope.context.actor {
        case .guest(let session): self = .guest(session: session)
        case .customer(let id): self = .customer(id)
        default: throw KernelError(.unauthenticated, "\(scope.operation) needs a storefront session: start one as a guest or sign in")
        }
    }

    /// The SQL condition on a carts or orders row, with the `:owner` parameter bound to `id`.
    var condition: String {
        switch self {
        case .guest: return "guest_session = :owner"
        case .customer: return "customer_id = :owner"
        }
    }

    var id: Int64 {
        switch self {
        case .guest(let session): return session
        case .customer(let id): return id
        }
    }
}

/// The shopper's carts and orders. The work is the back office's (`CartOperations`,
/// `Checkout`): these operations only decide whose cart or order it is. Another shopper's
/// cart or order is `not_found`, never `permission_denied`, so its existence is not told.
enum StorefrontOperations {
    static let all = [createCart, addToCart, removeFromCart, showCart, checkout, listOrders, showOrder]

    static let cartField = Field("cart", .int, required: true, help: "cart id (from storefront.cart.create)")

    static let createCart = OperationSpec(
        name: "storefront.cart.create", summary: "Open a cart for this storefront session",
        fields: [Field("attributes", .list, help: "requests as key=value, e.g. gift_wrap=yes"),
                 Field("destination", .list, help: "where it ships: country=FR,region=IDF,city=PAR")],
        permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        switch try CartOwner(scope) {
        case .guest(let session): return try CartOperations.open(customer: nil, guestSession: session, scope)
        case .customer(let id): return try CartOperations.open(customer: id, guestSession: nil, scope)
        }
    }

    static let addToCart = OperationSpec(
        name: "storefront.cart.add", summary: "Add a quantity of a SKU to your cart",
        fields: [cartField, Field("sku", required: true, help: "SKU code"),
                 Field("quantity", .int, required: true, help: "how many (at least 1)")],
        permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        try CartOperations.addLine(to: try ownOpenCart(scope), scope)
    }

    static let removeFromCart = OperationSpec(
        name: "storefront.cart.remove", summary: "Remove a SKU from your cart",
        fields: [cartField, Field("sku", required: true, help: "SKU code")],
        permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        try CartOperations.removeLine(from: try ownOpenCart(scope), scope)
    }

    static let showCart = OperationSpec(
        name: "storefront.cart.show", summary: "Show your cart priced as checkout would price it",
        fields: [Field("cart", .int, help: "cart id (default: your most recent open cart)")],
        permission: ShopperPermission.cart, mutates: false, audience: .shopper
    ) { scope in
        let owner = try CartOwner(scope)
        let cart: Int64
        if let given = scope.input.optionalInt("cart") {
            cart = given
        } else {
            guard let row = try scope.db.query("""
                SELECT id FROM orders_carts WHERE shop_id = :shop AND status = 'open' AND \(owner.condition) ORDER BY id DESC LIMIT 1
                """, ["owner": owner.id]).first else {
                throw KernelError(.notFound, "you have no open cart; open one with storefront.cart.create", field: "cart")
            }
            cart = try row.int64("id")
        }
        let status = try CartOperations.cartRow(cart, owner: owner, scope).string("status")
        guard case .object(var object) = try CartOperations.priced(cart, scope) else { return .null }
        object["status"] = .string(status)
        return .object(object)
    }

    static let checkout = OperationSpec(
        name: "storefront.cart.checkout", summary: "Place the order for your cart; with pay_with, pay it in the same transaction",
        fields: [cartField] + Checkout.paymentFields, permission: ShopperPermission.cart, mutates: true, audience: .shopper
    ) { scope in
        try CartOperations.checkOut(try ownOpenCart(scope), scope)
    }

    /// The input's cart, refused unless it is the shopper's own and still open.
    static func ownOpenCart(_ scope: OperationScope) throws -> Int64 {
        try CartOperations.openCart(try scope.input.int("cart"), owner: try CartOwner(scope), scope)
    }

    static let listOrders = OperationSpec(
        name: "storefront.orders.list", summary: "List your orders, newest first",
        fields: [
            Field("cursor", .int, help: "continue after this position (next_cursor of the previous page)"),
            Field("limit", .int, help: "page size, 1-100 (default 20)"),
        ],
        permission: ShopperPermission.account, mutates: false, audience: .shopper
    ) { scope in
        guard case .customer(let customer) = scope.context.actor else {
            throw KernelError(.unauthenticated, "storefront.orders.list needs a signed-in customer")
        }
        var sql = "SELECT * FROM orders_orders WHERE shop_id = :shop AND customer_id = :customer"
        var parameters: [String: any SQLBindable] = ["customer": customer]
        if let cursor = scope.input.optionalInt("cursor") { sql += " AND id < :cursor"; parameters["cursor"] = cursor }
        let limit = try scope.input.limit(default: 20, max: 100)
        parameters["limit"] = limit + 1
        let rows = try scope.db.query(sql + " ORDER BY id DESC LIMIT :limit", parameters)
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map(OrderRecord.summary)), "next_cursor": next]
    }

    static let showOrder = OperationSpec(
        name: "storefront.orders.show", summary: "Show one of your orders with its lines and totals",
        fields: [Field("order", required: true, help: "order number, e.g. NORTH-1001", positional: true)],
        permission: ShopperPermission.account, mutates: false, audience: .shopper
    ) { scope in
        guard case .customer(let customer) = scope.context.actor else {
            throw KernelError(.unauthenticated, "storefront.orders.show needs a signed-in customer")
        }
        let number = try scope.input.string("order")
        guard let row = try scope.db.query("SELECT * FROM orders_orders WHERE shop_id = :shop AND number = :number AND customer_id = :customer",
                                           ["number": number, "customer": customer]).first else {
            throw KernelError(.notFound, "no order \(number) in this shop", field: "order")
        }
        return try OrderRecord.value(row, scope)
    }

    /// Subscriber of `Hooks.shopperSignedIn`: the guest's open carts become the customer's.
    static func adoptGuestCarts(_ event: ShopperSignIn, _ scope: OperationScope) throws {
        guard let guest = event.guestSession else { return }
        try scope.db.execute("""
            UPDATE orders_carts SET customer_id = :customer, guest_session = NULL, updated_at = :now
            WHERE shop_id = :shop AND guest_session = :guest AND status = 'open'
            """, ["customer": event.customerID, "guest": guest, "now": scope.now])
        // Orders the guest already placed in this session become the customer's too, so they
        // show in the account's history and can still be paid; the guest session stays on
        // the order as the record of where it came from.
        try scope.db.execute("""
            UPDATE orders_orders SET customer_id = :customer
            WHERE shop_id = :shop AND guest_session = :guest AND customer_id IS NULL
            """, ["customer": event.customerID, "guest": guest])
    }
}
