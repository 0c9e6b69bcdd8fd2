import Kernel

enum ImportExportOperations {
    static let all: [OperationSpec] = [importCSV, exportCSV]

    static let importCSV = OperationSpec(
        name: "catalog.import", summary: "Create and update products and SKUs from CSV: all rows or none",
        fields: [Field("csv", required: true, help: "the CSV text: header \(CatalogCSV.columns.joined(separator: ",")), one row per SKU")],
        permission: "catalog.import", mutates: true
    ) { scope in
        let shop = try scope.context.requireShop()
        let db = try scope.db
        let records: [CSV.Record]
        do {
            records = try CSV.parse(try scope.input.string("csv"))
        } catch let error as KernelError {
            throw KernelError(.invalidInput, "CSV import refused, nothing applied:\n\(error.message)", field: "csv")
        }
        var productIDs: [String: Int64] = [:]
        for row in try db.query("SELECT id, handle FROM catalog_products WHERE shop_id = :shop") {
            productIDs[try row.string("handle")] = try row.int64("id")
        }
        var skuOwners: [String: String] = [:]
        for row in try db.query("""
            SELECT s.code, p.handle FROM catalog_skus s JOIN catalog_products p ON p.id = s.product_id WHERE s.shop_id = :shop
            """) {
            skuOwners[try row.string("code")] = try row.string("handle")
        }
        let (plan, problems) = CatalogCSV.plan(records, skuOwners: skuOwners)
        guard problems.isEmpty else {
            throw KernelError(.invalidInput, "CSV import refused, nothing applied:\n" + problems.joined(separator: "\n"), field: "csv")
        }

        var counts = (productsCreated: Int64(0), productsUpdated: Int64(0), skusCreated: Int64(0), skusUpdated: Int64(0))
        for product in plan.products {
            let fields = product.fields
            let values: [String: any SQLBindable] = [
                "handle": product.handle, "title": fields.title, "description": fields.description,
                "keywords": JSON.encode(.array(fields.keywords.map(Value.string))),
                "images": JSON.encode(.array(fields.images.map(Value.string))), "listed": fields.listed, "now": scope.now]
            let id: Int64
            if let existing = productIDs[product.handle] {
                id = existing
                var update = values
                update["id"] = id
                // Unlisting drops any schedule, as unpublish does; listing keeps it.
                try db.execute("""
                    UPDATE catalog_products SET title = :title, description = :description, keywords = :keywords, images = :images,
                        listed = :listed, list_at = CASE WHEN :listed = 1 THEN list_at END,
                        unlist_at = CASE WHEN :listed = 1 THEN unlist_at END, updated_at = :now
                    WHERE shop_id = :shop AND id = :id
                    """, update)
                try db.execute("DELETE FROM catalog_product_tags WHERE shop_id = :shop AND product_id = :product", ["product": id])
                counts.productsUpdated += 1
            } else {
                try db.execute("""
                    INSERT INTO catalog_products (shop_id, handle, title, description, keywords, images, listed, created_at, updated_at)
                    VALUES (:shop, :handle, :title, :description, :keywords, :images, :listed, :now, :now)
                    """, values)
                id = db.lastInsertRowID
                productIDs[product.handle] = id
                counts.productsCreated += 1
            }
            for tag in fields.tags {
                try db.execute("INSERT INTO catalog_product_tags (shop_id, product_id, tag) VALUES (:shop, :product, :tag)",
                               ["product": id, "tag": tag])
            }
            try scope.publish(CatalogEvents.productChanged, ProductChanged(productID: id, handle: product.handle, listed: fields.listed))
        }
        for sku in plan.skus {
            let values: [String: any SQLBindable] = [
                "product": productIDs[sku.handle]!, "code": sku.code, "price": sku.price, "currency": shop.currency,
                "weight": sku.weightGrams, "volume": sku.volumeCm3, "barcode": sku.barcode, "now": scope.now]
            if skuOwners[sku.code] != nil {
                try db.execute("""
                    UPDATE catalog_skus SET price = :price, currency = :currency, weight_grams = :weight, volume_cm3 = :volume,
                        barcode = :barcode, updated_at = :now
                    WHERE shop_id = :shop AND code = :code AND product_id = :product
                    """, values)
                counts.skusUpdated += 1
            } else {
                try db.execute("""
                    INSERT INTO catalog_skus (shop_id, product_id, code, price, currency, weight_grams, volume_cm3, barcode, created_at, updated_at)
                    VALUES (:shop, :product, :code, :price, :currency, :weight, :volume, :barcode, :now, :now)
                    """, values)
                counts.skusCreated += 1
            }
        }
        let result: Value.Object = [
            "products_created": .int(counts.productsCreated), "products_updated": .int(counts.productsUpdated),
            "skus_created": .int(counts.skusCreated), "skus_updated": .int(counts.skusUpdated)]
        var change = result
        change["rows"] = .int(Int64(max(records.count - 1, 0)))
        scope.audit(entity: "catalog:import", change: .object(change))
        return .object(result)
    }

    static let exportCSV = OperationSpec(
        name: "catalog.export", summary: "Export products and SKUs as CSV (the import's format), by handle then SKU code",
        permission: "catalog.read", mutates: false
    ) { scope in
        let db = try scope.db
        var tags: [Int64: [String]] = [:]
        for row in try db.query("SELECT product_id, tag FROM catalog_product_tags WHERE shop_id = :shop ORDER BY product_id, tag") {
            tags[try row.int64("product_id"), default: []].append(try row.string("tag"))
        }
        let rows = try db.query("""
            SELECT p.id, p.handle, p.title, p.description, p.keywords, p.images, p.listed,
                s.code, s.price, s.weight_grams, s.volume_cm3, s.barcode
            FROM catalog_products p LEFT JOIN catalog_skus s ON s.product_id = p.id AND s.shop_id = :shop
            WHERE p.shop_id = :shop ORDER BY p.handle, s.code
            """)
        var lines: [[String]] = [CatalogCSV.columns]
        for row in rows {
            let keywords = try JSON.decode(try row.string("keywords")).arrayValue?.compactMap(\.stringValue) ?? []
            let images = try JSON.decode(try row.string("images")).arrayValue?.compactMap(\.stringValue) ?? []
            let product = [try row.string("handle"), try row.string("title"), try row.string("description"), CatalogCSV.join(keywords),
                           CatalogCSV.join(tags[try row.int64("id")] ?? []), try row.bool("listed") ? "true" : "false"]
            let sku: [String]
            if let code = try row.optionalString("code") {
                sku = [code, String(try row.int64("price")), String(try row.int64("weight_grams")), String(try row.int64("volume_cm3")),
                       try row.optionalString("barcode") ?? ""]
            } else {
                sku = ["", "", "", "", ""]
            }
            lines.append(product + sku + [CatalogCSV.join(images)])
        }
        return ["csv": .string(CSV.write(lines))]
    }
}
