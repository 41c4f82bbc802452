import AutocertStorage
import Foundation
import SwiftASN1
import X509

extension Manager {
    /// How long a certificate record is kept after its certificate expired (for diagnosis).
    static let expiredRecordRetention: TimeInterval = 7 * 86_400
    /// How often storage is swept (also once when ``run()`` starts).
    static let storageSweepInterval: TimeInterval = 12 * 3600

    /// Deletes stored certificate records (key and chain, as ``CertificateRecord`` writes them)
    /// whose certificate expired more than ``expiredRecordRetention`` ago and that are not
    /// served now: names dropped from the host policy, or left by a renewal that kept
    /// failing. Also deletes what a cluster shares and nobody uses any more: renewal
    /// information not checked for that long, and tls-alpn-01 answers left by an instance that
    /// stopped mid-order, once their certificate expired. Blobs of any other shape are left
    /// alone. Returns how many were deleted.
    @discardableResult
    func sweepExpiredRecords(now: Date) async -> Int {
        let names: [String]
        do { names = try await storage.list(prefix: "") } catch {
            logger.warning("could not list storage to sweep expired certificates", metadata: ["error": "\(error)"])
            return 0
        }
        let served = served.withLock { Set($0.keys.map(CertificateRecord.storageName(for:))) }
        var deleted = 0
        for name in names where !served.contains(name) {
            guard let bytes = try? await storage.get(name), let notAfter = Self.endOfUse(stored: name, bytes),
                  notAfter.addingTimeInterval(Self.expiredRecordRetention) < now else { continue }
            do {
                try await storage.delete(name)
                deleted += 1
                logger.info("deleted a certificate record that expired a while ago", metadata: ["storage.name": "\(name)", "notAfter": "\(notAfter)"])
            } catch {
                logger.warning("could not delete an expired certificate record", metadata: ["storage.name": "\(name)", "error": "\(error)"])
            }
        }
        return deleted
    }

    /// When the blob stored under `name` stopped being of use: a record's or a tls-alpn-01
    /// answer's certificate expiry, or shared renewal information's next check; nil for
    /// anything else (kept).
    static func endOfUse(stored name: String, _ bytes: [UInt8]) -> Date? {
        if name.hasPrefix("renewal-info+") {
            return (try? JSONDecoder().decode(SharedRenewalInfo.self, from: Data(bytes)))?.nextCheck
        }
        if name.hasPrefix(ChallengeAnswers.storageName(tlsALPN01: "")) {
            guard let document = try? PEMDocument.parseMultiple(pemString: String(decoding: bytes, as: UTF8.self))
                .first(where: { $0.discriminator == "CERTIFICATE" }) else { return nil }
            return (try? Certificate(derEncoded: document.derBytes))?.notValidAfter
        }
        return CertificateRecord.notAfter(ofStored: bytes)
    }
}

extension CertificateRecord {
    /// The notAfter of a stored blob shaped like a record (a private key block, then
    /// certificates); nil for anything else. Nothing is validated: it only says how old it is.
    static func notAfter(ofStored bytes: [UInt8]) -> Date? {
        leaf(ofStored: bytes)?.notValidAfter
    }

    /// The leaf of a stored blob shaped like a record (a private key block, then
    /// certificates); nil for anything else. Nothing is validated.
    static func leaf(ofStored bytes: [UInt8]) -> Certificate? {
        guard let documents = try? PEMDocument.parseMultiple(pemString: String(decoding: bytes, as: UTF8.self)),
              let first = documents.first, first.discriminator.hasSuffix("PRIVATE KEY"),
              let leaf = documents.dropFirst().first(where: { $0.discriminator == "CERTIFICATE" }),
              let certificate = try? Certificate(derEncoded: leaf.derBytes) else { return nil }
        return certificate
    }
}
