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
    /// failing. Blobs of any other shape are left alone. Returns how many were deleted.
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
            guard let bytes = try? await storage.get(name), let notAfter = CertificateRecord.notAfter(ofStored: bytes),
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
