// swift-tools-version:6.1
import PackageDescription

// A libFuzzer target for the OCSP response parser and verifier, kept out of the root
// package so the main build never needs -sanitize=fuzzer. Build and run: scripts/fuzz.sh.
let package = Package(
    name: "autocert-fuzz",
    dependencies: [
        .package(name: "swift-autocert", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "OCSPResponseFuzzer",
            dependencies: [.product(name: "AutocertOCSP", package: "swift-autocert")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
