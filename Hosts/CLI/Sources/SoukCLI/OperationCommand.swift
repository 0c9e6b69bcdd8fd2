import Foundation
import Kernel

/// `souk GROUP VERB [POSITIONAL] --field value ...` for any registered operation.
struct OperationCommand {
    let cli: CLI
    let options: GlobalOptions
    let words: [String]

    func run() throws -> Int32 {
        let kernel = options.help ? try cli.kernelForHelp(options) : try cli.openKernel(options)
        let groupName = words[0]
        let group = kernel.allOperations.filter { $0.group == groupName && $0.audience != .shopper }
        guard !group.isEmpty else {
            throw KernelError(.usage, "unknown command '\(groupName)'; run 'souk --help' for the list of commands")
        }
        let commandWords = words.prefix { !$0.hasPrefix("-") }
        // Longest verb that names an operation; whatever follows is positional.
        var operation: OperationSpec?
        var consumed = 1
        for count in stride(from: commandWords.count, through: 2, by: -1) {
            if let found = kernel.operation(named: commandWords.prefix(count).joined(separator: ".")), found.audience != .shopper {
                operation = found
                consumed = count
                break
            }
        }
        guard let operation else {
            if commandWords.count == 1 {
                if options.help { cli.out(Help.group(groupName, operations: group)); return 0 }
                throw KernelError(.usage, "'souk \(groupName)' needs a command: \(group.map(\.verb).joined(separator: ", ")); run 'souk \(groupName) --help'")
            }
            throw KernelError(.usage, "unknown command 'souk \(commandWords.prefix(2).joined(separator: " "))'; run 'souk \(groupName) --help'")
        }
        if options.help {
            cli.out(Help.operation(operation))
            return 0
        }
        let input = try parseInput(operation, Array(words.dropFirst(consumed)))
        let staff = try cli.actor(kernel, options)
        let context = try kernel.context(for: staff, shopCode: options.shop, idempotencyKey: options.idempotencyKey)
        let result = try kernel.perform(operation.name, input: input, context: context)
        cli.print(result, options)
        return 0
    }

    /// Turns flags into typed input. Secrets never come from flags.
    func parseInput(_ operation: OperationSpec, _ arguments: [String]) throws -> Value.Object {
        let command = "souk \(operation.group) \(operation.verb)"
        var input = Value.Object()
        var index = 0
        var positionals = operation.fields.filter(\.positional)
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else {
                guard !positionals.isEmpty else {
                    throw KernelError(.usage, "unexpected argument '\(argument)' for '\(command)'; run '\(command) --help'")
                }
                let field = positionals.removeFirst()
                input[field.name] = try field.type.parse(argument, field: field.name)
                index += 1
                continue
            }
            var flag = String(argument.dropFirst(2))
            var inline: String?
            if let equals = flag.firstIndex(of: "=") {
                inline = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            }
            var name = flag.replacingOccurrences(of: "-", with: "_")
            // `--csv-file PATH` reads the text field `csv` from a file.
            var fromFile = false
            if operation.fields.first(where: { $0.name == name }) == nil, name.hasSuffix("_file"),
               let base = operation.fields.first(where: { $0.name == String(name.dropLast(5)) }), base.type == .string, !base.secret {
                name = base.name
                fromFile = true
            }
            guard let field = operation.fields.first(where: { $0.name == name }), !field.secret else {
                throw cli.unknownFlag("--\(flag)", command: command)
            }
            guard input[field.name] == nil else { throw KernelError(.usage, "flag --\(flag) given twice") }
            let text: String
            if let inline {
                text = inline
            } else if field.type == .bool, index + 1 >= arguments.count || arguments[index + 1].hasPrefix("--") {
                text = "true"
            } else {
                index += 1
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw KernelError(.usage, "flag --\(flag) needs a value")
                }
                text = arguments[index]
            }
            if fromFile {
                guard let data = FileManager.default.contents(atPath: text), let content = String(data: data, encoding: .utf8) else {
                    throw KernelError.invalid(field.name, "cannot read --\(flag) \(text): no such file, or not UTF-8 text")
                }
                input[field.name] = .string(content)
            } else {
                input[field.name] = try field.type.parse(text, field: flag)
            }
            index += 1
        }
        for field in operation.fields where field.secret && input[field.name] == nil {
            let variable = Help.secretVariable(field)
            // An optional secret (a card for a card payment only) is asked for only when set.
            if !field.required && cli.environment[variable] == nil { continue }
            input[field.name] = .string(try Prompt.secret(field.help.capitalizedFirst, environment: cli.environment,
                                                          variable: variable, confirm: variable == "SOUK_NEW_PASSWORD"))
        }
        // A field named like the global --idempotency-key flag takes its value.
        if operation.fields.contains(where: { $0.name == "idempotency_key" }), input["idempotency_key"] == nil,
           let key = options.idempotencyKey {
            input["idempotency_key"] = .string(key)
        }
        return input
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
