import Kernel

/// Maps URLs to operations with no per-operation code: an operation's name is its path.
///
/// - shop operations: `/v1/shops/{shop}/orders/cart/add` is `orders.cart.add` in shop `{shop}`
/// - storefront operations live in the same tree: `/v1/shops/{shop}/storefront/cart/add`
/// - platform operations: `/v1/shop/create` is `shop.create`; platform reads also answer
///   under a shop (`/v1/shops/{shop}/audit/list`), narrowed to that shop as `--shop` does in
///   the CLI (a shop's auditor reads its audit log there)
///
/// Reads are `GET` with query parameters, mutations `POST` with a JSON body.
struct OperationRoutes {
    struct Match {
        let operation: OperationSpec
        let shopCode: String?
    }

    enum Miss: Error {
        case notFound
        case wrongMethod(allowed: String)
    }

    /// Operations by the tail of their path: `catalog/product/show` for `catalog.product.show`.
    private let byTail: [Substring: OperationSpec]

    init(_ operations: [OperationSpec]) {
        var byTail: [Substring: OperationSpec] = [:]
        for operation in operations { byTail[Substring(Self.tail(of: operation))] = operation }
        self.byTail = byTail
    }

    static func method(of operation: OperationSpec) -> String { operation.mutates ? "POST" : "GET" }

    /// The path template of an operation, as written in the OpenAPI document.
    static func template(of operation: OperationSpec) -> String {
        operation.scope == .shop ? shopTemplate(of: operation) : "/v1/" + tail(of: operation)
    }

    /// Under a shop: where shop operations live, and where platform ones narrow to a shop.
    static func shopTemplate(of operation: OperationSpec) -> String { "/v1/shops/{shop}/" + tail(of: operation) }

    private static func tail(of operation: OperationSpec) -> String {
        operation.name.split(separator: ".").joined(separator: "/")
    }

    /// Resolves the part of the path after `/v1/` (no empty segments: the caller checked).
    func match(method: String, path: Substring) -> Result<Match, Miss> {
        var found: Match?
        // `shops/{shop}/tail...`: shop operations, and platform reads narrowed to the shop
        // (platform mutations stay at /v1/... so that none of them lands in a shop's audit
        // chain).
        // Byte-wise: Character-wise prefix and search cost more than the rest of a match.
        if path.utf8.starts(with: "shops/".utf8) {
            let afterShops = path.dropFirst(6)
            if let slash = afterShops.utf8.firstIndex(of: UInt8(ascii: "/")) {
                let tail = afterShops[afterShops.utf8.index(after: slash)...]
                if let operation = byTail[tail], operation.scope == .shop || !operation.mutates {
                    found = Match(operation: operation, shopCode: String(afterShops[..<slash]))
                }
            }
        }
        if found == nil, let operation = byTail[path], operation.scope == .platform {
            found = Match(operation: operation, shopCode: nil)
        }
        guard let found else { return .failure(.notFound) }
        let expected = Self.method(of: found.operation)
        guard method == expected || (method == "HEAD" && expected == "GET") else {
            return .failure(.wrongMethod(allowed: expected == "GET" ? "GET, HEAD" : expected))
        }
        return .success(found)
    }
}
