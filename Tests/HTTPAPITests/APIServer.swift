import Foundation
import HTTPServer
import Kernel
import HTTPTestClient
import KernelTesting
import SoukCLI
import SoukHTTP
import Catalog
import Customers
import Orders
import Payment
import Shipping
import Inventory

/// A real server on 127.0.0.1 (ephemeral port) over a copy of the demo data folder, with
/// the commerce plugins and a clock the test controls.
final class APIServer {
    static func plugins() -> [any Plugin] {
        [CatalogPlugin(), CustomersPlugin(), OrdersPlugin(), PaymentPlugin(), ShippingPlugin(), InventoryPlugin()]
    }
    static let password = "demo-password"

    /// The demo folder is built once per test run and copied for each server.
    private static let template: String = {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("souk-http-demo-\(getpid())")
        try? FileManager.default.removeItem(atPath: folder)
        let status = CLI(plugins: plugins(), environment: [:]).run(["--data", folder, "demo", "--json"])
        precondition(status == 0, "souk demo failed with status \(status)")
        return folder
    }()

    let directory: TemporaryDirectory
    let clock = FixedClock(Date())
    let kernel: Kernel
    let api: SoukAPI
    let server: HTTPServer
    let port: Int

    init(anonymousWriteLimit: (perSecond: Double, burst: Double) = (5, 30),
         configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory(prefix: "souk-http")
        let data = directory.file("data")
        try FileManager.default.copyItem(atPath: Self.template, toPath: data)
        kernel = try Kernel(dataDirectory: data, plugins: Self.plugins(), clock: clock)
        api = SoukAPI(kernel: kernel, anonymousWriteLimit: anonymousWriteLimit)
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        server = HTTPServer(configuration: configuration, handler: api)
        port = try server.start()
    }

    deinit {
        server.shutdown()
        server.waitUntilStopped()
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// Signs in over HTTP and returns the bearer token.
    func token(_ email: String) throws -> String {
        let response = try client().request("POST", "/v1/auth/sign-in", body: #"{"email":"\#(email)","password":"\#(Self.password)"}"#)
        guard response.status == 200, let token = response.json["token"]?.stringValue else {
            throw KernelError(.unauthenticated, "sign-in of \(email) failed: \(response.status) \(response.text)")
        }
        return token
    }

    /// Rows in the shop's audit chain, to prove that a refused request wrote nothing else.
    func auditCount() throws -> Int {
        try kernel.store.read { try $0.query("SELECT count(*) AS n FROM souk_audit").first!.int("n") }
    }
}
