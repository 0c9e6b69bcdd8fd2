import Kernel

/// A printable packing slip for an order: what to pack, where it goes, what already left.
enum PackingSlipOperations {
    static let all = [packingSlip]

    static let packingSlip = OperationSpec(
        name: "shipping.packing-slip", summary: "A printable HTML packing slip for an order",
        fields: [ShipmentOperations.orderField], permission: "shipping.read", mutates: false
    ) { scope in
        let shop = try scope.context.requireShop()
        let order = try OrderLookup.order(try scope.input.string("order"), scope)
        let items = try OrderLookup.items(order, scope)
        let shipments = try Shipments.rows(order: order.number, scope)
        let method = try order.attributes["shipping_method"].flatMap { try DeliveryMethod.find(code: $0, scope) }
        let slot = try Slots.booked(orderNumber: order.number, scope)
        let e = HTML.escape

        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Packing slip \(e(order.number))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #000; }
            h1 { font-size: 1.4em; margin: 0; }
            h2 { font-size: 1.1em; margin: 0.2em 0 1em; }
            h3 { font-size: 1em; margin: 1.5em 0 0.4em; }
            table { border-collapse: collapse; width: 100%; }
            th, td { border-bottom: 1px solid #999; padding: 4px 8px; text-align: left; vertical-align: top; }
            .qty { text-align: right; }
            .box { display: inline-block; width: 1em; height: 1em; border: 1px solid #000; }
            @media print {
              body { margin: 0; font-size: 11pt; }
              @page { margin: 15mm; }
              section, tr { page-break-inside: avoid; }
            }
            </style>
            </head>
            <body>
            <header>
            <h1>\(e(shop.code))</h1>
            <h2>Packing slip: order \(e(order.number))</h2>
            <p>Placed \(e(Validation.isoString(millis: order.placedAt))) · status \(e(order.status))</p>
            </header>

            """
        html += "<section>\n<h3>Ship to</h3>\n<p>"
        let known = ["country", "region", "city"]
        let destination = known.compactMap { key in order.destination[key].map { (key, $0) } }
            + order.destination.keys.filter { !known.contains($0) }.sorted().map { ($0, order.destination[$0]!) }
        html += destination.isEmpty ? "(no destination given)"
            : destination.map { "\(e($0.0)): \(e($0.1))" }.joined(separator: "<br>\n")
        html += "</p>\n</section>\n"

        html += "<section>\n<h3>Delivery</h3>\n<p>"
        if let method {
            html += "\(e(method.name)) (\(e(method.kind.rawValue)))"
        } else {
            html += e(order.attributes["shipping_method"] ?? "no delivery method chosen")
        }
        if let slot {
            html += "<br>\nSlot \(try slot.int64("id")): \(e(Validation.isoString(millis: try slot.int64("starts_at"))))"
                + " to \(e(Validation.isoString(millis: try slot.int64("ends_at"))))"
        }
        html += "</p>\n</section>\n"

        html += """
            <section>
            <h3>Items</h3>
            <table>
            <thead><tr><th>Packed</th><th>SKU</th><th>Item</th><th class="qty">Ordered</th><th class="qty">Shipped</th><th class="qty">To pack</th></tr></thead>
            <tbody>

            """
        for item in items {
            html += "<tr><td><span class=\"box\"></span></td><td>\(e(item.sku))</td><td>\(e(item.title))</td>"
                + "<td class=\"qty\">\(item.ordered)</td><td class=\"qty\">\(item.shipped)</td><td class=\"qty\">\(item.remaining)</td></tr>\n"
        }
        html += "</tbody>\n</table>\n</section>\n"

        if !shipments.isEmpty {
            html += """
                <section>
                <h3>Shipments</h3>
                <table>
                <thead><tr><th>Shipment</th><th>Carrier</th><th>Tracking number</th><th>Status</th><th>Contents</th></tr></thead>
                <tbody>

                """
            for row in shipments {
                let id = try row.int64("id")
                let contents = try Shipments.lines(id, scope).map { "\(e($0.sku)) × \($0.quantity)" }.joined(separator: ", ")
                html += "<tr><td>\(id)</td><td>\(e(try row.string("carrier_name")))</td><td>\(e(try row.string("tracking_number")))</td>"
                    + "<td>\(e(try row.string("status")))</td><td>\(contents)</td></tr>\n"
            }
            html += "</tbody>\n</table>\n</section>\n"
        }

        let requests = order.attributes.keys.filter { $0 != "shipping_method" && $0 != "slot" }.sorted()
        if !requests.isEmpty {
            html += "<section>\n<h3>Requests</h3>\n<ul>\n"
            for key in requests { html += "<li>\(e(key)): \(e(order.attributes[key]!))</li>\n" }
            html += "</ul>\n</section>\n"
        }
        html += "</body>\n</html>\n"
        return ["order": .string(order.number), "html": .string(html)]
    }
}
