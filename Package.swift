// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-autocert",
    platforms: [.macOS(.v15)],
    products: [
        // MARK: OCSP client, HTTP transports, executables
        .library(name: "AutocertOCSP", targets: ["AutocertOCSP"]),
        .library(name: "AutocertHTTP", targets: ["AutocertHTTP"]),
        .library(name: "AutocertCurl", targets: ["AutocertCurl"]),
        .executable(name: "ocsp", targets: ["OCSPCommand"]),
        .executable(name: "autocert-demo-ca", targets: ["DemoCA"]),
        .executable(name: "ocsp-custom-transport", targets: ["OCSPCustomTransport"]),
        // MARK: Storage and stapling
        .library(name: "AutocertStorage", targets: ["AutocertStorage"]),
        .library(name: "AutocertPostgres", targets: ["AutocertPostgres"]),
        .library(name: "AutocertStapling", targets: ["AutocertStapling"]),
        // MARK: TLS seam, backends, example server
        .library(name: "AutocertTLS", targets: ["AutocertTLS"]),
        .library(name: "AutocertOpenSSL", targets: ["AutocertOpenSSL"]),
        .library(name: "AutocertGnuTLS", targets: ["AutocertGnuTLS"]),
        .library(name: "AutocertStaplingTLS", targets: ["AutocertStaplingTLS"]),
        .executable(name: "autocert-server", targets: ["AutocertServer"]),
        // MARK: Hummingbird 2 (automatic certificates, stapling, HTTP/1.1 + HTTP/2 over either backend)
        .library(name: "AutocertHummingbird", targets: ["AutocertHummingbird"]),
        .executable(name: "autocert-hummingbird", targets: ["HummingbirdApp"]),
        // MARK: Autocert (the Manager)
        .library(name: "Autocert", targets: ["Autocert"]),
        // MARK: ACME client
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
        // AutocertHummingbird: Hummingbird's HTTP/1.1 channel, NIOHTTP2 and NIOHTTPTypesHTTP2 (from
        // swift-nio-extras, which Hummingbird already uses) for HTTP/2; never HummingbirdHTTP2 or
        // HummingbirdTLS, which bring NIOSSL. No traits: swift-configuration is not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // The example servers' /metrics endpoint (never a library's dependency)
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: HTTP transport (the protocol only; no C library)
        .target(name: "AutocertHTTP"),

        // MARK: libcurl transport (the default wherever it is linked)
        .systemLibrary(
            name: "CAutocertCurl",
            path: "Sources/CAutocertCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "AutocertCurl",
            dependencies: ["AutocertHTTP", "CAutocertCurl"]
        ),

        // MARK: OCSP client (no TLS, no NIO, no libcurl: the caller passes a transport)
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
                "AutocertCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Storage and stapling
        .target(name: "AutocertStorage", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(
            name: "AutocertStapling",
            dependencies: [
                "AutocertOCSP",
                "AutocertCurl",
                "AutocertStorage",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // PostgreSQL storage: blobs, leased locks with fencing tokens, LISTEN/NOTIFY changes
        .target(
            name: "AutocertPostgres",
            dependencies: [
                "AutocertStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Opens a storage named on its command line and takes a lock over and over (the
        // conformance suite's several-process lock test); in no product
        .executableTarget(
            name: "AutocertStorageProbe",
            dependencies: ["AutocertStorage", "AutocertPostgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AutocertStorageProbe"
        ),
        .testTarget(
            name: "AutocertStorageTests",
            dependencies: [
                "AutocertStorage",
                "AutocertPostgres",
                "AutocertTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AutocertStaplingTests",
            dependencies: [
                "AutocertStapling",
                "AutocertOCSP",
                "AutocertHTTP",
                "AutocertCurl",
                "AutocertStorage",
                "AutocertTestSupport",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // MARK: TLS seam, backends, example server
        .target(
            name: "AutocertTLS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .systemLibrary(
            name: "CAutocertOpenSSL",
            path: "Adapters/OpenSSL/CAutocertOpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "AutocertOpenSSL",
            dependencies: ["AutocertTLS", "CAutocertOpenSSL", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Adapters/OpenSSL/AutocertOpenSSL"
        ),
        .systemLibrary(
            name: "CAutocertGnuTLS",
            path: "Adapters/GnuTLS/CAutocertGnuTLS",
            pkgConfig: "gnutls",
            providers: [.apt(["libgnutls28-dev"])]
        ),
        .target(
            name: "AutocertGnuTLS",
            dependencies: ["AutocertTLS", "CAutocertGnuTLS", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Adapters/GnuTLS/AutocertGnuTLS"
        ),
        // The glue that makes a StaplingManager the TLS layer's staple source (neither knows the other)
        .target(
            name: "AutocertStaplingTLS",
            dependencies: ["AutocertStapling", "AutocertTLS", "AutocertOCSP"]
        ),
        .executableTarget(
            name: "AutocertServer",
            dependencies: [
                "Autocert",
                "AutocertOCSP",
                "AutocertStapling",
                "AutocertStaplingTLS",
                "AutocertStorage",
                "AutocertTLS",
                "AutocertOpenSSL",
                "AutocertGnuTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                "ExampleSupport",
            ],
            path: "Examples/AutocertServer"
        ),
        // What both example servers share: certificate and ACME flags, backends, the metrics
        // (Prometheus text) and health endpoints; in no product
        .target(
            name: "ExampleSupport",
            dependencies: [
                "Autocert",
                "AutocertOCSP",
                "AutocertStapling",
                "AutocertStaplingTLS",
                "AutocertStorage",
                "AutocertPostgres",
                "AutocertTLS",
                "AutocertOpenSSL",
                "AutocertGnuTLS",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "Examples/Support"
        ),
        // MARK: Hummingbird 2
        .target(
            name: "AutocertHummingbird",
            dependencies: [
                "Autocert",
                "AutocertTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "HummingbirdApp",
            dependencies: [
                "AutocertHummingbird",
                "Autocert",
                "AutocertOCSP",
                "AutocertStapling",
                "AutocertStaplingTLS",
                "AutocertStorage",
                "AutocertTLS",
                "AutocertOpenSSL",
                "AutocertGnuTLS",
                "ExampleSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "Examples/HummingbirdApp"
        ),
        .testTarget(
            name: "ExampleSupportTests",
            dependencies: [
                "ExampleSupport",
                "AutocertStapling",
                "AutocertStaplingTLS",
                "AutocertStorage",
                "AutocertTLS",
                "AutocertTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TLSBackendTests",
            dependencies: [
                "AutocertTLS",
                "AutocertOpenSSL",
                "CAutocertOpenSSL", // to leave a stale entry on OpenSSL's error queue
                "AutocertGnuTLS",
                "AutocertTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // MARK: Autocert (the Manager)
        .target(
            name: "Autocert",
            dependencies: [
                "AutocertTLS",
                "AutocertStaplingTLS",
                "AutocertACME",
                "AutocertStapling",
                "AutocertStorage",
                "AutocertOCSP",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AutocertTests",
            dependencies: [
                "Autocert",
                "AutocertACME",
                "AutocertHTTP",
                "AutocertOpenSSL",
                "AutocertGnuTLS",
                "AutocertTLS",
                "AutocertStapling",
                "AutocertStorage",
                "AutocertOCSP",
                "AutocertTestSupport",
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // MARK: ACME client
        .target(
            name: "AutocertACME",
            dependencies: [
                "AutocertHTTP",
                "AutocertCurl",
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
                "AutocertHTTP",
                "AutocertCurl",
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

        // MARK: The OCSP client on a transport of the user's own (links no libcurl)
        .executableTarget(
            name: "OCSPCustomTransport",
            dependencies: ["AutocertOCSP", "AutocertHTTP"],
            path: "Examples/OCSPCustomTransport"
        ),

        // MARK: Test scaffolding (free ports, child processes, bounded polls); in no product
        .target(
            name: "AutocertTestSupport",
            dependencies: [
                "AutocertACME",
                "AutocertHTTP",
                "AutocertCurl",
                "AutocertOCSP",
                "AutocertStapling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Resources")]
        ),

        // MARK: Tests
        .testTarget(
            name: "AutocertTestSupportTests",
            dependencies: [
                "AutocertTestSupport", "AutocertACME", "AutocertOCSP", "AutocertCurl",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "AutocertHTTPTests",
            dependencies: ["AutocertHTTP", "AutocertCurl", "AutocertTestSupport"]
        ),
        .testTarget(
            name: "AutocertOCSPTests",
            dependencies: [
                "AutocertOCSP",
                "AutocertHTTP",
                "AutocertCurl",
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
