// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for every parser that reads bytes from the network, from a CA or from
// storage, kept out of the root package so the main build never needs -sanitize=fuzzer.
// Build and run one: scripts/fuzz.sh TARGET (docs/testing.md, "Fuzzing").
let package = Package(
    name: "autocert-fuzz",
    dependencies: [
        .package(name: "swift-autocert", path: ".."),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The libFuzzer driver and the input-derived chunking every target shares.
        .target(name: "FuzzDriver"),
        // A backend's server handler in an EmbeddedChannel, for the two TLS handler targets.
        .target(
            name: "TLSHandlerFuzzDriver",
            dependencies: [
                "FuzzDriver",
                .product(name: "AutocertTLS", package: "swift-autocert"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "ClientHelloFuzzer",
            dependencies: ["FuzzDriver", .product(name: "AutocertTLS", package: "swift-autocert")]
        ),
        .executableTarget(
            name: "TLSHandlerOpenSSLFuzzer",
            dependencies: ["FuzzDriver", "TLSHandlerFuzzDriver", .product(name: "AutocertOpenSSL", package: "swift-autocert")]
        ),
        .executableTarget(
            name: "TLSHandlerGnuTLSFuzzer",
            dependencies: ["FuzzDriver", "TLSHandlerFuzzDriver", .product(name: "AutocertGnuTLS", package: "swift-autocert")]
        ),
        .executableTarget(
            name: "ACMEResponseFuzzer",
            dependencies: ["FuzzDriver", .product(name: "AutocertACME", package: "swift-autocert")]
        ),
        .executableTarget(
            name: "StoredRecordFuzzer",
            dependencies: [
                "FuzzDriver",
                .product(name: "Autocert", package: "swift-autocert"),
                .product(name: "AutocertACME", package: "swift-autocert"),
                .product(name: "AutocertTLS", package: "swift-autocert"),
            ]
        ),
        .executableTarget(
            name: "OCSPResponseFuzzer",
            dependencies: ["FuzzDriver", .product(name: "AutocertOCSP", package: "swift-autocert")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
