// swift-tools-version: 6.0
// Timing harness, kept in a nested package so that users of GumbelSoftmax never build it.
// `make bench` (in the parent directory) builds it twice: with default release flags and with the
// flags the README recommends (passed on the command line, so they reach the library too).
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
