import AutocertACME
import AutocertStapling
import AutocertStorage
import AutocertTLS
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization

/// Obtains, serves and renews certificates from an ACME CA, and staples OCSP to them.
///
/// The certificate selector of the TLS backends (``AutocertTLS/CertificateSelector``):
/// - warm: the certificate from memory (one locked read and a clock read, no I/O);
/// - stored: the record from storage (validated), served once its first staple is in or
///   ``Configuration/firstStapleTimeout`` has passed;
/// - new name: the ``HostPolicy`` first, then one ACME order per name however many
///   handshakes wait (``SingleFlight``), the staple fetched right after issuance.
///
/// Stapling is one switch, ``Configuration/stapleOCSP``: on, each certificate is registered
/// with the ``stapler`` and served with the stapler as its staple source
/// (``AutocertTLS/CertifiedKey/stapleSource``), which the TLS backend asks during each
/// handshake that wants a staple. The Manager never holds a staple itself.
///
/// Run it as a swift-service-lifecycle `Service` (``run()``): its own loop renews in the
/// background, it runs the stapler (which has its own), and it replaces certificates the
/// stapler reports revoked.
public final class Manager: CertificateSelector, Service, Sendable {
    public let configuration: Configuration
    /// The answers to ACME challenges in progress (read by the selector and the handlers of ``http01HandlerFactory(httpsPort:)``).
    public let challenges: ChallengeAnswers
    /// The stapler, when ``Configuration/stapleOCSP`` is on. ``run()`` runs it: do not run it yourself.
    public let stapler: StaplingManager?
    let storage: any BlobStorage
    let authority: any CertificateAuthority
    let clock: any StaplingClock
    let logger: Logger
    let metrics: ManagerMetrics
    /// The handshake path's map: name → what is served now.
    let served = Mutex<[String: ServedCertificate]>([:])
    /// The background side: renewal plans and recent failures.
    let schedule = Mutex(Schedule())
    let flights = SingleFlight<String, CertifiedKey>()
    /// Orders started by handshakes, run under ``run()``.
    let handshakeWork = HandshakeWork()
    /// Certificates issued while storage refused to store them, stored again when it works.
    let unsaved = Mutex<[String: CertificateRecord]>([:])
    /// When a storage operation last failed; nil once one succeeds again.
    let storageFailingSince = Mutex<Date?>(nil)
    /// Wakes the Manager's own renewal loop.
    let wake = WakeSignal()
    let broadcast = EventBroadcast<ManagerEvent>()
    /// The stapler's events, subscribed at init so that none is missed before ``run()``.
    let stapling: AsyncStream<StaplingEvent>?
    /// Whether the CA is known to issue certificates without OCSP (so Must-Staple is never
    /// asked of it): known at start for Let's Encrypt, learnt from its first certificate otherwise.
    let caIssuesWithoutOCSP: Atomic<Bool>

    /// - Parameters:
    ///   - certificateAuthority: where certificates come from; default an
    ///     ``ACMECertificateAuthority`` for ``Configuration/directoryURL``.
    ///   - stapler: a stapler to use instead of the one made from ``Configuration/stapling``
    ///     (ignored when ``Configuration/stapleOCSP`` is off).
    ///   - clock: wall-clock time and sleeping; inject a manual clock in tests.
    ///   - logger: every log line goes here.
    ///   - metricsFactory: where metrics go; default the bootstrapped `MetricsSystem`.
    /// - Throws: ``AutocertError/Code/invalidConfiguration`` when the default storage cannot be made.
    public init(
        configuration: Configuration,
        certificateAuthority: (any CertificateAuthority)? = nil,
        stapler: StaplingManager? = nil,
        clock: any StaplingClock = SystemStaplingClock(),
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(AutocertError) {
        let storage = try configuration.resolvedStorage(logger: logger)
        self.configuration = configuration
        self.storage = storage
        self.clock = clock
        self.logger = logger
        self.challenges = ChallengeAnswers(sharing: storage is any LockingStorage ? storage : nil)
        self.metrics = ManagerMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.caIssuesWithoutOCSP = Atomic(Configuration.directoriesWithoutOCSP.contains(configuration.directoryURL))
        self.authority = certificateAuthority ?? ACMECertificateAuthority(
            directoryURL: configuration.directoryURL, trustedRootsPEMFile: configuration.directoryTrustedRootsPEMFile,
            storage: storage, email: configuration.email, acceptsTermsOfService: configuration.acceptsTermsOfService, logger: logger)
        if configuration.stapleOCSP {
            let stapler = stapler ?? StaplingManager(configuration: configuration.stapling, storage: storage, clock: clock,
                                                     logger: logger, metricsFactory: metricsFactory)
            self.stapler = stapler
            self.stapling = stapler.subscribe()
        } else {
            self.stapler = nil
            self.stapling = nil
        }
    }

    // MARK: The handshake path

    /// The warm path (``AutocertTLS/CertificateSelector/immediateCertifiedKey(for:)``): the
    /// certificate held for the name, or the challenge certificate of an `acme-tls/1`
    /// handshake; nil sends the handshake to ``certifiedKey(for:on:)``.
    public func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? {
        guard let name = Self.name(of: hello) else { return nil }
        if hello.isACMEChallenge { return challenges.tlsALPN01Certificate(for: name) }
        return cachedKey(for: name)
    }

    public func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        guard let name = Self.name(of: hello) else {
            return eventLoop.makeFailedFuture(AutocertError(.missingServerName, "the client sent no server name (SNI) and the connection's local address is not known; autocert serves names and IP addresses only"))
        }
        if hello.isACMEChallenge {
            if let key = challenges.tlsALPN01Certificate(for: name) { return eventLoop.makeSucceededFuture(key) }
            // In a cluster another instance may be ordering: its answer is in storage. Only for
            // names this instance would order itself, so random SNI never becomes a query.
            guard challenges.shared != nil, configuration.hostPolicy.allows(ACMEIPAddress(reverseDNSName: name)?.text ?? name) else {
                return eventLoop.makeFailedFuture(Self.noChallenge(name))
            }
            let challenges = self.challenges
            return eventLoop.makeFutureWithTask {
                guard let key = await challenges.storedTLSALPN01Certificate(for: name) else { throw Self.noChallenge(name) }
                return key
            }
        }
        if let key = cachedKey(for: name) { return eventLoop.makeSucceededFuture(key) }
        guard configuration.hostPolicy.allows(name) else {
            return eventLoop.makeFailedFuture(refuse(name))  // no task for a refused name (random SNI floods)
        }
        let promise = eventLoop.makePromise(of: CertifiedKey.self)
        handshakeWork.submit {  // a child of run(): graceful shutdown cancels it
            do { promise.succeed(try await self.certifiedKey(forName: name)) } catch { promise.fail(error) }
        }
        return promise.futureResult
    }

    /// The certificate served for `name` (normalised, as ``AutocertTLS/ClientHello/serverName``),
    /// or nil when none is held or the one held has expired.
    ///
    /// Synchronous and cheap: one locked dictionary read and a coarse clock read. The key's
    /// staple source gives the backend the current staple during the handshake, so nothing
    /// here changes when a staple does.
    public func cachedKey(for name: String) -> CertifiedKey? {
        guard let entry = served.withLock({ $0[name] }) else { return nil }
        // An expired certificate is never served: the caller obtains a new one (RFC 5280 §4.1.2.5).
        guard clock.handshakeNow.timeIntervalSinceReferenceDate < entry.notAfter else { return nil }
        return entry.key
    }

    /// The name a handshake asks for: its server name (already normalised), or with none the
    /// IP address the connection arrived on (RFC 8738; an IPv4-mapped IPv6 address as IPv4).
    static func name(of hello: ClientHello) -> String? {
        if let name = hello.serverName { return name }
        guard let text = hello.localAddress?.ipAddress, let address = ACMEIPAddress(text) else { return nil }
        let bytes = address.bytes
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return ACMEIPAddress(bytes: Array(bytes[12...]))?.text
        }
        return address.text
    }

    /// The certificate for `name` (a host name or an IP address): from memory, storage, or
    /// the CA (after the host policy).
    ///
    /// - Throws: ``AutocertError`` (``AutocertError/Code/hostNotAllowed`` with no CA traffic
    ///   for a refused name).
    public func certifiedKey(forName name: String) async throws -> CertifiedKey {
        guard let name = HostPolicy.canonicalName(name) else { throw refuse(name) }
        if let key = cachedKey(for: name) { return key }
        guard configuration.hostPolicy.allows(name) else { throw refuse(name) }
        return try await flights.run(name) {
            if let key = cachedKey(for: name) { return key }
            return try await loadOrObtain(name)
        }
    }

    /// Checks, before any order, what can be checked of the configuration against the CA:
    /// that it offers ``Configuration/profile``. A server calls it at start to fail with a
    /// clear message instead of at the first handshake.
    ///
    /// - Throws: ``AutocertError/Code/invalidConfiguration``, naming the profiles offered.
    public func checkConfiguration() async throws(AutocertError) {
        guard let profile = configuration.profile else { return }
        do {
            try await authority.checkProfile(profile)
        } catch {
            let reason = (error as? ACMEError)?.reason ?? "\(error)"
            throw AutocertError(.invalidConfiguration, reason, underlying: error)
        }
    }

    static func noChallenge(_ name: String) -> AutocertError {
        AutocertError(.noChallengeCertificate, "an acme-tls/1 handshake for \(name) came with no challenge in progress")
    }

    /// Counts and logs a name the host policy refused; returns the error to fail with.
    private func refuse(_ name: String) -> AutocertError {
        metrics.hostRefused.increment()
        logger.debug("host policy refused a name", metadata: ["name": "\(name)"])
        return AutocertError(.hostNotAllowed, "\(name) is not allowed by the host policy; add it to Configuration.hostPolicy to serve it")
    }

    // MARK: Events

    /// A new stream of every ``ManagerEvent`` from now on (the stapler's included), for one
    /// reader: each call makes a stream of its own, and every stream sees every event. It
    /// keeps at most `bufferingNewest` unread events (the oldest are dropped first) and
    /// finishes when ``run()`` returns.
    public func subscribe(bufferingNewest: Int = 1024) -> AsyncStream<ManagerEvent> {
        broadcast.subscribe(bufferingNewest: bufferingNewest)
    }

    func emit(_ event: ManagerEvent) {
        broadcast.publish(event)
    }
}

/// What is served for one name: immutable, replaced whole. Holds only what serving and
/// renewal need (not the parsed certificate), since there may be 100,000 of them; the warm
/// path's fields come first, sharing a cache line with the object header.
final class ServedCertificate: Sendable {
    /// The certificate, its key and its staple source.
    let key: CertifiedKey
    /// The certificate's notAfter (seconds since the reference date): the warm path's one comparison.
    let notAfter: Double
    /// The certificate's handle in the stapler, when it is registered there.
    let stapleID: StapleID?
    /// The private key, reused by a renewal that needs no new key.
    let certificateKey: ACMECertificateKey

    init(key: CertifiedKey, notAfter: Double, stapleID: StapleID?, certificateKey: ACMECertificateKey) {
        self.key = key
        self.notAfter = notAfter
        self.stapleID = stapleID
        self.certificateKey = certificateKey
    }
}
