import AutocertACME
import AutocertTLS
import Crypto
import Foundation
import SwiftASN1
import X509

/// What is stored per name: the private key and the chain, in ONE blob.
///
/// The blob is PEM text: the key block first (PKCS #8, SEC 1 or PKCS #1), then the chain,
/// leaf first, as `CERTIFICATE` blocks (the layout of Go autocert's cache entries, readable
/// by `openssl`). One blob means one atomic `put`: a crash leaves the old pair or the new
/// pair, never a key that belongs to another certificate. The key of an order in progress
/// is written first under ``pendingKeyName(for:)`` (before the CA is asked), so a crash
/// between issuance and this put loses no key. A record read back is validated
/// (``init(name:pem:now:)``); a bad one is treated as absent.
struct CertificateRecord: Sendable {
    let name: String
    let key: ACMECertificateKey
    /// The chain, leaf first, DER.
    let chain: [[UInt8]]
    let leaf: Certificate

    /// The storage name of `name`'s record: the name itself, or for a name longer than 190
    /// octets (storage need only keep 200) `long-` and 32 hex digits of its SHA-256.
    /// An IPv6 address's colons become underscores (storage names hold no colon).
    static func storageName(for name: String) -> String {
        guard name.utf8.count > 190 else { return name.replacingOccurrences(of: ":", with: "_") }
        return "long-" + SHA256.hash(data: Array(name.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// The storage name of the key of an order in progress for `name`.
    static func pendingKeyName(for name: String) -> String { storageName(for: name) + "+key" }

    /// A record for a chain just issued; validated like a stored one.
    init(name: String, key: ACMECertificateKey, chain: [[UInt8]], now: Date) throws(AutocertError) {
        self.name = name
        self.key = key
        self.chain = chain
        self.leaf = try Self.validate(name: name, key: key, chain: chain, now: now)
    }

    /// Reads and validates a stored record: the PEM parses, the chain parses, the key matches
    /// the leaf, the leaf names `name`, the issuer (when present) signed the leaf, and the
    /// leaf has not expired at `now`.
    init(name: String, pem: String, now: Date) throws(AutocertError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw AutocertError(.invalidRecord, "the stored record of \(name) is not PEM (\(error)); it will be replaced")
        }
        guard let first = documents.first, first.discriminator.hasSuffix("PRIVATE KEY") else {
            throw AutocertError(.invalidRecord, "the stored record of \(name) does not start with a private key; it will be replaced")
        }
        let key: ACMECertificateKey
        do {
            key = try ACMECertificateKey(pemRepresentation: first.pemString)
        } catch {
            throw AutocertError(.invalidRecord, "the stored key of \(name) does not parse (\(error)); it will be replaced")
        }
        let chain = documents.dropFirst().filter { $0.discriminator == "CERTIFICATE" }.map(\.derBytes)
        try self.init(name: name, key: key, chain: chain, now: now)
    }

    /// The record as stored: key PEM, then the chain's PEM.
    var pem: String {
        ([key.pemRepresentation] + chain.map { PEMDocument(type: "CERTIFICATE", derBytes: $0).pemString }).joined(separator: "\n") + "\n"
    }

    /// The record as a ``CertifiedKey`` whose staples come from `stapleSource`.
    ///
    /// The arrays are copied into fresh allocations made together, so that the warm path's
    /// reference counting touches a few neighbouring cache lines rather than buffers made at
    /// key generation and download time, scattered across the heap.
    func certifiedKey(stapleSource: (any StapleSource)?) throws -> CertifiedKey {
        let chain = self.chain.map { $0.withUnsafeBufferPointer { [UInt8]($0) } }
        let key = self.key.derRepresentation.withUnsafeBufferPointer { [UInt8]($0) }
        return try CertifiedKey(certificateChain: chain, privateKey: key, stapleSource: stapleSource)
    }

    var notBefore: Date { leaf.notValidBefore }
    var notAfter: Date { leaf.notValidAfter }

    /// The names `certificate` is for, as the Manager keys them: the DNS names and IP addresses
    /// (RFC 8738) of its subjectAltName (RFC 5280 §4.2.1.6).
    static func identifiers(of certificate: Certificate) -> [String] {
        let names = (try? certificate.extensions.subjectAlternativeNames)??.compactMap { general -> String? in
            switch general {
            case .dnsName(let dns): ClientHello.normalisedServerName(dns)
            case .ipAddress(let octets): ACMEIPAddress(bytes: Array(octets.bytes))?.text
            default: nil
            }
        }
        return names ?? []
    }

    /// The names of the certificate `der`; none when it does not parse.
    static func identifiers(ofCertificate der: [UInt8]) -> [String] {
        (try? Certificate(derEncoded: der)).map(identifiers(of:)) ?? []
    }

    private static func validate(name: String, key: ACMECertificateKey, chain: [[UInt8]], now: Date) throws(AutocertError) -> Certificate {
        let certificates: [Certificate]
        do {
            certificates = try chain.map { try Certificate(derEncoded: $0) }
        } catch {
            throw AutocertError(.invalidRecord, "the certificate chain of \(name) does not parse (\(error)); it will be replaced")
        }
        guard let leaf = certificates.first else {
            throw AutocertError(.invalidRecord, "the record of \(name) holds no certificate; it will be replaced")
        }
        guard key.privateKey.publicKey == leaf.publicKey else {
            throw AutocertError(.invalidRecord, "the stored key of \(name) does not match its certificate; it will be replaced")
        }
        let names = identifiers(of: leaf)
        guard names.contains(name) else {
            throw AutocertError(.invalidRecord, "the stored certificate of \(name) is for \(names), not \(name); it will be replaced")
        }
        if certificates.count > 1, !certificates[1].publicKey.isValidSignature(leaf.signature, for: leaf) {
            throw AutocertError(.invalidRecord, "the stored certificate of \(name) is not signed by the next one in its chain; it will be replaced")
        }
        guard leaf.notValidAfter > now else {
            throw AutocertError(.invalidRecord, "the stored certificate of \(name) expired at \(leaf.notValidAfter); it will be replaced")
        }
        return leaf
    }
}
