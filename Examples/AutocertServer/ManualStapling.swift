import ArgumentParser
import AutocertOCSP
import AutocertStapling
import AutocertStorage
import AutocertTLS
import Logging
import NIOCore
import Synchronization

/// Options for stapling the certificates you bring (`--cert`/`--key` without `--staple`).
struct ManualStaplingOptions: ParsableArguments {
    @Option(name: .customLong("ocsp-responder"),
            help: ArgumentHelp("Fetch staples from this OCSP responder instead of each certificate's own (a caching proxy).", valueName: "URL"))
    var responder: String?
}

/// Staples the certificates given with `--cert`/`--key` and no `--staple`, through a
/// StaplingManager persisting in `--storage`, as Caddy does for manual certificates: each
/// handshake gets the certificate with its current verified staple, or none.
final class ManualStaplingSelector: CertificateSelector {
    private let base: StaticCertificateSelector
    private let stapleIDs: [UInt64: StapleID]
    private let stapler: StaplingManager
    /// The key last served with each staple, so backends see one identity per staple.
    private let stapled = Mutex<[StapleID: (staple: [UInt8], key: CertifiedKey)]>([:])

    /// Registers every pair that has no `--staple` and whose chain holds its issuer.
    static func make(pairs: [CertificateArguments.Pair], base: StaticCertificateSelector, keys: [CertifiedKey],
                     stapler: StaplingManager, logger: Logger) async -> ManualStaplingSelector {
        var ids: [UInt64: StapleID] = [:]
        for (pair, key) in zip(pairs, keys) where pair.staple == nil {
            guard key.certificateChain.count >= 2 else {
                logger.warning("not stapling: the chain holds no issuer certificate; append it to the PEM", metadata: ["cert": "\(pair.chain)"])
                continue
            }
            do {
                let id = try await stapler.add(leafDER: key.certificateChain[0], issuerDER: key.certificateChain[1])
                ids[key.identity] = id
                logger.info("stapling automatically", metadata: ["cert": "\(pair.chain)", "staple.id": "\(id)"])
            } catch {
                logger.warning("not stapling: \(error.reason)", metadata: ["cert": "\(pair.chain)"])
            }
        }
        return ManualStaplingSelector(base: base, stapleIDs: ids, stapler: stapler)
    }

    private init(base: StaticCertificateSelector, stapleIDs: [UInt64: StapleID], stapler: StaplingManager) {
        self.base = base
        self.stapleIDs = stapleIDs
        self.stapler = stapler
    }

    /// Always known at once: the brought certificate with its current staple, or none.
    func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? {
        guard !hello.isACMEChallenge, let key = base.select(hello), let id = stapleIDs[key.identity] else {
            return base.immediateCertifiedKey(for: hello)
        }
        guard let staple = stapler.staple(for: id) else { return key }
        if let cached = stapled.withLock({ $0[id] }), cached.staple == staple {
            return cached.key
        }
        guard let withStaple = try? key.replacingStaple(staple) else { return key }
        stapled.withLock { $0[id] = (staple, withStaple) }
        return withStaple
    }

    func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        if let key = immediateCertifiedKey(for: hello) { return eventLoop.makeSucceededFuture(key) }
        return base.certifiedKey(for: hello, on: eventLoop)  // fails with the reason
    }
}

extension ManualStaplingOptions {
    /// The stapler for the certificates you bring, when `--storage` is given.
    func makeStapler(storagePath: String?, logger: Logger) throws -> StaplingManager? {
        guard let storagePath else {
            if responder != nil { logger.warning("--ocsp-responder has no effect without --storage (or --domain)") }
            return nil
        }
        var configuration = StaplingManager.Configuration()
        configuration.responderURL = responder
        return StaplingManager(configuration: configuration, storage: try DirectoryStorage(path: storagePath), logger: logger)
    }

    /// Runs `stapler` (fetches, refreshes, persistence) and logs its events while `body` runs.
    static func running(_ stapler: StaplingManager?, logger: Logger, _ body: () async throws -> Void) async throws {
        guard let stapler else { return try await body() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await stapler.run() }
            tasks.addTask {
                for await event in stapler.events {
                    switch event {
                    case .fetched, .removed: logger.info("stapling: \(event)")
                    default: logger.warning("stapling: \(event)")
                    }
                }
            }
            defer { tasks.cancelAll() }
            try await body()
        }
    }
}
