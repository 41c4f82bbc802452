// swift-tools-version:6.1
// The stapling scale benchmark (docs/benchmarks/stapling-scale.md). A separate package so
// that the main build stays lean; it depends on the root package by path.
//
//   swift run -c release --package-path Benchmarks/Stapling stapling-benchmark [--count N]
import PackageDescription

let package = Package(
    name: "stapling-benchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-autocert", path: "../.."),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // mallinfo2() lives in <malloc.h>, which Swift's Glibc module does not export.
        .target(name: "CMallocInfo", path: "Sources/CMallocInfo"),
        .executableTarget(
            name: "stapling-benchmark",
            dependencies: [
                "CMallocInfo",
                .product(name: "AutocertStapling", package: "swift-autocert"),
                .product(name: "AutocertStorage", package: "swift-autocert"),
                .product(name: "AutocertOCSP", package: "swift-autocert"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/StaplingBenchmark"
        ),
    ],
    swiftLanguageModes: [.v6]
)
