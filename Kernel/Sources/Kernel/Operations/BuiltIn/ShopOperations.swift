import Foundation

/// A shop's profile, as saved and as passed to the `shop.profile` hooks.
public struct ShopProfile: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var currency: String
    public var timezone: String
    public var phone: String?
    public var email: String?
    public var address: String?
    public var businessHours: String?
    public var logoURL: String?
    public var description: String?
}

/// The payload of shop events.
public struct ShopEvent: Codable, Sendable, Equatable {
    public let shopID: Int64
    public let code: String
}

extension Hooks {
    /// Filter: the profile about to be saved by `shop.create` or `shop.update`.
    public static let shopProfile = FilterHook<ShopProfile>("shop.profile")
    /// Guard: may refuse a profile change (e.g. a currency change while orders are open).
    public static let shopWillUpdate = GuardHook<ShopProfile>("shop.will_update")
    /// Event: a shop was created.
    public static let shopCreated = EventHook<ShopEvent>("shop.created")
    /// Event: a shop's profile changed.
    public static let shopUpdated = EventHook<ShopEvent>("shop.updated")
}

enum ShopOperations {
    static let profileFields: [Field] = [
        Field("phone", help: "contact phone number"),
        Field("email", .email, help: "contact email"),
        Field("address", help: "postal address"),
        Field("business_hours", help: "opening hours, e.g. 'Mon-Fri 9-18'"),
        Field("logo_url", help: "URL of the logo (http or https)"),
        Field("description", help: "a few words about the shop"),
    ]

    static let all: [OperationSpec] = [create, list, show, update]

    static let create = OperationSpec(
        name: "shop.create", summary: "Create a shop",
        fields: [
            Field("code", .code, required: true, help: "short unique code, e.g. north"),
            Field("name", required: true, help: "display name"),
            Field("currency", .currency, required: true, help: "ISO 4217 currency, e.g. EUR"),
            Field("timezone", .timeZone, help: "IANA time zone (default UTC)"),
        ] + profileFields,
        permission: nil, mutates: true, scope: .platform
    ) { scope in
        guard scope.context.isOperator else {
            throw KernelError.denied("only an operator can create shops")
        }
        let input = scope.input
        var profile = ShopProfile(code: try input.string("code"), name: try nonEmpty(input, "name"),
                                  currency: try input.string("currency"), timezone: input.optionalString("timezone") ?? "UTC")
        try apply(input, to: &profile)
        profile = try scope.filter(Hooks.shopProfile, profile)
        let tx = scope.transaction
        guard try tx.query("SELECT 1 FROM souk_shops WHERE code = ?", [profile.code]).isEmpty else {
            throw KernelError(.conflict, "a shop with code '\(profile.code)' already exists", field: "code")
        }
        try tx.execute("""
            INSERT INTO souk_shops (code, name, currency, timezone, phone, email, address, business_hours, logo_url, description, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [profile.code, profile.name, profile.currency, profile.timezone, profile.phone, profile.email, profile.address,
                  profile.businessHours, profile.logoURL, profile.description, scope.now, scope.now])
        let id = tx.lastInsertRowID
        try scope.publish(Hooks.shopCreated, ShopEvent(shopID: id, code: profile.code), shopID: id)
        scope.audit(entity: "shop:\(profile.code)", change: .object(scope.input.values))
        return try load(id: id, in: tx)
    }

    static let list = OperationSpec(
        name: "shop.list", summary: "List the shops you can see, oldest first, a page at a time",
        fields: [Field("cursor", .int, help: "continue after this shop id (next_cursor of the previous page)"),
                 Field("limit", .int, help: "page size, 1-500 (default 50)")],
        permission: nil, mutates: false, scope: .platform
    ) { scope in
        let limit = try scope.input.limit()
        let cursor = scope.input.optionalInt("cursor") ?? 0
        let rows: [Row]
        if scope.context.isOperator {
            rows = try scope.transaction.query("SELECT * FROM souk_shops WHERE id > ? ORDER BY id LIMIT ?", [cursor, limit + 1])
        } else {
            rows = try scope.transaction.query("""
                SELECT * FROM souk_shops WHERE id IN (SELECT shop_id FROM souk_memberships WHERE staff_id = ?) AND id > ?
                ORDER BY id LIMIT ?
                """, [scope.context.actor.staffID ?? -1, cursor, limit + 1])
        }
        let paged = try Page(rows, limit: limit)
        let page = paged.rows, next = paged.nextCursor
        return ["items": .array(try page.map { try summary($0) }), "next_cursor": next]
    }

    static let show = OperationSpec(
        name: "shop.show", summary: "Show the shop profile", permission: "shop.read", mutates: false
    ) { scope in
        try load(id: try scope.context.requireShop().id, in: scope.transaction)
    }

    static let update = OperationSpec(
        name: "shop.update", summary: "Change the shop profile",
        fields: [
            Field("name", help: "display name"),
            Field("currency", .currency, help: "ISO 4217 currency"),
            Field("timezone", .timeZone, help: "IANA time zone"),
        ] + profileFields,
        permission: "shop.update", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let tx = scope.transaction
        let before = try load(id: shop.id, in: tx)
        var profile = try decodeProfile(before)
        let input = scope.input
        guard !input.values.isEmpty else { throw KernelError.invalid("name", "nothing to change: pass at least one field") }
        if input.has("name") { profile.name = try nonEmpty(input, "name") }
        if let currency = input.optionalString("currency") { profile.currency = currency }
        if let timezone = input.optionalString("timezone") { profile.timezone = timezone }
        try apply(input, to: &profile)
        profile = try scope.filter(Hooks.shopProfile, profile)
        try scope.check(Hooks.shopWillUpdate, profile)
        try tx.execute("""
            UPDATE souk_shops SET name = ?, currency = ?, timezone = ?, phone = ?, email = ?, address = ?, business_hours = ?,
            logo_url = ?, description = ?, updated_at = ? WHERE id = ?
            """, [profile.name, profile.currency, profile.timezone, profile.phone, profile.email, profile.address,
                  profile.businessHours, profile.logoURL, profile.description, scope.now, shop.id])
        try scope.publish(Hooks.shopUpdated, ShopEvent(shopID: shop.id, code: shop.code))
        let after = try load(id: shop.id, in: tx)
        scope.audit(entity: "shop:\(shop.code)", change: diff(before, after))
        return after
    }

    static func nonEmpty(_ input: OperationInput, _ name: String) throws -> String {
        let text = try input.string(name).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw KernelError.invalid(name, "'\(name)' must not be empty") }
        return text
    }

    static func apply(_ input: OperationInput, to profile: inout ShopProfile) throws {
        if let url = input.optionalString("logo_url") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw KernelError.invalid("logo_url", "'\(url)' is not an http(s) URL")
            }
            profile.logoURL = url
        }
        if let phone = input.optionalString("phone") {
            guard phone.allSatisfy({ $0.isNumber || " +-()".contains($0) }), phone.filter(\.isNumber).count >= 5 else {
                throw KernelError.invalid("phone", "'\(phone)' is not a phone number")
            }
            profile.phone = phone
        }
        if let email = input.optionalString("email") { profile.email = email }
        if let address = input.optionalString("address") { profile.address = address }
        if let hours = input.optionalString("business_hours") { profile.businessHours = hours }
        if let description = input.optionalString("description") { profile.description = description }
    }

    static func load(id: Int64, in tx: Transaction) throws -> Value {
        guard let row = try tx.query("SELECT * FROM souk_shops WHERE id = ?", [id]).first else {
            throw KernelError.notFound("shop \(id) does not exist")
        }
        return [
            "code": .string(try row.string("code")), "name": .string(try row.string("name")),
            "currency": .string(try row.string("currency")), "timezone": .string(try row.string("timezone")),
            "phone": Value(try row.optionalString("phone")), "email": Value(try row.optionalString("email")),
            "address": Value(try row.optionalString("address")),
            "business_hours": Value(try row.optionalString("business_hours")),
            "logo_url": Value(try row.optionalString("logo_url")), "description": Value(try row.optionalString("description")),
            "created_at": .string(Validation.isoString(millis: try row.int64("created_at"))),
            "updated_at": .string(Validation.isoString(millis: try row.int64("updated_at"))),
        ]
    }

    static func summary(_ row: Row) throws -> Value {
        ["code": .string(try row.string("code")), "name": .string(try row.string("name")),
         "currency": .string(try row.string("currency")), "timezone": .string(try row.string("timezone"))]
    }

    static func decodeProfile(_ value: Value) throws -> ShopProfile {
        ShopProfile(code: value["code"]?.stringValue ?? "", name: value["name"]?.stringValue ?? "",
                    currency: value["currency"]?.stringValue ?? "", timezone: value["timezone"]?.stringValue ?? "UTC",
                    phone: value["phone"]?.stringValue, email: value["email"]?.stringValue,
                    address: value["address"]?.stringValue, businessHours: value["business_hours"]?.stringValue,
                    logoURL: value["logo_url"]?.stringValue, description: value["description"]?.stringValue)
    }

    /// The fields that differ, as `{field: {from, to}}`, for the audit entry.
    static func diff(_ before: Value, _ after: Value) -> Value {
        var change = Value.Object()
        guard case .object(let old) = before, case .object(let new) = after else { return .null }
        for (key, value) in new where key != "updated_at" && old[key] != value {
            change[key] = ["from": old[key] ?? .null, "to": value]
        }
        return .object(change)
    }
}
