// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "Souk",
    dependencies: [.package(path: "Kernel"), .package(path: "Kernel/Testing")],
    targets: [
        .testTarget(name: "ProbeTests", dependencies: [.product(name: "Kernel", package: "Kernel"), .product(name: "KernelTesting", package: "Testing")]),
    ],
    swiftLanguageModes: [.v6]
)
