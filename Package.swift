// swift-tools-version:6.0
// Souk: hosts, in-tree plugins and their tests. The kernel is a package of its own
// (Kernel/) with one dynamic library product; see docs/architecture.md for why.
import PackageDescription

let kernel: Target.Dependency = .product(name: "Kernel", package: "Kernel")
let kernelTesting: Target.Dependency = .product(name: "KernelTesting", package: "Testing")

// Broken plugins built as .so files for the loader's failure-path tests.
let fixtures = ["Throwing", "MissingDependency", "Incompatible", "WrongABI", "Duplicate", "WrongFingerprint"]
let fixtureProducts: [Product] = fixtures.map { .library(name: "Fixture\($0)", type: .dynamic, targets: ["Fixture\($0)"]) }
let fixtureTargets: [Target] = fixtures.map { .target(name: "Fixture\($0)", dependencies: [kernel], path: "Tests/Fixtures/\($0)") }

// In-tree plugins: each is a plain target (linked into the hosts) plus a tiny entry target
// that is the only member of its own .dynamic product (the .so for `souk plugin install`).
let plugins = ["Catalog", "Customers", "Orders", "Payment", "Shipping", "Inventory"]
let pluginProducts: [Product] = plugins.map { .library(name: "Souk\($0)", type: .dynamic, targets: ["\($0)Entry"]) }
let pluginTargets: [Target] = plugins.flatMap { name -> [Target] in [
    .target(name: name, dependencies: [kernel], path: "Plugins/\(name)/Sources/\(name)"),
    .target(name: "\(name)Entry", dependencies: [kernel, .target(name: name)], path: "Plugins/\(name)/Sources/\(name)Entry"),
] }
let pluginDependencies: [Target.Dependency] = plugins.map { .target(name: $0) }

let package = Package(
    name: "Souk",
    products: [
        .executable(name: "souk", targets: ["souk"]),
        .executable(name: "souk-bench", targets: ["souk-bench"]),
    ] + pluginProducts + fixtureProducts,
    dependencies: [
        .package(path: "Kernel"),
        .package(path: "Kernel/Testing"),
    ],
    targets: [
        // The HTTP host: a server on POSIX sockets (no kernel inside), and the API that puts
        // the kernel's operations behind it.
        .target(name: "CHTTPShim", path: "Hosts/HTTP/Sources/CHTTPShim"),
        .target(name: "HTTPServer", dependencies: ["CHTTPShim"], path: "Hosts/HTTP/Sources/HTTPServer"),
        .target(name: "SoukHTTP", dependencies: [kernel, "HTTPServer"], path: "Hosts/HTTP/Sources/SoukHTTP"),
        .target(name: "SoukCLI", dependencies: [kernel, "SoukHTTP", "HTTPServer"], path: "Hosts/CLI/Sources/SoukCLI"),
        .executableTarget(name: "souk", dependencies: [kernel, "SoukCLI"] + pluginDependencies, path: "Hosts/CLI/Sources/souk"),
        .executableTarget(name: "souk-bench", dependencies: [kernel] + pluginDependencies, path: "Benchmarks/CheckoutBenchmark"),
        .testTarget(name: "KernelTests", dependencies: [kernel, kernelTesting], path: "Tests/KernelTests"),
        .testTarget(name: "CLITests", dependencies: [kernel, kernelTesting, "souk", "HTTPTestClient"], path: "Tests/CLITests"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], path: "Tests/HTTPServerTests"),
        // A blocking HTTP client over a real socket, shared by the tests that talk to a server.
        .target(name: "HTTPTestClient", dependencies: [kernel], path: "Tests/Support/HTTPTestClient"),
        .testTarget(name: "HTTPAPITests", dependencies: [kernel, kernelTesting, "SoukHTTP", "HTTPServer", "SoukCLI", "HTTPTestClient"] + pluginDependencies,
                    path: "Tests/HTTPAPITests"),
        .testTarget(name: "CommerceTests", dependencies: [kernel, kernelTesting] + pluginDependencies, path: "Tests/CommerceTests"),
    ] + pluginTargets + fixtureTargets,
    swiftLanguageModes: [.v6]
)
