import Kernel

/// A shop's categories in memory: parents, children by name, paths like "Food > Bread".
struct CategoryTree {
    struct Node {
        let id: Int64
        let parentID: Int64?
        let name: String
    }

    let nodes: [Int64: Node]
    private let children: [Int64?: [Node]]

    static func load(_ db: ShopDatabase) throws -> CategoryTree {
        let rows = try db.query("SELECT id, parent_id, name FROM catalog_categories WHERE shop_id = :shop")
        var nodes: [Int64: Node] = [:]
        for row in rows {
            let node = Node(id: try row.int64("id"), parentID: try row.optionalInt("parent_id").map(Int64.init), name: try row.string("name"))
            nodes[node.id] = node
        }
        return CategoryTree(nodes: nodes)
    }

    init(nodes: [Int64: Node]) {
        self.nodes = nodes
        var children: [Int64?: [Node]] = [:]
        for node in nodes.values { children[node.parentID, default: []].append(node) }
        self.children = children.mapValues { $0.sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) } }
    }

    /// Names from the root down, e.g. ["Food", "Bread"].
    func names(_ id: Int64) -> [String] {
        var names: [String] = []
        var current = nodes[id]
        while let node = current, names.count <= nodes.count {
            names.insert(node.name, at: 0)
            current = node.parentID.flatMap { nodes[$0] }
        }
        return names
    }

    func path(_ id: Int64) -> String { names(id).joined(separator: " > ") }

    /// The category and every category below it.
    func subtree(_ id: Int64) -> [Int64] {
        var result: [Int64] = [id]
        var index = 0
        while index < result.count {
            result += (children[result[index]] ?? []).map(\.id)
            index += 1
        }
        return result
    }

    /// Depth-first, siblings by name: each node with its depth (0 at the top).
    func flattened() -> [(node: Node, depth: Int)] {
        var result: [(Node, Int)] = []
        func visit(_ parent: Int64?, _ depth: Int) {
            for node in children[parent] ?? [] {
                result.append((node, depth))
                visit(node.id, depth + 1)
            }
        }
        visit(nil, 0)
        return result
    }
}
