import Foundation
import Kernel

/// Carriers and the link to their tracking page.
enum CarrierOperations {
    static let all = [add, list]

    static let add = OperationSpec(
        name: "shipping.carrier.add", summary: "Add a carrier with its tracking link",
        fields: [
            Field("code", .code, required: true, help: "short code, e.g. laposte"),
            Field("name", required: true, help: "display name"),
            Field("tracking_url", required: true, help: "tracking page with {tracking} where the number goes, e.g. https://track.example/{tracking}"),
        ],
        permission: "shipping.manage", mutates: true
    ) { scope in
        let input = scope.input
        let code = try input.string("code")
        let name = try ShippingInput.text(try input.string("name"), field: "name", limit: 100)
        let url = try input.string("tracking_url").trimmingCharacters(in: .whitespaces)
        guard url.contains("{tracking}") else {
            throw KernelError.invalid("tracking_url", "tracking_url must contain {tracking} where the tracking number goes, got '\(url)'")
        }
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.count <= 500, !url.contains(where: \.isWhitespace) else {
            throw KernelError.invalid("tracking_url", "tracking_url must be an http(s) address without spaces, got '\(url)'")
        }
        let db = try scope.db
        guard try db.query("SELECT 1 FROM shipping_carriers WHERE shop_id = :shop AND code = :code", ["code": code]).isEmpty else {
            throw KernelError(.conflict, "carrier '\(code)' already exists", field: "code")
        }
        try db.execute("""
            INSERT INTO shipping_carriers (shop_id, code, name, tracking_url_template, created_at) VALUES (:shop, :code, :name, :url, :now)
            """, ["code": code, "name": name, "url": url, "now": scope.now])
        scope.audit(entity: "shipping_carrier:\(code)", change: ["name": .string(name), "tracking_url": .string(url)])
        return ["code": .string(code), "name": .string(name), "tracking_url": .string(url)]
    }

    static let list = OperationSpec(
        name: "shipping.carrier.list", summary: "List carriers", permission: "shipping.read", mutates: false
    ) { scope in
        .array(try scope.db.query("SELECT * FROM shipping_carriers WHERE shop_id = :shop ORDER BY code").map {
            ["code": .string(try $0.string("code")), "name": .string(try $0.string("name")),
             "tracking_url": .string(try $0.string("tracking_url_template"))]
        })
    }

    /// The carrier's tracking page for `number`.
    static func trackingURL(_ template: String, _ number: String) -> String {
        let encoded = number.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? number
        return template.replacingOccurrences(of: "{tracking}", with: encoded)
    }
}
