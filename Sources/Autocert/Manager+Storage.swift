import AutocertStorage
import Foundation
import X509

/// What the Manager does with storage besides single reads and writes: loading every stored
/// certificate at start, following what other instances store, and storing again what
/// storage refused while it was down.
extension Manager {
    /// How often every served certificate is compared with the stored one when the storage
    /// tells of changes (a notification may be missed). Five minutes.
    static let reconciliationInterval: TimeInterval = 300
    /// How often certificates storage refused are stored again. 30 s.
    static let unsavedRetryInterval: TimeInterval = 30

    /// Loads and serves every certificate in storage that the host policy allows, so that
    /// handshakes find them in memory from the start (what a new instance of a cluster
    /// does). A stored staple is served at once; a certificate with none is installed after
    /// its first fetch (bounded by ``Configuration/firstStapleTimeout``, as for a first
    /// handshake), and a handshake for it meanwhile joins that load, so no handshake is
    /// answered unstapled because it raced the preload. Returns how many were loaded.
    @discardableResult
    public func preloadStoredCertificates(concurrency: Int = 8) async -> Int {
        let names: [String]
        do {
            names = try await storage.list(prefix: "").filter(Self.couldBeRecord)
        } catch {
            storageFailed(error)
            logger.warning("could not list storage to load the stored certificates; they load at their first handshake", metadata: ["error": "\(error)"])
            return 0
        }
        let started = ContinuousClock.now
        let loaded = await withTaskGroup(of: Bool.self) { group in
            var count = 0
            var next = names.makeIterator()
            func add() -> Bool {
                guard let blob = next.next() else { return false }
                group.addTask { await self.preload(blob) }
                return true
            }
            for _ in 0..<max(1, concurrency) where !add() { break }
            while let done = await group.next() {
                if done { count += 1 }
                _ = add()
            }
            return count
        }
        logger.info("stored certificates loaded", metadata: ["count": "\(loaded)", "blobs": "\(names.count)", "duration": "\(started.duration(to: .now))"])
        return loaded
    }

    /// Loads the record stored as `blob` when it is one and its name is allowed and not served
    /// (one read: the bytes listed are the ones validated and installed).
    private func preload(_ blob: String) async -> Bool {
        guard let bytes = try? await storage.get(blob), let leaf = CertificateRecord.leaf(ofStored: bytes),
              let name = CertificateRecord.identifiers(of: leaf).first(where: { CertificateRecord.storageName(for: $0) == blob }),
              configuration.hostPolicy.allows(name), cachedKey(for: name) == nil else { return false }
        var loaded = false
        _ = try? await flights.run(name) {
            if let key = cachedKey(for: name) { return key }
            // An invalid record is left to the name's first handshake, which reports it.
            let record = try CertificateRecord(name: name, pem: String(decoding: bytes, as: UTF8.self), now: clock.now)
            loaded = true
            metrics.loaded.increment()
            logger.info("certificate loaded from storage", metadata: ["name": "\(name)", "notAfter": "\(record.notAfter)"])
            return try await install(record) { .loaded(name: name, notAfter: record.notAfter, renewAt: $0) }
        }
        return loaded
    }

    /// Whether a storage name can hold a certificate record (not a staple, lock, key, answer).
    static func couldBeRecord(_ name: String) -> Bool {
        !name.contains("+") && !name.hasPrefix("ocsp-")
    }

    /// Follows the changes other instances make: challenge answers come into memory, and a
    /// served certificate that another instance renewed is served here too; every
    /// ``reconciliationInterval`` every served certificate is compared with storage.
    func followStorage(_ changes: AsyncStream<String>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await name in changes {
                    if name.hasPrefix(ChallengeAnswers.storagePrefix) {
                        await self.challenges.applyStoredChange(name)
                    } else if let served = self.servedName(storageName: name) {
                        await self.reconcile(served)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await self.clock.sleep(until: self.clock.now.addingTimeInterval(Self.reconciliationInterval))
                    if Task.isCancelled { return }
                    for name in self.served.withLock({ Array($0.keys) }) { await self.reconcile(name) }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The served name whose record is stored as `storageName`.
    private func servedName(storageName: String) -> String? {
        served.withLock { served in served.keys.first { CertificateRecord.storageName(for: $0) == storageName } }
    }

    /// Serves the stored certificate of `name` when it is newer than the served one (another
    /// instance renewed or replaced it), in the name's single flight.
    func reconcile(_ name: String) async {
        guard let current = served.withLock({ $0[name] }), !flights.isRunning(name),
              let stored = await newerStoredRecord(name, than: current) else { return }
        _ = try? await flights.run(name) {
            guard served.withLock({ $0[name] === current }) else { return current.key }  // changed meanwhile
            metrics.loaded.increment()
            logger.info("certificate another instance stored loaded", metadata: ["name": "\(name)", "notAfter": "\(stored.notAfter)"])
            return try await install(stored) { .loaded(name: name, notAfter: stored.notAfter, renewAt: $0) }
        }
    }

    /// Stores again the certificates storage refused, unless a newer one was stored since.
    func retryUnsavedRecords() async {
        for (name, record) in unsaved.withLock({ $0 }) {
            do {
                let storageName = CertificateRecord.storageName(for: name)
                if let bytes = try await storage.get(storageName), let stored = CertificateRecord.leaf(ofStored: bytes),
                   stored.notValidAfter > record.notAfter {
                    unsaved.withLock { _ = $0.removeValue(forKey: name) }
                    continue
                }
                try await storage.put(storageName, Array(record.pem.utf8))
                try? await storage.delete(CertificateRecord.pendingKeyName(for: name))
                unsaved.withLock { _ = $0.removeValue(forKey: name) }
                storageRecovered()
                logger.notice("stored the certificate storage had refused", metadata: ["name": "\(name)"])
            } catch {
                storageFailed(error)
            }
        }
    }

    /// Notes a storage failure (metrics and health).
    func storageFailed(_ error: any Error) {
        metrics.storageFailures.increment()
        storageFailingSince.withLock { $0 = $0 ?? clock.now }
    }

    /// Notes that storage works again.
    func storageRecovered() {
        storageFailingSince.withLock { $0 = nil }
    }
}

