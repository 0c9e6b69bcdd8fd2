import Foundation
import Kernel

/// Parses `--flag value` pairs for the handful of commands that are not operations.
struct FlagParser {
    let command: String
    let valueFlags: Set<String>
    let boolFlags: Set<String>

    func parse(_ arguments: [String]) throws -> (values: [String: String], bools: Set<String>, positionals: [String]) {
        var values: [String: String] = [:], bools: Set<String> = [], positionals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2)), inline: String?
                if let equals = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if boolFlags.contains(name) {
                    bools.insert(name)
                } else if valueFlags.contains(name) {
                    if let inline { values[name] = inline } else {
                        index += 1
                        guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                            throw KernelError(.usage, "flag --\(name) needs a value")
                        }
                        values[name] = arguments[index]
                    }
                } else {
                    throw KernelError(.usage, "unknown flag --\(name) for '\(command)'; run '\(command) --help'")
                }
            } else {
                positionals.append(argument)
            }
            index += 1
        }
        return (values, bools, positionals)
    }
}

/// `souk init --operator-email EMAIL [--allow-dynamic-plugins]`
struct InitCommand {
    let cli: CLI
    let options: GlobalOptions
    let arguments: [String]

    static let help = """
        Usage: souk init --operator-email EMAIL [--allow-dynamic-plugins]

        Create the data folder (--data, default ./souk-data) and its first operator.
        The password is read from SOUK_NEW_PASSWORD, or asked on the terminal.

        Flags:
          --operator-email EMAIL    the operator's sign-in email (required)
          --allow-dynamic-plugins   let this installation load .so plugins

        """

    func run() throws -> Int32 {
        if options.help { cli.out(Self.help); return 0 }
        let parsed = try FlagParser(command: "souk init", valueFlags: ["operator-email"], boolFlags: ["allow-dynamic-plugins"]).parse(arguments)
        if let extra = parsed.positionals.first { throw KernelError(.usage, "unexpected argument '\(extra)' for 'souk init'") }
        guard let email = parsed.values["operator-email"] else {
            throw KernelError(.usage, "souk init needs --operator-email EMAIL")
        }
        guard Validation.isEmail(email.lowercased()) else {
            throw KernelError.invalid("operator-email", "'\(email)' is not a valid email address")
        }
        let password = try Prompt.secret("Operator password", environment: cli.environment, variable: "SOUK_NEW_PASSWORD", confirm: true)
        try Kernel.checkPasswordStrengthPublic(password)
        if cli.databaseExists(options.dataDirectory) {
            let kernel = try cli.makeKernel(options, directory: options.dataDirectory)
            if try kernel.isInitialized() {
                throw KernelError(.conflict, "\(options.dataDirectory) is already initialised; sign in with an operator account instead")
            }
        }
        let kernel = try cli.makeKernel(options, directory: options.dataDirectory)
        let account = try kernel.initialize(operatorEmail: email, password: password,
                                            allowDynamicPlugins: parsed.bools.contains("allow-dynamic-plugins"))
        cli.print(["data": .string(options.dataDirectory), "operator": .string(account.email),
                   "allow_dynamic_plugins": .bool(parsed.bools.contains("allow-dynamic-plugins")),
                   "next": .string("souk --as \(account.email) shop create --code CODE --name NAME --currency EUR")], options)
        return 0
    }
}

/// `souk login --email EMAIL`: prints a session token.
struct LoginCommand {
    let cli: CLI
    let options: GlobalOptions
    let arguments: [String]

    static let help = """
        Usage: souk login --email EMAIL

        Sign in and print a session token for --token or SOUK_TOKEN. The password is read
        from SOUK_PASSWORD, or asked on the terminal. Five failed sign-ins in a row lock the
        account for 15 minutes.

        """

    func run() throws -> Int32 {
        if options.help { cli.out(Self.help); return 0 }
        let parsed = try FlagParser(command: "souk login", valueFlags: ["email"], boolFlags: []).parse(arguments)
        guard let email = parsed.values["email"] ?? options.asEmail else { throw KernelError(.usage, "souk login needs --email EMAIL") }
        let kernel = try cli.openKernel(options)
        let password = try Prompt.secret("Password for \(email)", environment: cli.environment, variable: "SOUK_PASSWORD")
        let session = try kernel.signIn(email: email, password: password)
        if options.json {
            cli.print(["token": .string(session.token), "email": .string(session.staff.email),
                       "expires_at": .string(Validation.isoString(millis: session.expiresAt))], options)
        } else {
            cli.out(session.token + "\n")
        }
        return 0
    }
}

/// `souk plugin install FILE` and `souk plugin inspect FILE`.
struct PluginFileCommand {
    let cli: CLI
    let options: GlobalOptions
    let verb: String
    let arguments: [String]

    func run() throws -> Int32 {
        if options.help {
            cli.out(verb == "install"
                ? "Usage: souk plugin install FILE\n\nValidate a plugin .so exactly as start-up would, then copy it into the data folder's plugins/.\nOperators only.\n"
                : "Usage: souk plugin inspect FILE\n\nShow a plugin file's id, version, kernel range, permissions and operations without installing it.\n")
            return 0
        }
        let parsed = try FlagParser(command: "souk plugin \(verb)", valueFlags: [], boolFlags: []).parse(arguments)
        guard parsed.positionals.count == 1, let file = parsed.positionals.first else {
            throw KernelError(.usage, "souk plugin \(verb) needs exactly one FILE")
        }
        if verb == "inspect" {
            cli.print(try Kernel.describe(try PluginLoader.load(file)), options)
            return 0
        }
        let kernel = try cli.openKernel(options)
        let context = try kernel.context(for: try cli.actor(kernel, options), shopCode: nil)
        cli.print(try kernel.installPlugin(file: file, context: context), options)
        return 0
    }
}
