import Foundation
import Kernel

/// The `souk` command line: a few setup commands, and every registered operation as
/// `souk GROUP VERB --flag value`, generated from the operation registry.
public struct CLI {
    let plugins: [any Plugin]
    let environment: [String: String]
    var out: (String) -> Void = { CLI.write($0, to: STDOUT_FILENO) }
    var err: (String) -> Void = { CLI.write($0, to: STDERR_FILENO) }

    /// Writes all of `text`, giving up quietly when the reader has gone (`souk ... | head`):
    /// FileHandle traps on EPIPE, and the work it reports on is already committed.
    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
        }
    }

    /// `plugins` are the plugins linked into this binary (the composition root lists them).
    public init(plugins: [any Plugin], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plugins = plugins
        self.environment = environment
    }

    /// Runs one command line (without the program name) and returns the exit status.
    public func run(_ arguments: [String]) -> Int32 {
        var json = arguments.contains("--json")
        do {
            let (options, rest) = try GlobalOptions.extract(from: arguments, environment: environment)
            json = options.json
            return try dispatch(options, rest)
        } catch {
            let kernelError = KernelError.wrap(error)
            err(Output.error(kernelError, json: json))
            return ExitCode.of(kernelError.code)
        }
    }

    private func dispatch(_ options: GlobalOptions, _ words: [String]) throws -> Int32 {
        let command = words.first { !$0.hasPrefix("-") }
        switch command {
        case nil, "help":
            if let first = words.first, first.hasPrefix("-") { throw unknownFlag(first, command: "souk") }
            out(Help.top(try kernelForHelp(options)))
            return 0
        case "version":
            out("souk \(Kernel.version)\n")
            return 0
        case "init":
            return try InitCommand(cli: self, options: options, arguments: Array(words.dropFirst())).run()
        case "login":
            return try LoginCommand(cli: self, options: options, arguments: Array(words.dropFirst())).run()
        case "serve":
            return try ServeCommand(cli: self, options: options, arguments: Array(words.dropFirst())).run()
        case "demo":
            return try DemoCommand(cli: self, options: options, arguments: Array(words.dropFirst())).run()
        default:
            if words.first!.hasPrefix("-") { throw unknownFlag(words.first!, command: "souk") }
            if words.count >= 2, words[0] == "plugin", ["install", "inspect"].contains(words[1]) {
                return try PluginFileCommand(cli: self, options: options, verb: words[1], arguments: Array(words.dropFirst(2))).run()
            }
            return try OperationCommand(cli: self, options: options, words: words).run()
        }
    }

    func unknownFlag(_ flag: String, command: String) -> KernelError {
        KernelError(.usage, "unknown flag \(flag) for '\(command)'; run '\(command) --help'")
    }

    // MARK: Kernel and actor

    var databaseExists: (String) -> Bool = { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("souk.sqlite")) }

    /// Opens the kernel on an existing data folder; a missing folder is an error that says
    /// how to create one.
    func openKernel(_ options: GlobalOptions) throws -> Kernel {
        guard databaseExists(options.dataDirectory) else {
            throw KernelError(.notFound, "no Souk data folder at \(options.dataDirectory); create one with: souk init --operator-email EMAIL (or pass --data DIR)")
        }
        return try makeKernel(options, directory: options.dataDirectory)
    }

    func makeKernel(_ options: GlobalOptions, directory: String) throws -> Kernel {
        let kernel = try Kernel(dataDirectory: directory, plugins: plugins, pluginDirectories: options.pluginDirectories)
        for failure in kernel.failures { err("warning: \(failure.error.message)\n") }
        return kernel
    }

    /// Help lists the operations of the data folder's plugins when there is a data folder,
    /// else those of the built-in plugins on a throwaway store.
    func kernelForHelp(_ options: GlobalOptions) throws -> Kernel {
        if databaseExists(options.dataDirectory) { return try makeKernel(options, directory: options.dataDirectory) }
        let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("souk-help-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try Kernel(dataDirectory: scratch, plugins: plugins)
    }

    /// The signed-in staff member from --token / SOUK_TOKEN or --as (+ SOUK_PASSWORD).
    func actor(_ kernel: Kernel, _ options: GlobalOptions) throws -> StaffAccount? {
        if let email = options.asEmail {
            let password = try Prompt.secret("the password for \(email)", environment: environment, variable: "SOUK_PASSWORD")
            return try kernel.verifyPassword(email: email, password: password)
        }
        if let token = options.token { return try kernel.authenticate(token: token) }
        return nil
    }

    func print(_ value: Value, _ options: GlobalOptions) { out(Output.render(value, json: options.json)) }
}
