import Kernel

/// Help text, built from the operation registry.
enum Help {
    static let globalOptions = """
        Global options:
          --data DIR              data folder (default ./souk-data, or SOUK_DATA)
          --json                  print results and errors as JSON
          --as EMAIL              act as this staff member (password from SOUK_PASSWORD or a prompt)
          --token TOKEN           act with a token from 'souk login' (or SOUK_TOKEN)
          --shop CODE             the shop to act in
          --plugins DIR           also load plugins from DIR (or SOUK_PLUGIN_PATH, ':'-separated)
          --idempotency-key KEY   a retried mutation with the same key returns the first result
          --help                  help for any command, e.g. souk shop create --help

        """

    static func top(_ kernel: Kernel) -> String {
        var text = """
            souk \(Kernel.version): the Souk commerce kernel

            Usage: souk [global options] COMMAND [flags]

            Getting started:
              init                    create a data folder and its first operator
              login                   sign in and print a session token
              demo                    build a demo data folder with two shops and staff
              serve                   serve the HTTP API (admin, storefront, OpenAPI, metrics)
              version                 print the version

            Commands:

            """
        var rows: [(String, String)] = []
        // Storefront operations are for shoppers over HTTP, not for staff at a terminal.
        for operation in kernel.allOperations where operation.audience != .shopper { rows.append(("\(operation.group) \(operation.verb)", operation.summary)) }
        rows.append(("plugin install", "validate a plugin file and copy it into the data folder"))
        rows.append(("plugin inspect", "show what a plugin file holds, without installing it"))
        rows.sort { $0.0 < $1.0 }
        let width = max(24, rows.map(\.0.count).max() ?? 0)
        for (name, summary) in rows { text += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + summary + "\n" }
        text += "\n" + globalOptions
        text += "Run 'souk GROUP --help' or 'souk GROUP VERB --help' for details. Exit statuses are listed in docs/cli.md.\n"
        return text
    }

    static func group(_ name: String, operations: [OperationSpec]) -> String {
        var text = "Usage: souk \(name) COMMAND [flags]\n\nCommands:\n"
        var rows = operations.map { ($0.verb, $0.summary) }
        if name == "plugin" {
            rows += [("install", "validate a plugin file and copy it into the data folder"),
                     ("inspect", "show what a plugin file holds, without installing it")]
        }
        let width = max(10, rows.map(\.0.count).max() ?? 0)
        for (verb, summary) in rows.sorted(by: { $0.0 < $1.0 }) {
            text += "  " + verb.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + summary + "\n"
        }
        return text + "\nRun 'souk \(name) COMMAND --help' for a command's flags.\n"
    }

    static func flag(_ field: Field) -> String {
        "--" + field.name.replacingOccurrences(of: "_", with: "-")
    }

    static func placeholder(_ field: Field) -> String {
        switch field.type {
        case .bool: return ""
        case .list: return " A,B"
        default: return " " + field.name.uppercased()
        }
    }

    /// Where the CLI reads a secret field: your own password from SOUK_PASSWORD, a new
    /// password from SOUK_NEW_PASSWORD, any other secret (a card number...) from
    /// SOUK_<FIELD>, e.g. SOUK_CARD.
    static func secretVariable(_ field: Field) -> String {
        switch field.name {
        case "current": return "SOUK_PASSWORD"
        case "password", "new": return "SOUK_NEW_PASSWORD"
        default: return "SOUK_" + field.name.uppercased()
        }
    }

    static func operation(_ operation: OperationSpec) -> String {
        let command = "souk \(operation.group) \(operation.verb)"
        var usage = command
        if operation.scope == .shop { usage += " --shop CODE" }
        for field in operation.fields where !field.secret {
            let part = field.positional ? field.name.uppercased() : flag(field) + placeholder(field)
            usage += field.required ? " \(part)" : " [\(part)]"
        }
        var text = "Usage: \(usage)\n\n\(operation.summary).\n"
        let visible = operation.fields.filter { !$0.secret }
        if !visible.isEmpty {
            text += "\nFlags:\n"
            let labels = visible.map { $0.positional ? $0.name.uppercased() : flag($0) + placeholder($0) }
            let width = max(20, labels.map(\.count).max() ?? 0)
            for (field, label) in zip(visible, labels) {
                var help = field.help
                if field.required { help += " (required)" }
                if field.type == .currency || field.type == .timeZone || field.type == .email || field.type == .code || field.type == .dateTime {
                    help += " [\(field.type.rawValue)]"
                }
                text += "  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + help + "\n"
            }
        }
        if visible.contains(where: { $0.type == .string && !$0.positional }) {
            text += "\nAny text flag can be read from a file: --NAME-file PATH.\n"
        }
        for field in operation.fields where field.secret {
            text += "\n\(field.help.capitalizedFirst): read from \(secretVariable(field)), or asked on the terminal.\n"
        }
        let permission = operation.permission.map { "'\($0)'" + (operation.scope == .shop ? " in the shop" : "") } ?? "none beyond signing in"
        text += "\nPermission: \(permission)\(operation.mutates ? "; audited" : "").\n"
        return text
    }
}
