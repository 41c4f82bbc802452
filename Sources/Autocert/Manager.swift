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
/// - warm: the certificate and its current staple from memory (two locked reads, no I/O);
/// - stored: the record from storage (validated), its staple from storage or fetched with
///   ``Configuration/firstStapleTimeout``, else served without one;
/// - new name: the ``HostPolicy`` first, then one ACME order per name however many
///   handshakes wait (``SingleFlight``), the staple fetched right after issuance.
///
/// Run it as a swift-service-lifecycle `Service` (``run()``): it renews in the background,
/// runs its ``AutocertStapling/StaplingManager`` and replaces revoked certificates.
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
    /// Wakes the scheduler: the stapler's when there is one (renewals ride on its loop).
    let wake: WakeSignal
    let eventContinuation: AsyncStream<ManagerEvent>.Continuation

    /// Events for the application (one reader), stapler events included. Ends when ``run()`` returns.
    public let events: AsyncStream<ManagerEvent>

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
        let storage = try configuration.resolvedStorage()
        self.configuration = configuration
        self.storage = storage
        self.clock = clock
        self.logger = logger
        self.challenges = ChallengeAnswers()
        self.metrics = ManagerMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.authority = certificateAuthority ?? ACMECertificateAuthority(
            directoryURL: configuration.directoryURL, trustedRootsPEMFile: configuration.directoryTrustedRootsPEMFile,
            storage: storage, email: configuration.email, acceptsTermsOfService: configuration.acceptsTermsOfService, logger: logger)
        if configuration.stapleOCSP {
            self.stapler = stapler ?? StaplingManager(configuration: configuration.stapling, storage: storage, clock: clock,
                                                      logger: logger, metricsFactory: metricsFactory)
        } else {
            self.stapler = nil
        }
        (events, eventContinuation) = AsyncStream.makeStream(of: ManagerEvent.self, bufferingPolicy: .bufferingNewest(1024))
        wake = self.stapler?.wake ?? WakeSignal()
        self.stapler?.addStapleObserver { [weak self] id in self?.stapleChanged(id) }
        self.stapler?.attach(RenewalWork(manager: self))
    }

    // MARK: The handshake path

    /// The warm path (``AutocertTLS/CertificateSelector/immediateCertifiedKey(for:)``): the
    /// certificate held for the name with its current staple, or the challenge certificate of
    /// an `acme-tls/1` handshake; nil sends the handshake to ``certifiedKey(for:on:)``.
    public func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? {
        guard let name = hello.serverName else { return nil }  // already lower-cased, no trailing dot
        if hello.isACMEChallenge { return challenges.tlsALPN01Certificate(for: name) }
        return cachedKey(for: name)
    }

    public func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        guard let serverName = hello.serverName else {
            return eventLoop.makeFailedFuture(AutocertError(.missingServerName, "the client sent no server name (SNI); autocert serves names only"))
        }
        let name = serverName  // already lower-cased, without a trailing dot (ClientHello.serverName)
        if hello.isACMEChallenge {
            if let key = challenges.tlsALPN01Certificate(for: name) { return eventLoop.makeSucceededFuture(key) }
            return eventLoop.makeFailedFuture(AutocertError(.noChallengeCertificate, "an acme-tls/1 handshake for \(name) came with no challenge in progress"))
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

    /// The certificate for `name` (lower-cased, no trailing dot, as ``AutocertTLS/ClientHello/serverName``)
    /// from memory, with its current staple; nil when none is held.
    ///
    /// Synchronous and cheap: one locked dictionary read and a coarse clock read. The
    /// stapler tells the Manager when a staple changes (``AutocertStapling/StaplingManager/addStapleObserver(_:)``),
    /// so the served ``CertifiedKey`` already holds the current staple; only a staple past its
    /// end (expired before the stapler's loop said so) takes the slower ``restaple(_:)``.
    public func cachedKey(for name: String) -> CertifiedKey? {
        guard let entry = served.withLock({ $0[name] }) else { return nil }
        let now = clock.handshakeNow.timeIntervalSinceReferenceDate
        if now < entry.servableUntil { return entry.key }
        // An expired certificate is never served: the caller obtains a new one (RFC 5280 §4.1.2.5).
        if now >= entry.notAfter { return nil }
        return restaple(name)
    }

    /// Brings the staple in `name`'s served key in line with the stapler's current one (a new
    /// ``CertifiedKey``, so backends see one identity per staple) and returns the key.
    ///
    /// Runs under the served map's lock, reading the stapler inside it (never the other way
    /// round), so concurrent calls for one name apply the newest staple last.
    @discardableResult
    func restaple(_ name: String) -> CertifiedKey? {
        served.withLock { served -> CertifiedKey? in
            guard let entry = served[name] else { return nil }
            guard let id = entry.stapleID, let stapler else { return entry.key }
            let current = stapler.currentStaple(for: id)
            let until = current.map { $0.until.timeIntervalSinceReferenceDate } ?? .infinity
            if current?.der == entry.key.ocspStaple, until == entry.stapleUntil { return entry.key }
            guard let key = try? entry.key.replacingStaple(current?.der) else { return entry.key }
            served[name] = ServedCertificate(key: key, stapleUntil: until, notAfter: entry.notAfter, stapleID: id,
                                             certificateKey: entry.certificateKey)
            return key
        }
    }

    /// The stapler's observer: the staple of certificate `id` changed.
    func stapleChanged(_ id: StapleID) {
        guard let name = schedule.withLock({ $0.names[id] }) else { return }
        restaple(name)
    }

    /// The certificate for `name`: from memory, storage, or the CA (after the host policy).
    ///
    /// - Throws: ``AutocertError`` (``AutocertError/Code/hostNotAllowed`` with no CA traffic
    ///   for a refused name).
    public func certifiedKey(forName name: String) async throws -> CertifiedKey {
        let name = HostPolicy.normalise(name)
        if let key = cachedKey(for: name) { return key }
        guard configuration.hostPolicy.allows(name) else { throw refuse(name) }
        return try await flights.run(name) {
            if let key = cachedKey(for: name) { return key }
            return try await loadOrObtain(name)
        }
    }

    /// Counts and logs a name the host policy refused; returns the error to fail with.
    private func refuse(_ name: String) -> AutocertError {
        metrics.hostRefused.increment()
        logger.debug("host policy refused a name", metadata: ["name": "\(name)"])
        return AutocertError(.hostNotAllowed, "\(name) is not allowed by the host policy; add it to Configuration.hostPolicy to serve it")
    }

    func emit(_ event: ManagerEvent) {
        eventContinuation.yield(event)
    }
}

/// The Manager's renewals as work for the stapler's scheduler (one loop for both). Holds
/// the Manager weakly: the stapler it is attached to belongs to that Manager.
struct RenewalWork: ScheduledWorkSource {
    weak let manager: Manager?

    func takeDueWork(now: Date) -> [@Sendable () async -> Void] {
        manager?.takeRenewalWork(now: now) ?? []
    }

    func nextDueDate() -> Date? {
        manager?.nextRenewalDate()
    }
}

/// What is served for one name: immutable, replaced whole. Holds only what serving and
/// renewal need (not the parsed certificate), since there may be 100,000 of them; the warm
/// path's fields come first, sharing a cache line with the object header.
final class ServedCertificate: Sendable {
    /// The certificate with its current staple (or none).
    let key: CertifiedKey
    /// Until when ``key`` may be served as it is: the earlier of the staple's end and the
    /// certificate's (seconds since the reference date). The warm path's one comparison.
    let servableUntil: Double
    /// When the staple in ``key`` stops being valid; infinity when it holds none.
    let stapleUntil: Double
    /// The certificate's notAfter.
    let notAfter: Double
    let stapleID: StapleID?
    /// The private key, reused by a renewal that needs no new key.
    let certificateKey: CertificateKey

    init(key: CertifiedKey, stapleUntil: Double, notAfter: Double, stapleID: StapleID?, certificateKey: CertificateKey) {
        self.key = key
        self.servableUntil = min(stapleUntil, notAfter)
        self.stapleUntil = stapleUntil
        self.notAfter = notAfter
        self.stapleID = stapleID
        self.certificateKey = certificateKey
    }
}
