import AutocertCurl
import AutocertOCSP
import AutocertStorage
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SwiftASN1
import Synchronization
import X509

/// Keeps a fresh, verified OCSP response for each certificate it is given, ready to staple.
///
/// Give it certificates with ``add(_:responderURL:)``; read the current staple on the
/// handshake path with ``staple(for:)`` (a locked table read: no I/O, no suspension; the
/// `AutocertStaplingTLS` glue makes it the TLS layer's staple source); run it as a
/// swift-service-lifecycle `Service` (``run()``), which fetches at once, refreshes at about
/// the middle of each response's validity window, retries with backoff, persists staples
/// through a ``BlobStorage`` and reports through logs, metrics, events
/// (``subscribe(bufferingNewest:)``) and ``health()``. It knows nothing of ACME or TLS.
/// See docs/stapling-policy.md.
public final class StaplingManager: Service, Sendable {
    public let configuration: Configuration
    let client: OCSPClient
    let storage: (any BlobStorage)?
    let clock: any StaplingClock
    let logger: Logger
    let metrics: StaplingMetrics
    /// The handshake path's map: only served staples, behind their own lock.
    let served = ServedStaples()
    let core = Mutex(Core())
    /// Wakes this manager's own scheduler loop (a certificate added, a fetch done, shutdown).
    let wake = WakeSignal()
    let broadcast = EventBroadcast<StaplingEvent>()

    /// - Parameters:
    ///   - client: the OCSP client (its transport, hash, verification policy); default one on
    ///     the shared libcurl transport.
    ///   - storage: where staples persist across restarts; nil keeps them in memory only.
    ///   - clock: wall-clock time and sleeping; inject a manual clock in tests.
    ///   - logger: every log line goes here (library code never logs elsewhere).
    ///   - metricsFactory: where metrics go; default the bootstrapped `MetricsSystem`.
    public init(
        configuration: Configuration = Configuration(),
        client: OCSPClient = OCSPClient(transport: .curl),
        storage: (any BlobStorage)? = nil,
        clock: any StaplingClock = SystemStaplingClock(),
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.configuration = configuration
        self.client = client
        self.storage = storage
        self.clock = clock
        self.logger = logger
        self.metrics = StaplingMetrics(factory: metricsFactory ?? MetricsSystem.factory)
    }

    // MARK: The handshake path

    /// The current staple (DER OCSPResponse) for `id`, or nil when there is none to serve.
    ///
    /// Synchronous and cheap: one locked dictionary read (one of 16 shards) and a coarse
    /// clock read (``StaplingClock/handshakeNow``); no allocation, no I/O, no suspension. Never returns a
    /// staple past its end (nextUpdate clamped to the certificate's expiry), an unverified
    /// one, or one for another certificate.
    public func staple(for id: StapleID) -> [UInt8]? {
        guard let staple = served.get(id) else { return nil }
        return clock.handshakeNow < staple.until ? staple.der : nil
    }

    /// The staple served now for `id` and the instant it stops being served (its nextUpdate,
    /// clamped to the certificate's expiry), or nil; the same rules as ``staple(for:)``.
    public func currentStaple(for id: StapleID) -> (der: [UInt8], until: Date)? {
        guard let staple = served.get(id), clock.handshakeNow < staple.until else { return nil }
        return (staple.der, staple.until)
    }

    // MARK: Registration

    /// Adds a certificate (with the issuer that signed it) and returns its ID.
    ///
    /// - Throws: ``OCSPError`` when the chain cannot be used (the issuer did not sign it).
    @discardableResult
    public func add(certificate: Certificate, issuer: Certificate, responderURL: String? = nil) async throws(OCSPError) -> StapleID {
        try await add(OCSPSubject(certificate: certificate, issuer: issuer), responderURL: responderURL)
    }

    /// Adds a certificate given as DER (the leaf, then its issuer) and returns its ID.
    ///
    /// The preferred form for servers that keep their chains as DER: the manager keeps a
    /// reference to the same `leafDER` array instead of a copy, so a certificate costs it
    /// only its own small state.
    ///
    /// - Throws: ``OCSPError`` when the leaf does not parse or the issuer did not sign it.
    @discardableResult
    public func add(leafDER: [UInt8], issuerDER: [UInt8], responderURL: String? = nil) async throws(OCSPError) -> StapleID {
        let leaf: Certificate
        do { leaf = try Certificate(derEncoded: leafDER) } catch {
            throw OCSPError(.invalidCertificate, "the certificate could not be read (\(error)); pass the leaf's DER")
        }
        let subject = try OCSPSubject(certificate: leaf, issuerDER: issuerDER)
        return await add(subject, leafDER: leafDER, responderURL: responderURL)
    }

    /// Adds a prepared certificate and returns its ID; adding it again changes nothing.
    ///
    /// A persisted staple is re-verified (signature, CertID, times) and, when good, served
    /// at once with no network. Otherwise a fetch is queued at once (it runs when ``run()``
    /// runs). `responderURL` overrides the certificate's AIA URL and the global override.
    @discardableResult
    public func add(_ subject: OCSPSubject, responderURL: String? = nil) async -> StapleID {
        await add(subject, leafDER: StapleID.der(subject.certificate), responderURL: responderURL)
    }

    private func add(_ subject: OCSPSubject, leafDER: [UInt8], responderURL: String?) async -> StapleID {
        let id = StapleID(leafDER: leafDER)
        let issuerID = StapleID(leafDER: subject.issuerDER)
        let url = responderURL ?? configuration.responderURL ?? subject.responderURLs.first
        let isNew = core.withLock { core -> Bool in
            guard core.entries[id] == nil else { return false }
            let issuer = core.issuers[issuerID] ?? Box(subject.issuerDER)
            core.issuers[issuerID] = issuer
            let sharedURL = url.map { url in core.urls[url] ?? url }
            if let sharedURL { core.urls[sharedURL] = sharedURL }
            core.entries[id] = StapleEntry(leafDER: leafDER, issuerDER: issuer, responderURL: sharedURL, notAfter: subject.certificate.notValidAfter)
            return true
        }
        guard isNew else { return id }
        var log = logger
        log[metadataKey: "staple.id"] = "\(id)"
        guard url != nil else {
            core.withLock { $0.entries[id]?.condition = .noResponderURL }
            log.debug("no OCSP responder for this certificate (no AIA id-ad-ocsp URL, no override): it will not be stapled")
            resumeWaiters(for: id)
            return id
        }
        let restored = await restore(id, subject: subject, logger: log)
        let now = clock.now
        core.withLock { core in
            guard core.entries[id] != nil else { return }
            if let restored {
                core.install(id, der: restored.der, thisUpdate: restored.thisUpdate, until: restored.until, served: served)
                core.entries[id]?.condition = restored.revoked ? .revoked : .stapled
                core.schedule(id, at: restored.refresh, kind: .fetch)
            } else {
                core.schedule(id, at: now, kind: .fetch)
            }
        }
        wake.signal()
        return id
    }

    /// Stops managing `id`: its staple is no longer served, and the persisted copy is deleted.
    public func remove(_ id: StapleID) async {
        let existed = core.withLock { core -> Bool in
            served.remove(id)
            return core.entries.removeValue(forKey: id) != nil
        }
        guard existed else { return }
        resumeWaiters(for: id)
        if let storage {
            do { try await storage.delete(id.storageName) } catch {
                logger.warning("could not delete the persisted staple", metadata: ["staple.id": "\(id)", "error": "\(error)"])
            }
        }
        emit(.removed(id))
    }

    // MARK: State

    /// What the manager knows about `id`, or nil when it is not managed.
    public func info(for id: StapleID) -> StapleInfo? {
        core.withLock { $0.entries[id]?.info }
    }

    /// Which certificates have no fresh staple, and why (certificates without OCSP are counted,
    /// not listed: they need none).
    public func health() -> StaplingHealth {
        core.withLock { core in
            var problems: [StaplingHealth.Problem] = []
            var withoutOCSP = 0
            for (id, entry) in core.entries where entry.condition != .stapled || entry.failureStreak > 0 {
                if entry.condition == .noResponderURL {
                    withoutOCSP += 1
                } else {
                    problems.append(StaplingHealth.Problem(id: id, info: entry.info))
                }
            }
            return StaplingHealth(certificates: core.entries.count, fresh: core.entries.count - problems.count - withoutOCSP,
                                  withoutOCSP: withoutOCSP, problems: problems)
        }
    }
}
