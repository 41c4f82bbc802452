// swift-tools-version:6.1
// Server CPU per HTTPS request on kept-alive TLS 1.3 connections: the same minimal HTTP/1.1
// handlers (SwiftNIO's HTTP codec, a 40-byte body) behind Autocert's TLS handler (OpenSSL and
// GnuTLS backends), behind NIOSSL, and with no TLS at all. A separate package so that the root
// build never depends on NIOSSL.
//
//   Benchmarks/KeptAliveHTTPS/run.sh     (builds, installs wrk and nginx, prints medians and ratios)
import PackageDescription

let package = Package(
    name: "kept-alive-https-benchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-autocert", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "keptalive-bench-server",
            dependencies: [
                .product(name: "AutocertOpenSSL", package: "swift-autocert"),
                .product(name: "AutocertGnuTLS", package: "swift-autocert"),
                .product(name: "AutocertTLS", package: "swift-autocert"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/KeptAliveServer"
        ),
    ],
    swiftLanguageModes: [.v6]
)
