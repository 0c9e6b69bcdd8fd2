import Foundation
import Kernel

/// `souk demo`: builds a demo data folder with two shops and staff in several roles, through
/// the same operations a person would run, and says what to try next.
struct DemoCommand {
    let cli: CLI
    let options: GlobalOptions
    let arguments: [String]

    static let password = "demo-password"
    static let marker = ".souk-demo"

    static let help = """
        Usage: souk demo [--data DIR]

        Build a demo data folder (default ./souk-demo) with two shops, staff in several
        roles, a custom role and some audited activity; with the commerce plugins linked in
        (the stock souk), also a catalog imported from CSV, stock, customers, and orders placed
        through checkout, paid and shipped. Running it again rebuilds a folder that an
        earlier demo made; it refuses to touch any other non-empty folder.

        """

    func run() throws -> Int32 {
        if options.help { cli.out(Self.help); return 0 }
        let parsed = try FlagParser(command: "souk demo", valueFlags: [], boolFlags: []).parse(arguments)
        if let extra = parsed.positionals.first { throw KernelError(.usage, "unexpected argument '\(extra)' for 'souk demo'") }
        let directory = options.dataExplicit ? options.dataDirectory : "./souk-demo"
        try prepare(directory)
        var log: [String] = []
        let kernel = try cli.makeKernel(options, directory: directory)
        _ = FileManager.default.createFile(atPath: (directory as NSString).appendingPathComponent(Self.marker), contents: Data())
        let admin = try kernel.initialize(operatorEmail: "operator@demo.souk", password: Self.password, allowDynamicPlugins: true)
        log.append("initialised \(directory) with operator operator@demo.souk")
        let platform = try kernel.context(for: admin, shopCode: nil)
        for (code, name, currency, zone) in [("north", "North Market", "EUR", "Europe/Paris"), ("south", "South Bazaar", "JPY", "Asia/Tokyo")] {
            try kernel.perform("shop.create", input: ["code": .string(code), "name": .string(name), "currency": .string(currency),
                                                      "timezone": .string(zone)], context: platform)
            log.append("created shop \(code) (\(name), \(currency), \(zone))")
        }
        let staff: [(String, String, [(String, String)])] = [
            ("amira@demo.souk", "Amira Haddad", [("north", "owner"), ("south", "clerk")]),
            ("bruno@demo.souk", "Bruno Costa", [("north", "warehouse")]),
            ("chen@demo.souk", "Chen Wei", [("north", "finance"), ("south", "finance")]),
            ("dana@demo.souk", "Dana Levi", [("south", "auditor")]),
        ]
        for (email, name, grants) in staff {
            try kernel.perform("staff.add", input: ["email": .string(email), "name": .string(name), "password": .string(Self.password)],
                               context: platform)
            for (shop, role) in grants {
                try kernel.perform("staff.grant", input: ["email": .string(email), "role": .string(role)],
                                   context: try kernel.context(for: admin, shopCode: shop))
            }
            log.append("added \(email): " + grants.map { "\($1) of \($0)" }.joined(separator: ", "))
        }
        // The owner of north, not the operator, runs the next steps: delegation at work.
        let amira = try kernel.verifyPassword(email: "amira@demo.souk", password: Self.password)
        let north = try kernel.context(for: amira, shopCode: "north")
        try kernel.perform("role.create", input: ["name": "night-shift", "permissions": ["shop.read", "staff.read"]], context: north)
        try kernel.perform("staff.grant", input: ["email": "bruno@demo.souk", "role": "night-shift"], context: north)
        log.append("amira created custom role night-shift in north and granted it to bruno")
        try kernel.perform("shop.update", input: ["phone": "+33 1 23 45 67 89", "business_hours": "Mon-Sat 9-19",
                                                  "description": "Fresh produce and pantry goods"], context: north)
        log.append("amira updated the north profile")
        let bruno = try kernel.verifyPassword(email: "bruno@demo.souk", password: Self.password)
        do {
            try kernel.perform("shop.update", input: ["name": "Bruno's Market"], context: try kernel.context(for: bruno, shopCode: "north"))
        } catch let error as KernelError where error.code == .permissionDenied {
            log.append("bruno tried to rename north and was refused (audited): \(error.message)")
        }
        try buildCommerce(kernel, admin: admin, log: &log)
        let prefix = "SOUK_PASSWORD=\(Self.password) souk --data \(directory)"
        let text = """
            Souk demo ready.

            \(log.map { "  - " + $0 }.joined(separator: "\n"))

            Every account's password is '\(Self.password)'. Try:
              \(prefix) --as amira@demo.souk shop show --shop north
              \(prefix) --as amira@demo.souk staff list --shop north
              \(prefix) --as bruno@demo.souk shop update --shop north --name Mine     (refused: warehouse)
              \(prefix) --as dana@demo.souk audit list --shop south
              \(prefix) --as operator@demo.souk audit verify
              \(prefix) --as amira@demo.souk catalog product list --shop north
              \(prefix) --as amira@demo.souk orders list --shop north
              \(prefix) --as bruno@demo.souk inventory stock list --shop north
              \(prefix) --as amira@demo.souk orders place --shop north --lines TEA-GREEN-100:1 --customer 1
              souk --help

            """
        if options.json {
            cli.print(["data": .string(directory), "steps": .array(log.map(Value.string)), "password": .string(Self.password)], options)
        } else {
            cli.out(text)
        }
        return 0
    }

    static let catalog = """
        handle,title,description,keywords,tags,listed,sku,price,weight_grams,volume_cm3,barcode,images
        green-tea,Green tea,"Sencha leaves, first flush",tea|green|sencha,drinks,true,TEA-GREEN-100,650,100,300,,https://demo.souk.test/tea.jpg
        green-tea,Green tea,"Sencha leaves, first flush",tea|green|sencha,drinks,true,TEA-GREEN-250,1450,250,700,,https://demo.souk.test/tea.jpg
        teapot,Cast-iron teapot,"Holds 0.8 l; keeps tea hot",teapot|iron,kitchen,true,POT-IRON,4900,1200,2000,4006381333931,
        cup,Stoneware cup,,cup,kitchen,true,CUP-STONE,1200,300,500,,

        """

    /// A catalog, stock, customers and orders placed through the real checkout, only when the
    /// commerce plugins are linked in (the demo runs on any composition of plugins).
    private func buildCommerce(_ kernel: Kernel, admin: StaffAccount, log: inout [String]) throws {
        let names = Set(kernel.allOperations.map(\.name))
        guard names.isSuperset(of: ["catalog.import", "orders.place"]) else { return }
        let north = try kernel.context(for: admin, shopCode: "north")
        try kernel.perform("catalog.import", input: ["csv": .string(Self.catalog)], context: north)
        log.append("imported 3 products (4 SKUs) into north's catalog from CSV")
        if names.contains("inventory.adjust") {
            for (sku, units) in [("TEA-GREEN-100", 40), ("TEA-GREEN-250", 25), ("POT-IRON", 3), ("CUP-STONE", 12)] {
                try kernel.perform("inventory.adjust", input: ["sku": .string(sku), "quantity": .int(Int64(units)), "reason": "received"], context: north)
            }
            log.append("received stock for every SKU (3 teapots only)")
        }
        var customers: [Int64] = []
        if names.contains("customers.create") {
            for (email, name) in [("lea@example.com", "Léa Martin"), ("omar@example.com", "Omar Said")] {
                let customer = try kernel.perform("customers.create", input: ["email": .string(email), "name": .string(name)], context: north)
                if let id = customer["id"]?.intValue { customers.append(id) }
            }
            log.append("added customers lea@example.com and omar@example.com")
        }
        let amira = try kernel.context(for: try kernel.verifyPassword(email: "amira@demo.souk", password: Self.password), shopCode: "north")
        let baskets: [[Value]] = [["TEA-GREEN-100:2", "CUP-STONE:2"], ["POT-IRON:1", "TEA-GREEN-250:1"], ["TEA-GREEN-100:1"]]
        var numbers: [String] = []
        for (index, basket) in baskets.enumerated() {
            var input: Value.Object = ["lines": .array(basket)]
            if !customers.isEmpty { input["customer"] = .int(customers[index % customers.count]) }
            let order = try kernel.perform("orders.place", input: input, context: amira)
            numbers.append(order["number"]?.stringValue ?? "?")
        }
        log.append("amira placed orders \(numbers.joined(separator: ", ")) through checkout")
        let chen = try kernel.context(for: try kernel.verifyPassword(email: "chen@demo.souk", password: Self.password), shopCode: "north")
        try kernel.perform("orders.pay", input: ["order": .string(numbers[0])], context: chen)
        let bruno = try kernel.context(for: try kernel.verifyPassword(email: "bruno@demo.souk", password: Self.password), shopCode: "north")
        try kernel.perform("orders.ship", input: ["order": .string(numbers[0])], context: bruno)
        log.append("chen (finance) recorded payment of \(numbers[0]); bruno (warehouse) shipped it")
        do {
            try kernel.perform("orders.place", input: ["lines": ["POT-IRON:5"]], context: amira)
        } catch let error as KernelError where error.code == .insufficientStock {
            log.append("an order for 5 teapots was refused: \(error.message)")
        }
    }

    private func prepare(_ directory: String) throws {
        let manager = FileManager.default
        guard let contents = try? manager.contentsOfDirectory(atPath: directory) else { return }
        if contents.contains(Self.marker) {
            try manager.removeItem(atPath: directory)
        } else if !contents.isEmpty {
            throw KernelError(.conflict, "\(directory) exists and was not made by 'souk demo'; choose another folder with --data DIR")
        }
    }
}
