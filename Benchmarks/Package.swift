// swift-tools-version: 6.0
// Timing harness, kept in a nested package so that users of GumbelSoftmax never build it.
// `make bench-kernel` (in the parent directory) builds it with the tier's flags, passed on the
// command line so that they reach the library too.
import PackageDescription

let package = Package(
    name: "GumbelBenchmarks",
    dependencies: [.package(name: "GumbelSoftmax", path: "..")],
    targets: [
        .executableTarget(
            name: "GumbelBenchmarks",
            dependencies: [.product(name: "GumbelSoftmax", package: "GumbelSoftmax")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
