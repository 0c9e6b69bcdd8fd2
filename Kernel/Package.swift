// swift-tools-version:6.0
// The Souk kernel is a package of its own with ONE dynamic library product, so that every
// host, in-tree plugin and out-of-tree plugin links the same libKernel.so and a dlopen'ed
// plugin shares the host's types and statics. See docs/architecture.md.
import PackageDescription

let package = Package(
    name: "Kernel",
    products: [
        .library(name: "Kernel", type: .dynamic, targets: ["Kernel"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // SHA-256 on the x86 SHA extensions; the Swift code in Kernel is the fallback.
        .target(name: "CSHA256", path: "Sources/CSHA256"),
        .target(name: "Kernel", dependencies: ["CSQLite", "CCrypt", "CSHA256"]),
    ],
    swiftLanguageModes: [.v6]
)
