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
        roles, a custom role and some audited activity. Running it again rebuilds a folder
        that an earlier demo made; it refuses to touch any other non-empty folder.

        """

    func run() throws -> Int32 {
        if options.help { cli.out(Self.help); return 0 }
        let parsed = try FlagParser(command: "souk demo", valueFlags: [], boolFlags: []).parse(arguments)
        if let extra = parsed.positionals.first { throw KernelError(.usage, "unexpected argument '\(extra)' for 'souk demo'") }
        let directory = options.dataExplicit ? options.dataDirectory : "./souk-demo"
        try prepare(directory)
        var log: [String] = []
        let kernel = try cli.makeKernel(options, directory: directory)
        FileManager.default.createFile(atPath: (directory as NSString).appendingPathComponent(Self.marker), contents: Data())
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
              souk --help

            """
        if options.json {
            cli.print(["data": .string(directory), "steps": .array(log.map(Value.string)), "password": .string(Self.password)], options)
        } else {
            cli.out(text)
        }
        return 0
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
