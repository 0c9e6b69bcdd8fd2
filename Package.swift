// swift-tools-version:6.0
// Souk: hosts, in-tree plugins and their tests. The kernel is a package of its own
// (Kernel/) with one dynamic library product; see docs/architecture.md for why.
import PackageDescription

let kernel: Target.Dependency = .product(name: "Kernel", package: "Kernel")
let kernelTesting: Target.Dependency = .product(name: "KernelTesting", package: "Testing")

let package = Package(
    name: "Souk",
    products: [
        .executable(name: "souk", targets: ["souk"]),
    ],
    dependencies: [
        .package(path: "Kernel"),
        .package(path: "Kernel/Testing"),
    ],
    targets: [
        .target(name: "SoukCLI", dependencies: [kernel], path: "Hosts/CLI/Sources/SoukCLI"),
        .executableTarget(name: "souk", dependencies: [kernel, "SoukCLI"], path: "Hosts/CLI/Sources/souk"),
        .testTarget(name: "KernelTests", dependencies: [kernel, kernelTesting], path: "Tests/KernelTests"),
        .testTarget(name: "CLITests", dependencies: [kernel, kernelTesting], path: "Tests/CLITests"),
    ],
    swiftLanguageModes: [.v6]
)
