// swift-tools-version:6.0
// KernelTesting lives in a package of its own: a second product in the Kernel package would
// link a private copy of the kernel into it (SwiftPM links same-package targets as object
// code), and a test binary would then hold two kernels.
import PackageDescription

let package = Package(
    name: "KernelTesting",
    products: [.library(name: "KernelTesting", targets: ["KernelTesting"])],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "KernelTesting", dependencies: [.product(name: "Kernel", package: "Kernel")]),
    ],
    swiftLanguageModes: [.v6]
)
