import Foundation

extension Kernel {
    /// True once `initialize` has created the first operator.
    public func isInitialized() throws -> Bool {
        try store.read { tx in try !tx.query("SELECT 1 FROM souk_staff WHERE is_operator = 1 LIMIT 1").isEmpty }
    }

    /// Creates the first operator of a new installation. Refused once one exists.
    public func initialize(operatorEmail: String, password: String, allowDynamicPlugins: Bool) throws -> StaffAccount {
        let email = try FieldType.email.validate(.string(operatorEmail), field: "operator-email").stringValue!
        try Self.checkPasswordStrength(password, field: "password")
        let hash = try PasswordHasher.hash(password)
        let now = clock.millis
        return try store.write { tx in
            guard try tx.query("SELECT 1 FROM souk_staff WHERE is_operator = 1 LIMIT 1").isEmpty else {
                throw KernelError(.conflict, "this data folder is already initialised; sign in with an operator account instead")
            }
            try tx.execute("INSERT INTO souk_staff (email, name, password_hash, is_operator, password_changed_at, created_at) VALUES (?, '', ?, 1, ?, ?)",
                           [email, hash, now, now])
            try tx.execute("INSERT OR REPLACE INTO souk_installation (key, value) VALUES ('allow_dynamic_plugins', ?)",
                           [allowDynamicPlugins ? "true" : "false"])
            try auditPlatform("installation.init", actor: "system", entity: "staff:\(email)",
                              change: ["operator": .string(email), "allow_dynamic_plugins": .bool(allowDynamicPlugins)],
                              correlationID: SecureRandom.token(prefix: "req_", byteCount: 8), in: tx)
            return try StaffAccount(row: tx.query("SELECT * FROM souk_staff WHERE email = ?", [email])[0])
        }
    }

    static func checkPasswordStrength(_ password: String, field: String) throws {
        guard password.count >= SignInPolicy.minimumPasswordLength else {
            throw KernelError.invalid(field, "the password must have at least \(SignInPolicy.minimumPasswordLength) characters")
        }
    }

    /// Checks a password, counting failures: the fifth failure in a row locks the account.
    /// Unknown emails and wrong passwords get the same message.
    public func verifyPassword(email: String, password: String) throws -> StaffAccount {
        enum Outcome { case ok(StaffAccount), wrong, locked(Int64) }
        let email = email.lowercased()
        let now = clock.millis
        let correlation = SecureRandom.token(prefix: "req_", byteCount: 8)
        let outcome: Outcome = try store.write { tx in
            guard let row = try tx.query("SELECT * FROM souk_staff WHERE email = ?", [email]).first else {
                try auditPlatform("auth.sign_in", actor: "anonymous", entity: "staff:\(email)",
                                  change: ["reason": "unknown email"], outcome: "denied", correlationID: correlation, in: tx)
                return .wrong
            }
            let staff = try StaffAccount(row: row)
            if let until = try row.optionalInt("locked_until"), Int64(until) > now {
                try auditPlatform("auth.sign_in", actor: staff.actor.description, entity: "staff:\(email)",
                                  change: ["reason": "account locked"], outcome: "denied", correlationID: correlation, in: tx)
                return .locked(Int64(until))
            }
            if PasswordHasher.verify(password, against: try row.string("password_hash")) {
                try tx.execute("UPDATE souk_staff SET failed_sign_ins = 0, locked_until = NULL WHERE id = ?", [staff.id])
                return .ok(staff)
            }
            let failures = try row.int("failed_sign_ins") + 1
            let lockUntil: Int64? = failures >= SignInPolicy.maxFailures ? now + SignInPolicy.lockMillis : nil
            try tx.execute("UPDATE souk_staff SET failed_sign_ins = ?, locked_until = ? WHERE id = ?",
                           [lockUntil == nil ? failures : 0, lockUntil, staff.id])
            try auditPlatform("auth.sign_in", actor: staff.actor.description, entity: "staff:\(email)",
                              change: ["reason": "wrong password", "failures": .int(Int64(failures)), "locked": .bool(lockUntil != nil)],
                              outcome: "denied", correlationID: correlation, in: tx)
            return .wrong
        }
        switch outcome {
        case .ok(let staff): return staff
        case .wrong: throw KernelError(.unauthenticated, "wrong email or password")
        case .locked(let until):
            throw KernelError(.accountLocked,
                "account \(email) is locked after \(SignInPolicy.maxFailures) failed sign-ins until \(Validation.isoString(millis: until)); wait or ask an operator")
        }
    }

    /// Signs in and creates a session. The token is returned once and stored only hashed.
    public func signIn(email: String, password: String) throws -> StaffSession {
        let staff = try verifyPassword(email: email, password: password)
        let token = SecureRandom.token(prefix: "souk_")
        let now = clock.millis
        let expires = now + SignInPolicy.sessionMillis
        try store.write { tx in
            try tx.execute("DELETE FROM souk_sessions WHERE expires_at <= ?", [now])
            try tx.execute("INSERT INTO souk_sessions (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           [SHA256.hex(token), staff.id, now, expires])
            try auditPlatform("auth.sign_in", actor: staff.actor.description, entity: "staff:\(staff.email)",
                              change: ["expires_at": .string(Validation.isoString(millis: expires))],
                              correlationID: SecureRandom.token(prefix: "req_", byteCount: 8), in: tx)
        }
        return StaffSession(token: token, staff: staff, expiresAt: expires)
    }

    /// Ends the session of `token` (sign-out). An unknown or expired token is refused.
    public func signOut(token: String) throws {
        let staff = try authenticate(token: token)
        try store.write { tx in
            try tx.execute("DELETE FROM souk_sessions WHERE token_hash = ?", [SHA256.hex(token)])
            try auditPlatform("auth.sign_out", actor: staff.actor.description, entity: "staff:\(staff.email)", change: [:],
                              correlationID: SecureRandom.token(prefix: "req_", byteCount: 8), in: tx)
        }
    }

    /// The staff member a session token belongs to; expired or unknown tokens are refused.
    public func authenticate(token: String) throws -> StaffAccount {
        try store.read { tx in try authenticate(token: token, in: tx) }
    }

    func authenticate(token: String, in tx: Transaction) throws -> StaffAccount {
        try session(token: token, in: tx).staff
    }

    private func session(token: String, in tx: Transaction) throws -> ReadCache.StaffEntry {
        guard let row = try tx.query("""
            SELECT s.*, t.expires_at AS session_expires_at FROM souk_sessions t JOIN souk_staff s ON s.id = t.staff_id
            WHERE t.token_hash = ? AND t.expires_at > ?
            """, [SHA256.hex(token), clock.millis]).first else {
            throw KernelError(.unauthenticated, "the token is unknown or expired; sign in again with: souk login --email EMAIL")
        }
        return ReadCache.StaffEntry(staff: try StaffAccount(row: row), expiresAt: try row.int64("session_expires_at"))
    }

    /// `authenticate(token:)` and `context(for:shopCode:)` in one read transaction: what a
    /// host does on every request that carries a staff token. While the database has not
    /// changed since the last request, the session, the shop and the permissions come from
    /// the read cache instead (see `ReadCache`).
    public func context(token: String, shopCode: String?, correlationID: String? = nil,
                        idempotencyKey: String? = nil) throws -> OperationContext {
        let version = readCache.begin()
        let now = clock.millis
        if let version, let staff = readCache.staff(token: token, version: version, now: now) {
            let shop = shopCode.flatMap { readCache.shop(code: $0, version: version) }
            let permissions = shop.flatMap { staff.isOperator ? [] : readCache.permissions(staffID: staff.id, shopID: $0.id, version: version) }
            if shopCode == nil || (shop != nil && permissions != nil) {
                return OperationContext(shop: shop, actor: staff.actor, permissions: permissions ?? [], isOperator: staff.isOperator,
                                        correlationID: correlationID ?? SecureRandom.token(prefix: "req_", byteCount: 8),
                                        idempotencyKey: idempotencyKey, clock: clock)
            }
        }
        return try store.read { tx in
            let session = try session(token: token, in: tx)
            if let version { readCache.remember(token: token, session, version: version) }
            return try context(for: session.staff, shopCode: shopCode, correlationID: correlationID,
                               idempotencyKey: idempotencyKey, cacheVersion: version, in: tx)
        }
    }

    /// Builds the context for `staff` acting in the shop with `shopCode` (or on the
    /// platform when nil), with the permissions their memberships give there.
    public func context(for staff: StaffAccount?, shopCode: String?, correlationID: String? = nil,
                        idempotencyKey: String? = nil) throws -> OperationContext {
        try store.read { tx in
            try context(for: staff, shopCode: shopCode, correlationID: correlationID, idempotencyKey: idempotencyKey,
                        cacheVersion: nil, in: tx)
        }
    }

    /// `cacheVersion`: the read cache's version probed before `tx` began, to remember the
    /// shop and the permissions under.
    private func context(for staff: StaffAccount?, shopCode: String?, correlationID: String?, idempotencyKey: String?,
                         cacheVersion: Int64?, in tx: Transaction) throws -> OperationContext {
        var shop: ShopRef?
        if let shopCode {
            shop = try self.shop(code: shopCode, in: tx)
            if let cacheVersion { readCache.remember(shop: shop!, version: cacheVersion) }
        }
        var permissions: Set<Permission> = []
        if let staff, let shop, !staff.isOperator {
            permissions = try self.permissions(staffID: staff.id, shopID: shop.id, in: tx)
            if let cacheVersion {
                readCache.remember(permissions: permissions, staffID: staff.id, shopID: shop.id, version: cacheVersion)
            }
        }
        return OperationContext(shop: shop, actor: staff?.actor ?? .anonymous, permissions: permissions,
                                isOperator: staff?.isOperator ?? false,
                                correlationID: correlationID ?? SecureRandom.token(prefix: "req_", byteCount: 8),
                                idempotencyKey: idempotencyKey, clock: clock)
    }

    func shop(code: String, in tx: Transaction) throws -> ShopRef {
        guard let row = try tx.query("SELECT id, code, currency FROM souk_shops WHERE code = ?", [code]).first else {
            throw KernelError.notFound("no shop with code '\(code)'; `souk shop list` shows the shops you can see")
        }
        return ShopRef(id: try row.int64("id"), code: try row.string("code"), currency: try row.string("currency"))
    }

    /// The union of the permissions of a staff member's roles in a shop. Read afresh each
    /// time, so a role change takes effect on the next operation.
    func permissions(staffID: Int64, shopID: Int64, in tx: Transaction) throws -> Set<Permission> {
        var result: Set<Permission>?
        for row in try tx.query("SELECT role FROM souk_memberships WHERE staff_id = ? AND shop_id = ?", [staffID, shopID]) {
            let granted = try rolePermissions(try row.string("role"), shopID: shopID, in: tx) ?? []
            // One role (the usual case): share its set instead of rehashing every element.
            if result == nil { result = granted } else { result!.formUnion(granted) }
        }
        return result ?? []
    }

    /// The permissions of a built-in or custom role; nil when the shop has no such role.
    func rolePermissions(_ role: String, shopID: Int64, in tx: Transaction) throws -> Set<Permission>? {
        if let builtIn = BuiltInRole(rawValue: role) { return permissions(of: builtIn) }
        guard let row = try tx.query("SELECT permissions FROM souk_roles WHERE shop_id = ? AND name = ?", [shopID, role]).first else {
            return nil
        }
        return Set(try row.string("permissions").split(separator: ",").map { Permission(String($0)) })
    }
}

extension Kernel {
    /// The password rule, for hosts that check before doing any other work.
    public static func checkPasswordStrengthPublic(_ password: String) throws {
        try checkPasswordStrength(password, field: "password")
    }
}
