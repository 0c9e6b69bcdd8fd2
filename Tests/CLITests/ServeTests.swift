import Foundation
import XCTest
import Kernel
import KernelTesting
import HTTPTestClient

/// `souk serve` as a real process: a plugin built out of tree and loaded from a `.so` is
/// served over HTTP with no host change, and SIGTERM stops it cleanly.
final class ServeTests: XCTestCase {
    /// Starts `souk serve` on a free port and returns the process and the port.
    private func serve(_ souk: SoukProcess) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SoukProcess.binary)
        process.arguments = ["--data", souk.data, "serve", "--listen", "127.0.0.1:0"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let data = out.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            line += String(decoding: data, as: UTF8.self)
        }
        guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = Int(line[range].split(separator: ":")[1]) else {
            process.terminate()
            throw KernelError(.internal, "souk serve did not report its port: \(line)")
        }
        return (process, port)
    }

    func testADynamicPluginIsServedOverHTTPAndSIGTERMStopsCleanly() throws {
        guard FileManager.default.fileExists(atPath: PluginLoadingTests.example) else {
            XCTFail("build the example plugin first: swift build --package-path examples/GiftWrap (scripts/test does)")
            return
        }
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"], dynamic: true)
        try souk.ok(["--as", "op@souk.test", "plugin", "install", PluginLoadingTests.example])
        let (process, port) = try serve(souk)
        defer { if process.isRunning { process.terminate() } }

        let client = try TestClient(port: port)
        let signIn = try client.request("POST", "/v1/auth/sign-in", body: #"{"email":"op@souk.test","password":"\#(SoukProcess.password)"}"#)
        let token = try XCTUnwrap(signIn.json["token"]?.stringValue, signIn.text)
        let openAPI = try client.request("GET", "/v1/openapi.json")
        XCTAssertEqual(openAPI.json["paths"]?["/v1/shops/{shop}/giftwrap/request"]?["post"]?["operationId"]?.stringValue, "giftwrap.request")

        let auth = ["Authorization": "Bearer \(token)"]
        let requested = try client.request("POST", "/v1/shops/north/giftwrap/request", body: #"{"order":"N-7","note":"For you"}"#, headers: auth)
        XCTAssertEqual(requested.status, 200, requested.text)
        let listed = try client.request("GET", "/v1/shops/north/giftwrap/list", headers: auth)
        XCTAssertEqual(listed.status, 200, listed.text)
        XCTAssertTrue(listed.text.contains("N-7"), listed.text)
        let unknownField = try client.request("POST", "/v1/shops/north/giftwrap/request", body: #"{"order":"N-8","ribbon":"red"}"#, headers: auth)
        XCTAssertEqual(unknownField.status, 422, unknownField.text)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertThrowsError(try TestClient(port: port), "the port still accepts connections after SIGTERM")
    }

    /// Reads answered from the server's memory follow writes made by another process at
    /// once: a `souk` command renames the product and revokes a role while the server runs.
    func testWritesOfAnotherProcessAreServedAtOnce() throws {
        let folder = try TemporaryDirectory()
        let souk = try SoukProcess.initialised(folder, shops: ["north"])
        let op = ["--as", "op@souk.test"]
        try souk.ok(op + ["catalog", "product", "create", "--shop", "north", "--handle", "tea", "--title", "Green tea"])
        try souk.ok(op + ["staff", "add", "--shop", "north", "--email", "clerk@souk.test", "--role", "clerk"],
                    env: ["SOUK_NEW_PASSWORD": SoukProcess.password])
        let (process, port) = try serve(souk)
        defer { if process.isRunning { process.terminate() } }

        let client = try TestClient(port: port)
        let signIn = try client.request("POST", "/v1/auth/sign-in", body: #"{"email":"clerk@souk.test","password":"\#(SoukProcess.password)"}"#)
        let auth = ["Authorization": "Bearer \(try XCTUnwrap(signIn.json["token"]?.stringValue, signIn.text))"]
        let path = "/v1/shops/north/catalog/product/show?handle=tea"
        let first = try client.request("GET", path, headers: auth)
        XCTAssertEqual(first.json["title"], "Green tea", first.text)
        let again = try client.request("GET", path, headers: auth)
        XCTAssertEqual(again.header("ETag"), first.header("ETag"))
        XCTAssertEqual(again.text, first.text)

        try souk.ok(op + ["catalog", "product", "update", "--shop", "north", "--handle", "tea", "--title", "Sencha"])
        let renamed = try client.request("GET", path, headers: auth)
        XCTAssertEqual(renamed.json["title"], "Sencha", renamed.text)
        XCTAssertNotEqual(renamed.header("ETag"), first.header("ETag"))

        try souk.ok(op + ["staff", "revoke", "--shop", "north", "--email", "clerk@souk.test", "--role", "clerk"])
        let refused = try client.request("GET", path, headers: auth)
        XCTAssertEqual(refused.status, 403, refused.text)
    }
}
