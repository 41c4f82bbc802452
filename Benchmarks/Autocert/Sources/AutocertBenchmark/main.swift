import Autocert
import AutocertStapling
import AutocertStorage
import AutocertTLS
import Crypto
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import X509

/// A CA that signs at once, in process: enough to fill the Manager with real certificates.
final class InstantCA: CertificateAuthority {
    let key = P256.Signing.PrivateKey()
    let name: DistinguishedName
    let der: [UInt8]

    init() throws {
        name = try DistinguishedName { CommonName("Benchmark CA") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-3600), notValidAfter: Date().addingTimeInterval(365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: .init(key))
        der = try Self.encode(certificate)
    }

    static func encode(_ certificate: Certificate) throws -> [UInt8] {
        try certificate.serializeAsPEM().derBytes
    }

    func issueCertificate(_ request: CertificateRequest, challenges: ChallengeAnswers) async throws -> [[UInt8]] {
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.privateKey.publicKey,
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(90 * 86_400),
            issuer: name, subject: try DistinguishedName { CommonName(request.names[0]) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectAlternativeNames(request.names.map { .dnsName($0) }) },
            issuerPrivateKey: .init(key))
        return [try Self.encode(leaf), der]
    }

    func revokeCertificate(_ leafDER: [UInt8], reason: Int?) async throws {}
}

let count: Int = {
    guard let index = CommandLine.arguments.firstIndex(of: "--count"), index + 1 < CommandLine.arguments.count,
          let value = Int(CommandLine.arguments[index + 1]) else { return 100_000 }
    return value
}()
let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
let manager = try Manager(
    configuration: .init(storage: MemoryStorage(), hostPolicy: HostPolicy { _ in true }, stapleOCSP: !CommandLine.arguments.contains("--no-staple")),
    certificateAuthority: try InstantCA(), logger: logger)
let names = (0..<count).map { "host\($0).bench.example" }

let fillStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    var next = 0
    for _ in 0..<64 {
        guard next < names.count else { break }
        let name = names[next]; next += 1
        group.addTask { _ = try await manager.certifiedKey(forName: name) }
    }
    while try await group.next() != nil, next < names.count {
        let name = names[next]; next += 1
        group.addTask { _ = try await manager.certifiedKey(forName: name) }
    }
}
print("filled \(count) names in \(ContinuousClock.now - fillStart)")

@MainActor func measure(_ label: String, _ body: (Int) -> Void) {
    let clock = ContinuousClock()
    var samples: [Double] = []
    var index = 0
    for _ in 0..<20_000 {
        let start = clock.now
        for _ in 0..<20 {
            index = (index &+ 7919) % count
            body(index)
        }
        let elapsed = clock.now - start
        samples.append((Double(elapsed.components.seconds) * 1e18 + Double(elapsed.components.attoseconds)) / 1e9 / 20)
    }
    samples.sort()
    let median = samples[samples.count / 2], p99 = samples[samples.count * 99 / 100]
    print("\(label): median \(String(format: "%.0f", median)) ns, p99 \(String(format: "%.0f", p99)) ns")
}

// Probe strings distinct from the Manager's keys, as a parsed SNI value is.
let probes = names.map { String(decoding: Array($0.utf8), as: UTF8.self) }
measure("Manager.cachedKey(for:)") { _ = manager.cachedKey(for: probes[$0]) }
measure("Manager.cachedKey(for:), 1,000 hot names of the 100,000") { _ = manager.cachedKey(for: probes[$0 % 1000]) }
let systemClock = SystemStaplingClock()
measure("SystemStaplingClock.handshakeNow alone") { _ in _ = systemClock.handshakeNow }
let hellos = probes.map { ClientHello(serverName: $0, requestsOCSPStaple: true) }
measure("Manager.immediateCertifiedKey(for:) (the handshake path's selector call)") { _ = manager.immediateCertifiedKey(for: hellos[$0]) }
let loop = EmbeddedEventLoop()
measure("Manager.certifiedKey(for:on:) (the future-returning call, for comparison)") { _ = manager.certifiedKey(for: hellos[$0], on: loop) }

/// The floor on this machine: the smallest structure that answers the same question (a locked
/// dictionary of 100,000 names, keys distinct from the probe, one CertifiedKey copied out).
final class Box: Sendable {
    let key: CertifiedKey
    init(_ key: CertifiedKey) { self.key = key }
}
let floor = Mutex<[String: Box]>(Dictionary(uniqueKeysWithValues: try names.map {
    ($0, Box(try CertifiedKey(certificateChain: [Array(repeating: 1, count: 600)], privateKey: Array(repeating: 3, count: 138))))
}))
measure("floor: Mutex<[String: Box]> lookup + CertifiedKey copy") { index in _ = floor.withLock { $0[probes[index]] }?.key }
