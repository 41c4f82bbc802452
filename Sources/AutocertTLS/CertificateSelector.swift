import NIOCore

/// Chooses the ``CertifiedKey`` for a connection from its ``ClientHello``.
///
/// The answer may come later (a certificate still being issued): the handler waits for the
/// future without blocking its event loop, and other connections on that loop go on. A
/// selector that knows the answer at once returns an already-succeeded future, which costs
/// no hop. Fail the future with ``TLSBackendError/Code/noCertificate`` for an unknown name.
public protocol CertificateSelector: Sendable {
    /// The key for `hello` when it is known at once (from memory: no I/O, no suspension, no
    /// waiting on a lock held across either), else nil.
    ///
    /// The handler asks this first on every handshake; an answer here costs no future and
    /// no hop. Nil is not a refusal: the handler then asks ``certifiedKey(for:on:)``, which
    /// may take its time or fail. Default: nil.
    func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey?

    /// The key for `hello`, possibly later; fails for a name that has none.
    func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey>
}

extension CertificateSelector {
    public func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? { nil }
}

/// A selector answered by an `async` function, for certificates that take time to obtain.
public struct AsyncCertificateSelector: CertificateSelector {
    private let select: @Sendable (ClientHello) async throws -> CertifiedKey

    public init(_ select: @escaping @Sendable (ClientHello) async throws -> CertifiedKey) {
        self.select = select
    }

    public func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        let select = self.select
        return eventLoop.makeFutureWithTask { try await select(hello) }
    }
}

/// A fixed set of certificates picked by server name (RFC 6066 §3): exact names first, then
/// a wildcard one label deep (`*.example.com`), then the default (the first added).
public struct StaticCertificateSelector: CertificateSelector {
    private var byName: [String: CertifiedKey] = [:]
    private var fallback: CertifiedKey?
    private var challenges: [String: CertifiedKey] = [:]

    public init() {}

    /// Adds `key` for `names` (host names or `*.` wildcards); the first key added is the
    /// default for clients that send no server name or an unknown one.
    public mutating func add(_ key: CertifiedKey, for names: [String]) {
        for name in names {
            if let name = ClientHello.normalisedServerName(name) { byName[name] = key }
        }
        if fallback == nil { fallback = key }
    }

    /// Sets the tls-alpn-01 challenge certificate for `name` (RFC 8737 §3).
    public mutating func setChallenge(_ key: CertifiedKey?, for name: String) {
        guard let name = ClientHello.normalisedServerName(name) else { return }
        challenges[name] = key
    }

    /// The key for `hello`, if any.
    public func select(_ hello: ClientHello) -> CertifiedKey? {
        let name = hello.serverName  // normalised by the parser
        if hello.isACMEChallenge {
            return name.flatMap { challenges[$0] }
        }
        if let name {
            if let exact = byName[name] { return exact }
            if let dot = name.firstIndex(of: ".") , let wildcard = byName["*" + name[dot...]] { return wildcard }
        }
        return fallback
    }

    public func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? {
        select(hello)
    }

    public func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        if let key = select(hello) { return eventLoop.makeSucceededFuture(key) }
        let what = hello.isACMEChallenge ? "tls-alpn-01 challenge certificate" : "certificate"
        return eventLoop.makeFailedFuture(TLSBackendError(
            .noCertificate, "no \(what) for server name \(hello.serverName ?? "(none)"); add one for that name"))
    }
}
