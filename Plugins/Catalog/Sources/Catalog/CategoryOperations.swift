import Kernel

enum CategoryOperations {
    static let all: [OperationSpec] = [create, list, assign, unassign]

    static let create = OperationSpec(
        name: "catalog.category.create", summary: "Create a category, at the top or under a parent",
        fields: [
            Field("name", required: true, help: "the name shoppers see, unique among its siblings"),
            Field("parent", .int, help: "the parent category's id (none: a top-level category)"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let input = scope.input
        let db = try scope.db
        let name = try input.string("name").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw KernelError.invalid("name", "the category name is empty") }
        guard name.count <= 100 else { throw KernelError.invalid("name", "the category name has \(name.count) characters; at most 100") }
        guard !name.contains(">") else {
            throw KernelError.invalid("name", "category name '\(name)' contains '>', which separates categories in paths")
        }
        let tree = try CategoryTree.load(db)
        let parent = input.optionalInt("parent")
        if let parent, tree.nodes[parent] == nil {
            throw KernelError(.notFound, "no category \(parent) in this shop to be the parent", field: "parent")
        }
        let clash = try db.query("""
            SELECT id FROM catalog_categories WHERE shop_id = :shop AND IFNULL(parent_id, 0) = :parent AND name = :name COLLATE NOCASE
            """, ["parent": parent ?? 0, "name": name])
        if let existing = clash.first {
            let place = parent.map { "under '\(tree.path($0))'" } ?? "at the top level"
            throw KernelError(.conflict, "a category named '\(name)' already exists \(place) (id \(try existing.int64("id")))", field: "name")
        }
        try db.execute("INSERT INTO catalog_categories (shop_id, parent_id, name, created_at) VALUES (:shop, :parent, :name, :now)",
                       ["parent": parent, "name": name, "now": scope.now])
        let id = db.lastInsertRowID
        let path = (parent.map { tree.names($0) } ?? []) + [name]
        scope.audit(entity: "category:\(id)", change: ["created": .string(path.joined(separator: " > ")), "parent_id": Value(parent.map(Int.init))])
        return ["id": .int(id), "parent_id": parent.map(Value.int) ?? .null, "name": .string(name),
                "depth": .int(Int64(path.count - 1)), "path": .string(path.joined(separator: " > "))]
    }

    static let list = OperationSpec(
        name: "catalog.category.list", summary: "List the category tree, flattened depth-first with each category's path",
        permission: "catalog.read", mutates: false
    ) { scope in
        let db = try scope.db
        let tree = try CategoryTree.load(db)
        var counts: [Int64: Int64] = [:]
        for row in try db.query("""
            SELECT category_id, COUNT(*) AS n FROM catalog_product_categories WHERE shop_id = :shop GROUP BY category_id
            """) {
            counts[try row.int64("category_id")] = try row.int64("n")
        }
        return .array(tree.flattened().map { node, depth in
            ["id": .int(node.id), "parent_id": node.parentID.map(Value.int) ?? .null, "name": .string(node.name),
             "depth": .int(Int64(depth)), "path": .string(tree.path(node.id)), "products": .int(counts[node.id] ?? 0)]
        })
    }

    static let assign = OperationSpec(
        name: "catalog.category.assign", summary: "Put a product in a category",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("category", .int, required: true, help: "the category's id"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let (product, category, path) = try target(scope)
        let db = try scope.db
        let added = try db.execute("""
            INSERT OR IGNORE INTO catalog_product_categories (shop_id, product_id, category_id) VALUES (:shop, :product, :category)
            """, ["product": product.id, "category": category])
        guard added == 1 else {
            throw KernelError(.conflict, "product '\(product.handle)' is already in category '\(path)'", field: "category")
        }
        scope.audit(entity: "product:\(product.id)", change: ["category_added": .string(path), "category_id": .int(category)])
        return ["product_id": .int(product.id), "handle": .string(product.handle), "category_id": .int(category), "path": .string(path)]
    }

    static let unassign = OperationSpec(
        name: "catalog.category.unassign", summary: "Take a product out of a category",
        fields: [
            Field("product", required: true, help: "the product's id or handle"),
            Field("category", .int, required: true, help: "the category's id"),
        ],
        permission: "catalog.product.write", mutates: true
    ) { scope in
        let (product, category, path) = try target(scope)
        let removed = try scope.db.execute("""
            DELETE FROM catalog_product_categories WHERE shop_id = :shop AND product_id = :product AND category_id = :category
            """, ["product": product.id, "category": category])
        guard removed == 1 else {
            throw KernelError(.notFound, "product '\(product.handle)' is not in category '\(path)'", field: "category")
        }
        scope.audit(entity: "product:\(product.id)", change: ["category_removed": .string(path), "category_id": .int(category)])
        return ["product_id": .int(product.id), "handle": .string(product.handle), "category_id": .int(category), "path": .string(path)]
    }

    private static func target(_ scope: OperationScope) throws -> (Product, Int64, String) {
        let db = try scope.db
        let product = try Products.resolve(reference: try scope.input.string("product"), db)
        let category = try scope.input.int("category")
        let tree = try CategoryTree.load(db)
        guard tree.nodes[category] != nil else {
            throw KernelError(.notFound, "no category \(category) in this shop", field: "category")
        }
        return (product, category, tree.path(category))
    }
}
