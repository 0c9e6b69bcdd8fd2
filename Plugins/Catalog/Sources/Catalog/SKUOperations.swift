import Kernel

enum SKUOperations {
    static let all: [OperationSpec] = [add, update, list]

    static let add = OperationSpec(
        name: "catalog.sku.add", summary: "Add a SKU (a variant with its own code and price) to a product",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("code", required: true, help: "unique SKU code in the shop: 1-64 letters, digits, '-', '_' or '.' (e.g. TEA-GREEN-100)"),
            Field("price", .int, required: true, help: "price in minor units (1250 = 12.50 in a 2-decimal currency)"),
            Field("weight_grams", .int, help: "shipping weight in grams (default 0)"),
            Field("volume_cm3", .int, help: "shipping volume in cubic centimetres (default 0)"),
            Field("barcode", help: "EAN/UPC/GTIN: 8 to 14 digits"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let shop = try scope.context.requireShop()
        let db = try scope.db
        let product = try Products.resolve(reference: try input.string("product"), db)
        let code = try CatalogRules.skuCode(try input.string("code"))
        let price = try CatalogRules.price(try input.int("price"))
        let weight = try CatalogRules.weight(input.optionalInt("weight_grams") ?? 0)
        let volume = try CatalogRules.volume(input.optionalInt("volume_cm3") ?? 0)
        let barcode = try CatalogRules.barcode(input.optionalString("barcode"))
        if let owner = try db.query("""
            SELECT p.handle FROM catalog_skus s JOIN catalog_products p ON p.id = s.product_id
            WHERE s.shop_id = :shop AND s.code = :code
            """, ["code": code]).first {
            throw KernelError(.conflict, "SKU code '\(code)' is already used by product '\(try owner.string("handle"))'", field: "code")
        }
        try db.execute("""
            INSERT INTO catalog_skus (shop_id, product_id, code, price, currency, weight_grams, volume_cm3, barcode, created_at, updated_at)
            VALUES (:shop, :product, :code, :price, :currency, :weight, :volume, :barcode, :now, :now)
            """, ["product": product.id, "code": code, "price": price, "currency": shop.currency, "weight": weight,
                  "volume": volume, "barcode": barcode, "now": scope.now])
        let sku = try SKUs.byCode(code, db)!
        scope.audit(entity: "sku:\(code)", change: ["added_to": .string(product.handle), "price": sku.price.value,
                                                    "weight_grams": .int(weight), "volume_cm3": .int(volume), "barcode": Value(barcode)])
        return sku.value()
    }

    static let update = OperationSpec(
        name: "catalog.sku.update", summary: "Change a SKU's price, weight, volume or barcode",
        fields: [
            Field("code", required: true, help: "the SKU code"),
            Field("price", .int, help: "price in minor units (1250 = 12.50 in a 2-decimal currency), in the shop's currency"),
            Field("weight_grams", .int, help: "shipping weight in grams"),
            Field("volume_cm3", .int, help: "shipping volume in cubic centimetres"),
            Field("barcode", help: "8 to 14 digits; empty removes it"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let shop = try scope.context.requireShop()
        let db = try scope.db
        let updatable = ["price", "weight_grams", "volume_cm3", "barcode"]
        guard updatable.contains(where: input.has) else {
            throw KernelError(.invalidInput, "nothing to update: give at least one of \(updatable.joined(separator: ", "))")
        }
        let code = try input.string("code")
        guard let before = try SKUs.byCode(code, db) else {
            throw KernelError(.notFound, "no SKU '\(code)' in this shop", field: "code")
        }
        let price = try input.optionalInt("price").map { try Money(try CatalogRules.price($0), shop.currency) } ?? before.price
        let weight = try input.optionalInt("weight_grams").map(CatalogRules.weight) ?? before.weightGrams
        let volume = try input.optionalInt("volume_cm3").map(CatalogRules.volume) ?? before.volumeCm3
        let barcode = input.has("barcode") ? try CatalogRules.barcode(input.optionalString("barcode")) : before.barcode
        try db.execute("""
            UPDATE catalog_skus SET price = :price, currency = :currency, weight_grams = :weight, volume_cm3 = :volume,
                barcode = :barcode, updated_at = :now
            WHERE shop_id = :shop AND id = :id
            """, ["id": before.id, "price": price.minorUnits, "currency": price.currency.code, "weight": weight, "volume": volume,
                  "barcode": barcode, "now": scope.now])
        var change = Value.Object()
        if price != before.price { change["price"] = ["from": .string(before.price.description), "to": .string(price.description)] }
        if weight != before.weightGrams { change["weight_grams"] = ["from": .int(before.weightGrams), "to": .int(weight)] }
        if volume != before.volumeCm3 { change["volume_cm3"] = ["from": .int(before.volumeCm3), "to": .int(volume)] }
        if barcode != before.barcode { change["barcode"] = ["from": Value(before.barcode), "to": Value(barcode)] }
        scope.audit(entity: "sku:\(code)", change: change.isEmpty ? ["unchanged": .string(code)] : .object(change))
        return try SKUs.byCode(code, db)!.value()
    }

    static let list = OperationSpec(
        name: "catalog.sku.list", summary: "List a product's SKUs by code",
        fields: [Field("product", required: true, help: "the product's id or handle")],
        permission: "catalog.read", mutates: false
    ) { scope in
        let db = try scope.db
        let product = try Products.resolve(reference: try scope.input.string("product"), db)
        let rows = try db.query("SELECT \(SKU.columns) FROM catalog_skus WHERE shop_id = :shop AND product_id = :product ORDER BY code",
                                ["product": product.id])
        return .array(try rows.map { try SKU(row: $0).value() })
    }
}

enum SKUs {
    static func byCode(_ code: String, _ db: ShopDatabase) throws -> SKU? {
        try db.query("SELECT \(SKU.columns) FROM catalog_skus WHERE shop_id = :shop AND code = :code", ["code": code]).first.map(SKU.init)
    }
}
