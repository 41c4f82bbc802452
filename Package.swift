// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-autocert",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AutocertOCSP", targets: ["AutocertOCSP"]),
        .library(name: "AutocertHTTP", targets: ["AutocertHTTP"]),
        .executable(name: "ocsp", targets: ["OCSPCommand"]),
        .executable(name: "autocert-demo-ca", targets: ["DemoCA"]),
        // MARK: products: stapling (issue 3)
        // MARK: products: TLS (issue 4)
        // MARK: products: autocert (issue 6)
        // MARK: products: ACME (issue 5)
        .library(name: "AutocertACME", targets: ["AutocertACME"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: HTTP transport (libcurl)
        .systemLibrary(
            name: "CAutocertCurl",
            path: "Sources/CAutocertCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "AutocertHTTP",
            dependencies: ["CAutocertCurl"]
        ),

        // MARK: OCSP client (no TLS, no NIO)
        .target(
            name: "AutocertOCSP",
            dependencies: [
                "AutocertHTTP",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "OCSPCommand",
            dependencies: [
                "AutocertOCSP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: targets: stapling (issue 3)
        // MARK: targets: TLS (issue 4)
        // MARK: targets: autocert (issue 6)
        // MARK: targets: ACME (issue 5)
        .target(
            name: "AutocertACME",
            dependencies: [
                "AutocertHTTP",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AutocertACMETests",
            dependencies: [
                "AutocertACME",
                "AutocertTestSupport",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // MARK: A local ACME CA with an OCSP responder, for the demo and manual tests
        .executableTarget(
            name: "DemoCA",
            dependencies: ["AutocertTestSupport"],
            path: "Examples/DemoCA"
        ),

        // MARK: Test scaffolding (free ports, child processes, bounded polls); in no product
        .target(
            name: "AutocertTestSupport",
            dependencies: [
                "AutocertHTTP",
                "AutocertOCSP",
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Resources")]
        ),

        // MARK: Tests
        .testTarget(
            name: "AutocertTestSupportTests",
            dependencies: [
                "AutocertTestSupport", "AutocertACME", "AutocertOCSP",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "AutocertHTTPTests",
            dependencies: ["AutocertHTTP", "AutocertTestSupport"]
        ),
        .testTarget(
            name: "AutocertOCSPTests",
            dependencies: [
                "AutocertOCSP",
                "AutocertHTTP",
                "AutocertTestSupport",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
