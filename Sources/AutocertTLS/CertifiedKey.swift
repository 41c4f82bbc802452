import Synchronization

/// A certificate chain, its private key, and where its OCSP staple comes from.
///
/// Values are immutable, one per certificate: a refreshed staple changes nothing here (the
/// ``stapleSource`` answers with it), a renewed certificate is a new value. Each value has an
/// identity that backends key what they derive from it by (a parsed chain, a library
/// context), so hand out the same value for as long as the certificate is in service; once
/// the last copy of it is gone, backends free what they derived from it.
public struct CertifiedKey: Sendable {
    /// The fields, behind one reference: a copy on the handshake path is one retain, not
    /// one per array, and the identity travels with the bytes it names.
    private final class Storage: Sendable {
        let certificateChain: [[UInt8]]
        let privateKey: [UInt8]
        let stapleSource: (any StapleSource)?
        let identity: UInt64
        /// Told when the value goes out of service (its last copy is released).
        let retirement = Mutex<[RetirementHook]>([])

        init(certificateChain: [[UInt8]], privateKey: [UInt8], stapleSource: (any StapleSource)?, identity: UInt64) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.stapleSource = stapleSource
            self.identity = identity
        }

        deinit {
            for hook in retirement.withLock({ $0 }) where hook.owner != nil { hook.retire(identity) }
        }
    }

    private let storage: Storage

    /// The chain, leaf first, each certificate DER-encoded.
    public var certificateChain: [[UInt8]] { storage.certificateChain }
    /// The leaf's private key, DER: PKCS#8, SEC 1 (EC) or PKCS#1 (RSA), unencrypted.
    public var privateKey: [UInt8] { storage.privateKey }
    /// Where the backends get the leaf's OCSP staple (RFC 6066 §8); nil staples nothing.
    public var stapleSource: (any StapleSource)? { storage.stapleSource }
    /// The staple a handshake that asks for one would get now (``StapleSource/currentStaple()``).
    public var ocspStaple: [UInt8]? { storage.stapleSource?.currentStaple() }
    /// A process-unique identity for caches keyed by this value.
    package var identity: UInt64 { storage.identity }

    private static let counter = Atomic<UInt64>(0)

    /// - Throws: ``TLSBackendError/Code/invalidCertifiedKey`` for an empty chain or key.
    public init(certificateChain: [[UInt8]], privateKey: [UInt8], stapleSource: (any StapleSource)? = nil) throws(TLSBackendError) {
        guard let leaf = certificateChain.first, !leaf.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "the certificate chain is empty; pass the leaf certificate first")
        }
        guard !privateKey.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "the private key is empty")
        }
        storage = Storage(certificateChain: certificateChain, privateKey: privateKey, stapleSource: stapleSource,
                          identity: Self.counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    /// Reads a PEM chain (leaf first) and a PEM private key (`PRIVATE KEY`, `EC PRIVATE KEY`
    /// or `RSA PRIVATE KEY`).
    ///
    /// - Throws: ``TLSBackendError/Code/invalidCertifiedKey`` when either holds no usable block.
    public init(chainPEM: String, privateKeyPEM: String, stapleSource: (any StapleSource)? = nil) throws(TLSBackendError) {
        let chain = try PEM.blocks(in: chainPEM).filter { $0.label == "CERTIFICATE" }.map(\.der)
        guard !chain.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "no CERTIFICATE block in the chain PEM")
        }
        let keys = try PEM.blocks(in: privateKeyPEM).filter { $0.label.hasSuffix("PRIVATE KEY") }
        guard let key = keys.first, !key.label.contains("ENCRYPTED") else {
            throw TLSBackendError(.invalidCertifiedKey, "no unencrypted PRIVATE KEY block in the key PEM")
        }
        try self.init(certificateChain: chain, privateKey: key.der, stapleSource: stapleSource)
    }

    /// The same chain and key with `source` as the staple source: a new value, with an
    /// identity of its own (backends prepare it once, like any other certificate).
    public func withStapleSource(_ source: (any StapleSource)?) -> CertifiedKey {
        CertifiedKey(storage: Storage(certificateChain: certificateChain, privateKey: privateKey, stapleSource: source,
                                      identity: Self.counter.wrappingAdd(1, ordering: .relaxed).newValue))
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    /// Calls `retire` with ``identity`` once this value goes out of service (its last copy is
    /// released), so that `owner` can free what it derived from it. One hook per owner:
    /// registering again for the same owner changes nothing.
    package func onRetirement(owner: AnyObject & Sendable, _ retire: @escaping @Sendable (UInt64) -> Void) {
        storage.retirement.withLock { hooks in
            hooks.removeAll { $0.owner == nil }
            if !hooks.contains(where: { $0.owner === owner }) { hooks.append(RetirementHook(owner: owner, retire: retire)) }
        }
    }
}

/// Who to tell when a ``CertifiedKey`` goes out of service; the owner is held weakly.
private final class RetirementHook: Sendable {
    weak let owner: (AnyObject & Sendable)?
    let retire: @Sendable (UInt64) -> Void

    init(owner: AnyObject & Sendable, retire: @escaping @Sendable (UInt64) -> Void) {
        self.owner = owner
        self.retire = retire
    }
}
