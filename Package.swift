// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "GumbelSoftmax",
    products: [
        .library(name: "GumbelSoftmax", targets: ["GumbelSoftmax"]),
        .executable(name: "gumbel", targets: ["gumbel"]),
        // The C ABI (include/gumbel_softmax.h): libgumbelsoftmax.so.
        .library(name: "gumbelsoftmax", type: .dynamic, targets: ["GumbelSoftmaxC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` for the DocC catalog (Sources/GumbelSoftmax/GumbelSoftmax.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // The tool's one system-call layer: FileDescriptor (EINTR retried), typed Errno.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // OpenBLAS's CBLAS and LAPACKE headers (Debian: libopenblas-dev, liblapacke-dev). Not API.
        .systemLibrary(
            name: "COpenBLAS",
            path: "Modules/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // The facts every layer reports (version, contract, tier names) and which CPU features this
        // machine has, for the tier check (Version.swift). A C target so that the `-Xswiftc
        // -target-cpu` flags of a tier never reach it. Not API.
        .target(name: "CGumbelSoftmaxCPU"),
        // The `gumbel` tool's CPU check before `main` (a C constructor), so that no Swift code compiled
        // for a tier runs on a CPU that lacks it. Linked into the tool only. Not API.
        .target(name: "CGumbelPreflight", dependencies: ["CGumbelSoftmaxCPU"]),
        .target(
            name: "GumbelSoftmax",
            dependencies: ["COpenBLAS", "CGumbelSoftmaxCPU"],
            // Vector builtins for the hot loops (Lanes.swift); swift-collections uses it the same way.
            swiftSettings: [.enableExperimentalFeature("BuiltinModule")]
        ),
        // The functions of include/gumbel_softmax.h, in C: each that runs library code checks the CPU
        // before it calls the Swift implementation (GumbelSoftmaxC's `gs_swift_...`). Linked into
        // libgumbelsoftmax.so only. Not API.
        .target(name: "CGumbelSoftmaxABI", dependencies: ["CGumbelSoftmaxCPU"]),
        // The `@c @implementation` functions behind include/gumbel_softmax.h; no Swift API of its own.
        .target(name: "GumbelSoftmaxC", dependencies: ["GumbelSoftmax", "CGumbelSoftmaxABI"]),
        .executableTarget(
            name: "gumbel",
            dependencies: [
                "CGumbelPreflight",
                "GumbelSoftmax",
                "NumpyFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // NumPy .npy reading and writing for the command-line tool and its fuzzer; pure Swift.
        .target(name: "NumpyFormat"),
        .testTarget(name: "GumbelCLITests", dependencies: ["gumbel", "GumbelSoftmax", "NumpyFormat"]),
        .testTarget(name: "GumbelSoftmaxTests", dependencies: ["GumbelSoftmax"]),
    ],
    swiftLanguageModes: [.v6]
)
