// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "GumbelSoftmax",
    products: [
        .library(name: "GumbelSoftmax", targets: ["GumbelSoftmax"]),
        .executable(name: "gumbel", targets: ["gumbel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // OpenBLAS's CBLAS and LAPACKE headers (Debian: libopenblas-dev, liblapacke-dev). Not API.
        .systemLibrary(
            name: "COpenBLAS",
            path: "Modules/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "GumbelSoftmax", dependencies: ["COpenBLAS"]),
        .executableTarget(
            name: "gumbel",
            dependencies: [
                "GumbelSoftmax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "GumbelSoftmaxTests", dependencies: ["GumbelSoftmax"]),
    ],
    swiftLanguageModes: [.v6]
)
