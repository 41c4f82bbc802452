// swift-tools-version:6.1
// HTTP/2 throughput of a Hummingbird 2 app behind Autocert's TLS handler (AutocertHummingbird,
// OpenSSL and GnuTLS backends) and behind NIOSSL (Hummingbird's own HTTP2UpgradeChannel).
// A separate package so that the root build never depends on NIOSSL.
//
//   Benchmarks/HummingbirdH2/run.sh     (builds, installs h2load, prints medians and ratios)
import PackageDescription

let package = Package(
    name: "hummingbird-h2-benchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-autocert", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "h2-bench-server",
            dependencies: [
                .product(name: "AutocertHummingbird", package: "swift-autocert"),
                .product(name: "AutocertOpenSSL", package: "swift-autocert"),
                .product(name: "AutocertGnuTLS", package: "swift-autocert"),
                .product(name: "AutocertTLS", package: "swift-autocert"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/H2BenchServer"
        ),
    ],
    swiftLanguageModes: [.v6]
)
