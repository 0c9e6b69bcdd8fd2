import Kernel

enum TagOperations {
    static let all: [OperationSpec] = [add, remove]

    static let add = OperationSpec(
        name: "catalog.tag.add", summary: "Tag a product",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("tag", .code, required: true, help: "a code such as new, organic, gift-idea"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let db = try scope.db
        let product = try Products.resolve(reference: try scope.input.string("product"), db)
        let tag = try CatalogRules.tag(try scope.input.string("tag"))
        let added = try db.execute("INSERT OR IGNORE INTO catalog_product_tags (shop_id, product_id, tag) VALUES (:shop, :product, :tag)",
                                   ["product": product.id, "tag": tag])
        guard added == 1 else { throw KernelError(.conflict, "product '\(product.handle)' already has tag '\(tag)'", field: "tag") }
        scope.audit(entity: "product:\(product.id)", change: ["tag_added": .string(tag)])
        return ["product_id": .int(product.id), "handle": .string(product.handle), "tags": .array(try Products.tags(of: product.id, db).map(Value.string))]
    }

    static let remove = OperationSpec(
        name: "catalog.tag.remove", summary: "Take a tag off a product",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("tag", .code, required: true, help: "the tag"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let db = try scope.db
        let product = try Products.resolve(reference: try scope.input.string("product"), db)
        let tag = try scope.input.string("tag")
        let removed = try db.execute("DELETE FROM catalog_product_tags WHERE shop_id = :shop AND product_id = :product AND tag = :tag",
                                     ["product": product.id, "tag": tag])
        guard removed == 1 else { throw KernelError(.notFound, "product '\(product.handle)' has no tag '\(tag)'", field: "tag") }
        scope.audit(entity: "product:\(product.id)", change: ["tag_removed": .string(tag)])
        return ["product_id": .int(product.id), "handle": .string(product.handle), "tags": .array(try Products.tags(of: product.id, db).map(Value.string))]
    }
}
