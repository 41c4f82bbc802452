import Synchronization

/// A certificate chain, its private key, and optionally an OCSP response to staple.
///
/// Values are immutable; a refreshed staple or a renewed certificate is a new value. Each
/// value has an identity that backends use to cache what they derive from it (a parsed
/// chain, a library context), so hand out the same value for as long as it is current.
public struct CertifiedKey: Sendable {
    /// The fields, behind one reference: a copy on the handshake path is one retain, not
    /// one per array, and the identity travels with the bytes it names.
    private final class Storage: Sendable {
        let certificateChain: [[UInt8]]
        let privateKey: [UInt8]
        let ocspStaple: [UInt8]?
        let identity: UInt64

        init(certificateChain: [[UInt8]], privateKey: [UInt8], ocspStaple: [UInt8]?, identity: UInt64) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.ocspStaple = ocspStaple
            self.identity = identity
        }
    }

    private let storage: Storage

    /// The chain, leaf first, each certificate DER-encoded.
    public var certificateChain: [[UInt8]] { storage.certificateChain }
    /// The leaf's private key, DER: PKCS#8, SEC 1 (EC) or PKCS#1 (RSA), unencrypted.
    public var privateKey: [UInt8] { storage.privateKey }
    /// A DER OCSPResponse for the leaf (RFC 6960 §4.2.1), sent to clients that ask for it
    /// (RFC 6066 §8). The caller is responsible for it being verified and current.
    public var ocspStaple: [UInt8]? { storage.ocspStaple }
    /// A process-unique identity for caches keyed by this value.
    package var identity: UInt64 { storage.identity }

    private static let counter = Atomic<UInt64>(0)

    public init(certificateChain: [[UInt8]], privateKey: [UInt8], ocspStaple: [UInt8]? = nil) throws {
        guard let leaf = certificateChain.first, !leaf.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "the certificate chain is empty; pass the leaf certificate first")
        }
        guard !privateKey.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "the private key is empty")
        }
        if let ocspStaple, ocspStaple.isEmpty {
            throw TLSBackendError(.invalidCertifiedKey, "the OCSP staple is empty; pass nil for no staple")
        }
        storage = Storage(certificateChain: certificateChain, privateKey: privateKey, ocspStaple: ocspStaple,
                          identity: Self.counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    /// Reads a PEM chain (leaf first) and a PEM private key (`PRIVATE KEY`, `EC PRIVATE KEY`
    /// or `RSA PRIVATE KEY`), with an optional DER staple.
    public init(chainPEM: String, privateKeyPEM: String, ocspStaple: [UInt8]? = nil) throws {
        let chain = try PEM.blocks(in: chainPEM).filter { $0.label == "CERTIFICATE" }.map(\.der)
        guard !chain.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "no CERTIFICATE block in the chain PEM")
        }
        let keys = try PEM.blocks(in: privateKeyPEM).filter { $0.label.hasSuffix("PRIVATE KEY") }
        guard let key = keys.first, !key.label.contains("ENCRYPTED") else {
            throw TLSBackendError(.invalidCertifiedKey, "no unencrypted PRIVATE KEY block in the key PEM")
        }
        try self.init(certificateChain: chain, privateKey: key.der, ocspStaple: ocspStaple)
    }

    /// The same certificate and key with another staple (a new identity).
    public func replacingStaple(_ staple: [UInt8]?) throws -> CertifiedKey {
        try CertifiedKey(certificateChain: certificateChain, privateKey: privateKey, ocspStaple: staple)
    }
}
