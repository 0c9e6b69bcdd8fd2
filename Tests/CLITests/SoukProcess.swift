import Foundation
import XCTest
import Kernel
import KernelTesting

/// Runs the real `souk` binary built next to the test bundle.
struct SoukProcess {
    static let buildFolder: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()
    static let binary = (buildFolder as NSString).appendingPathComponent("souk")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let data: String
    var environment: [String: String] = [:]

    init(data: String) { self.data = data }

    @discardableResult
    func run(_ arguments: [String], env extra: [String: String] = [:], withData: Bool = true) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = (withData ? ["--data", data] : []) + arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        env.merge(extra) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // Foundation's Process.run is not safe to call from several threads at once on Linux
        // (it crashed copying the environment in a concurrent test): launches take turns, the
        // processes then run side by side.
        try Self.launching.withLock { try process.run() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs and fails the test unless the exit status is 0.
    @discardableResult
    func ok(_ arguments: [String], env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let result = try run(arguments, env: env)
        XCTAssertEqual(result.status, 0, "souk \(arguments.joined(separator: " ")) failed: \(result.stderr)", file: file, line: line)
        return result
    }

    private static let launching = NSLock()

    static let password = "operator-pass-1"

    /// A data folder with an operator (`op@souk.test`) and the given shops.
    static func initialised(_ folder: TemporaryDirectory, shops: [String] = [], dynamic: Bool = false) throws -> SoukProcess {
        var souk = SoukProcess(data: folder.file("data"))
        souk.environment = ["SOUK_NEW_PASSWORD": password, "SOUK_PASSWORD": password]
        try souk.ok(["init", "--operator-email", "op@souk.test"] + (dynamic ? ["--allow-dynamic-plugins"] : []))
        for shop in shops {
            try souk.ok(["--as", "op@souk.test", "shop", "create", "--code", shop, "--name", "Shop \(shop)", "--currency", "EUR"])
        }
        return souk
    }
}
