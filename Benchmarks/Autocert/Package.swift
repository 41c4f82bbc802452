// swift-tools-version:6.1
// The Manager's warm-path benchmark (docs/autocert.md): median selection time with 100,000
// names held. A separate package so that the main build stays lean.
//
//   swift run -c release --package-path Benchmarks/Autocert autocert-benchmark [--count N]
import PackageDescription

let package = Package(
    name: "autocert-benchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-autocert", path: "../.."),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "autocert-benchmark",
            dependencies: [
                .product(name: "Autocert", package: "swift-autocert"),
                .product(name: "AutocertTLS", package: "swift-autocert"),
                .product(name: "AutocertStorage", package: "swift-autocert"),
                .product(name: "AutocertStapling", package: "swift-autocert"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Sources/AutocertBenchmark"
        ),
    ],
    swiftLanguageModes: [.v6]
)
