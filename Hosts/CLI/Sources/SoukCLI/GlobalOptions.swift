import Foundation
import Kernel

/// Options accepted anywhere on the command line, before or after the command words.
struct GlobalOptions {
    var dataDirectory: String
    var json = false
    var asEmail: String?
    var token: String?
    var pluginDirectories: [String] = []
    var shop: String?
    var idempotencyKey: String?
    var help = false
    /// Whether --data or SOUK_DATA named the folder (the demo has a default of its own).
    var dataExplicit = false

    /// Takes the global options out of `arguments`, leaving the command and its flags.
    static func extract(from arguments: [String], environment: [String: String]) throws -> (GlobalOptions, [String]) {
        var options = GlobalOptions(dataDirectory: environment["SOUK_DATA"] ?? "./souk-data")
        options.dataExplicit = environment["SOUK_DATA"] != nil
        options.token = environment["SOUK_TOKEN"]
        if let path = environment["SOUK_PLUGIN_PATH"] {
            options.pluginDirectories = path.split(separator: ":").map(String.init)
        }
        var rest: [String] = []
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                throw KernelError(.usage, "flag \(flag) needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            var argument = arguments[index]
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                inline = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            func take() throws -> String { try inline ?? value(argument) }
            switch argument {
            case "--data": options.dataDirectory = try take(); options.dataExplicit = true
            case "--json": options.json = true
            case "--as": options.asEmail = try take()
            case "--token": options.token = try take()
            case "--plugins": options.pluginDirectories.append(try take())
            case "--shop": options.shop = try take()
            case "--idempotency-key": options.idempotencyKey = try take()
            case "--help", "-h": options.help = true
            default: rest.append(arguments[index])
            }
            index += 1
        }
        return (options, rest)
    }
}
