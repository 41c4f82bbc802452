// swift-tools-version:6.1
import PackageDescription

// Parse+verify throughput of AutocertOCSP's OCSPVerifier against OpenSSL's OCSP_basic_verify,
// in one process, on the same responses. A separate package so the root build stays lean.
// Run: scripts/bench-ocsp.sh (docs/benchmarks/ocsp-verify.md).
let package = Package(
    name: "ocsp-verify-benchmark",
    dependencies: [
        .package(name: "swift-autocert", path: "../.."),
    ],
    targets: [
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "COpenSSLOCSPBench",
            dependencies: ["CLibcrypto"],
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .executableTarget(
            name: "OCSPVerifyBenchmark",
            dependencies: [
                "COpenSSLOCSPBench",
                .product(name: "AutocertOCSP", package: "swift-autocert"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
