// swift-tools-version:6.0
// An out-of-tree Souk plugin: it depends on the Kernel package and nothing else.
// `swift build` here produces .build/debug/libGiftWrap.so, which `souk plugin install` accepts.
import PackageDescription

let package = Package(
    name: "GiftWrap",
    products: [
        // The .so: only the tiny entry target, which links the plugin's code into it.
        .library(name: "GiftWrap", type: .dynamic, targets: ["GiftWrapEntry"]),
        // The plugin's code, for hosts that link it statically.
        .library(name: "GiftWrapPlugin", targets: ["GiftWrap"]),
    ],
    dependencies: [
        // In your own package: .package(path: "/path/to/souk/Kernel")
        .package(path: "../../Kernel"),
    ],
    targets: [
        .target(name: "GiftWrap", dependencies: [.product(name: "Kernel", package: "Kernel")]),
        .target(name: "GiftWrapEntry", dependencies: ["GiftWrap", .product(name: "Kernel", package: "Kernel")]),
    ],
    swiftLanguageModes: [.v6]
)
