import Kernel

/// The shopper's side of customer accounts: register and sign in with a password (each
/// starts a customer session through the kernel), then the customer's own profile and
/// address book. Sign-out is the kernel's `storefront.session.end`.
enum StorefrontAccountOperations {
    static let all = [register, signIn, show, update, addresses, addAddress]

    /// The same answer for an unknown email, an account without a password and a wrong
    /// password, so the storefront does not tell which emails have accounts.
    static let wrongCredentials = KernelError(.unauthenticated, "wrong email or password")

    /// Verified against when the email is unknown, so that answer takes as long as a wrong password.
    static let decoyHash: String = (try? PasswordHasher.hash("decoy password for unknown emails")) ?? ""

    static let register = OperationSpec(
        name: "storefront.account.register", summary: "Create a customer account with a password and sign in to it",
        fields: [
            Field("email", .email, required: true, help: "email address, unique in the shop; used to sign in"),
            Field("name", help: "your name (up to 200 characters)"),
            Field("phone", help: "phone number: digits, spaces and + - ( ), at least 5 digits"),
            Field("password", required: true, help: "at least 8 characters", secret: true),
        ],
        permission: ShopperPermission.browse, mutates: true, audience: .shopper
    ) { scope in
        let email = try CustomerRules.email(try scope.input.string("email"))
        let phone = try scope.input.optionalString("phone").flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            .map { try CustomerRules.phone($0) }
        let name = try CustomerRules.text(scope, "name")
        let password = try scope.input.string("password")
        try Kernel.checkPasswordStrengthPublic(password)
        let db = try scope.db
        // Neither the other account's id nor whether it has a password is told.
        guard try db.query("SELECT 1 FROM customers_accounts WHERE shop_id = :shop AND email = :email", ["email": email]).isEmpty else {
            throw KernelError(.conflict, "an account with this email address already exists in this shop; sign in instead", field: "email")
        }
        if let phone, !(try db.query("SELECT 1 FROM customers_accounts WHERE shop_id = :shop AND phone_key = :key", ["key": phone.key]).isEmpty) {
            throw KernelError(.conflict, "this phone number is already used by an account in this shop", field: "phone")
        }
        let hash = try PasswordHasher.hash(password)
        try db.execute("""
            INSERT INTO customers_accounts (shop_id, email, phone, phone_key, name, level, password_hash, created_at, updated_at)
            VALUES (:shop, :email, :phone, :key, :name, :level, :hash, :now, :now)
            """, ["email": email, "phone": phone?.display, "key": phone?.key, "name": name, "level": CustomerRules.defaultLevel,
                  "hash": hash, "now": scope.now])
        let id = db.lastInsertRowID
        try scope.publish(CustomerEvents.created, CustomerCreated(customerID: id, email: email, phone: phone?.display))
        let (answer, session) = try signIn(try Customer.load(id, scope), scope)
        scope.audit(entity: "customer:\(id)", change: ["registered": true, "email": .string(email), "name": .string(name),
                                                       "session": .int(session), "guest_session": guestSession(scope)])
        return answer
    }

    static let signIn = OperationSpec(
        name: "storefront.account.sign_in",
        summary: "Sign in to a customer account; a guest's open carts follow. Five failures in a row lock it for 15 minutes",
        fields: [
            Field("email", required: true, help: "the account's email address"),
            Field("password", required: true, help: "the account's password", secret: true),
        ],
        permission: ShopperPermission.browse, mutates: true, audience: .shopper
    ) { scope in
        let email = try scope.input.string("email").trimmingCharacters(in: .whitespaces).lowercased()
        let password = try scope.input.string("password")
        let db = try scope.db
        guard let row = try db.query("""
            SELECT id, password_hash, failed_sign_ins, locked_until FROM customers_accounts WHERE shop_id = :shop AND email = :email
            """, ["email": email]).first, let stored = try row.optionalString("password_hash") else {
            _ = PasswordHasher.verify(password, against: decoyHash)
            throw wrongCredentials
        }
        let id = try row.int64("id")
        if let until = try row.optionalInt("locked_until").map(Int64.init), until > scope.now {
            scope.audit(entity: "customer:\(id)", change: ["reason": "account locked"])
            throw RefusalKeepingWrites(KernelError(.accountLocked, """
                this account is locked after \(SignInPolicy.maxFailures) failed sign-ins until \
                \(Validation.isoString(millis: until)); try again later
                """))
        }
        guard PasswordHasher.verify(password, against: stored) else {
            // Counted on the row and kept although the sign-in is refused; the fifth failure
            // in a row locks the account and starts a new count.
            let failures = try row.int64("failed_sign_ins") + 1
            let locked = failures >= Int64(SignInPolicy.maxFailures)
            try db.execute("UPDATE customers_accounts SET failed_sign_ins = :failures, locked_until = :until WHERE shop_id = :shop AND id = :id",
                           ["failures": locked ? 0 : failures, "until": locked ? scope.now + SignInPolicy.lockMillis : nil, "id": id])
            scope.audit(entity: "customer:\(id)", change: ["reason": "wrong password", "failures": .int(failures), "locked": .bool(locked)])
            throw RefusalKeepingWrites(wrongCredentials)
        }
        try db.execute("UPDATE customers_accounts SET failed_sign_ins = 0, locked_until = NULL WHERE shop_id = :shop AND id = :id", ["id": id])
        let (answer, session) = try signIn(try Customer.load(id, scope), scope)
        scope.audit(entity: "customer:\(id)", change: ["signed_in": true, "session": .int(session), "guest_session": guestSession(scope)])
        return answer
    }

    /// Starts the customer's session; a guest's session ends and the guest's open carts are
    /// handed over (`Hooks.shopperSignedIn`, which Orders subscribes to).
    static func signIn(_ customer: Customer, _ scope: OperationScope) throws -> (Value, Int64) {
        let shop = try scope.context.requireShop()
        // The answer holds a session token: never keep it under an idempotency key.
        scope.notReplayable()
        let session = try scope.startShopperSession(customerID: customer.id)
        var guest: Int64?
        if case .guest(let id) = scope.context.actor {
            guest = id
            try scope.endShopperSession()
        }
        try scope.publish(Hooks.shopperSignedIn, ShopperSignIn(shopID: shop.id, guestSession: guest, customerID: customer.id,
                                                               session: session.id))
        return (["token": .string(session.token), "customer": shopperValue(customer),
                 "expires_at": .string(Validation.isoString(millis: session.expiresAt))], session.id)
    }

    static func guestSession(_ scope: OperationScope) -> Value {
        if case .guest(let id) = scope.context.actor { return .int(id) }
        return .null
    }

    /// What a customer sees of their own account: no staff groups.
    static func shopperValue(_ customer: Customer) -> Value {
        ["id": .int(customer.id), "email": Value(customer.email), "phone": Value(customer.phone), "name": .string(customer.name),
         "level": .string(customer.level), "points": .int(customer.points), "created_at": CustomerRules.time(customer.createdAt)]
    }

    /// The signed-in customer (the `storefront.account` permission is held by customers only).
    static func signedIn(_ scope: OperationScope) throws -> Customer {
        guard case .customer(let id) = scope.context.actor else {
            throw KernelError(.unauthenticated, "\(scope.operation) needs a signed-in customer")
        }
        return try Customer.load(id, scope)
    }

    static let show = OperationSpec(
        name: "storefront.account.show", summary: "Show your customer account",
        permission: ShopperPermission.account, mutates: false, audience: .shopper
    ) { scope in
        shopperValue(try signedIn(scope))
    }

    static let update = OperationSpec(
        name: "storefront.account.update", summary: "Change your name or phone number",
        fields: [
            Field("name", help: "your name (up to 200 characters)"),
            Field("phone", help: "phone number; empty removes it"),
        ],
        permission: ShopperPermission.account, mutates: true, audience: .shopper
    ) { scope in
        let input = scope.input
        let old = try signedIn(scope)
        guard input.has("name") || input.has("phone") else {
            throw KernelError(.invalidInput, "nothing to change: give name or phone")
        }
        let name = input.has("name") ? try CustomerRules.text(scope, "name") : old.name
        var phone = old.phone, phoneKey = old.phone.map(CustomerRules.phoneKey)
        if let text = input.optionalString("phone") {
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                guard old.email != nil else { throw KernelError.invalid("phone", "your account needs a phone number or an email address") }
                phone = nil; phoneKey = nil
            } else {
                let checked = try CustomerRules.phone(text)
                phone = checked.display; phoneKey = checked.key
            }
        }
        let db = try scope.db
        if let phoneKey, !(try db.query("SELECT 1 FROM customers_accounts WHERE shop_id = :shop AND phone_key = :key AND id <> :id",
                                        ["key": phoneKey, "id": old.id]).isEmpty) {
            throw KernelError(.conflict, "this phone number is already used by another account in this shop", field: "phone")
        }
        try db.execute("""
            UPDATE customers_accounts SET phone = :phone, phone_key = :key, name = :name, updated_at = :now WHERE shop_id = :shop AND id = :id
            """, ["phone": phone, "key": phoneKey, "name": name, "now": scope.now, "id": old.id])
        var from = Value.Object(), to = Value.Object()
        if phone != old.phone { from["phone"] = Value(old.phone); to["phone"] = Value(phone) }
        if name != old.name { from["name"] = .string(old.name); to["name"] = .string(name) }
        scope.audit(entity: "customer:\(old.id)", change: ["from": .object(from), "to": .object(to)])
        return shopperValue(try Customer.load(old.id, scope))
    }

    static let addresses = OperationSpec(
        name: "storefront.account.addresses", summary: "List your addresses, oldest first",
        permission: ShopperPermission.account, mutates: false, audience: .shopper
    ) { scope in
        try AddressOperations.book(of: try signedIn(scope).id, scope)
    }

    static let addAddress = OperationSpec(
        name: "storefront.account.address.add", summary: "Add an address to your address book",
        fields: AddressOperations.addressFields, permission: ShopperPermission.account, mutates: true, audience: .shopper
    ) { scope in
        try AddressOperations.insert(for: try signedIn(scope), scope)
    }
}
