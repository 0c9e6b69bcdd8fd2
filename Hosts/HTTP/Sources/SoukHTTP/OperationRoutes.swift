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

    private let operations: [String: OperationSpec]

    init(_ operations: [OperationSpec]) {
        var byName: [String: OperationSpec] = [:]
        for operation in operations { byName[operation.name] = operation }
        self.operations = byName
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

    /// Resolves the segments after `/v1/`.
    func match(method: String, segments: ArraySlice<Substring>) -> Result<Match, Miss> {
        var found: Match?
        if segments.count >= 3, segments.first == "shops" {
            let name = segments.dropFirst(2).joined(separator: ".")
            // Shop operations, and platform reads narrowed to the shop (platform mutations
            // stay at /v1/... so that none of them lands in a shop's audit chain).
            if let operation = operations[name], operation.scope == .shop || !operation.mutates {
                found = Match(operation: operation, shopCode: String(segments[segments.startIndex + 1]))
            }
        }
        if found == nil, let operation = operations[segments.joined(separator: ".")], operation.scope == .platform {
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
