import AutocertACME
import AutocertStorage
import Crypto
import Foundation
import Logging

extension ACMECertificateAuthority {
    /// The storage name of the account key for this directory: `acme-account+` and the first
    /// 16 hex digits of the SHA-256 of the directory URL.
    var accountKeyName: String {
        "acme-account+" + SHA256.hash(data: Array(client.directoryURL.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The name a damaged account key is kept under, made at `date`:
    /// ``accountKeyName`` + `.damaged-` + the UTC time as `yyyyMMdd'T'HHmmss'Z'`.
    func damagedAccountKeyName(at date: Date) -> String {
        accountKeyName + ".damaged-" + date.formatted(Date.ISO8601FormatStyle(dateSeparator: .omitted, timeSeparator: .omitted, timeZone: .gmt))
    }

    /// The ACME account key (RFC 8555 §7.3) for this directory: the stored one, or a new
    /// P-256 key, stored before it is used.
    ///
    /// A stored key that does not parse is not fatal: its bytes are first stored under
    /// ``damagedAccountKeyName(at:)`` (storage has no rename: this put, then the put of the
    /// new key over ``accountKeyName``, so the damaged bytes are never lost), then a new key
    /// replaces it, a warning names both, and the caller registers a new account with it.
    /// A key that cannot be read (a ``StorageError``) is an error: it may be fine on disk.
    func accountKey() async throws -> ACMEAccountKey {
        let stored: [UInt8]?
        do {
            stored = try await storage.get(accountKeyName)
        } catch {
            throw AutocertError(.storageFailed, "could not read the ACME account key '\(accountKeyName)': \(error.reason)", underlying: error)
        }
        guard let stored else {
            try checkTerms(await client.directory())
            return try await storeNewAccountKey()
        }
        let damage: any Error
        do {
            return try ACMEAccountKey(pemRepresentation: String(decoding: stored, as: UTF8.self))
        } catch {
            damage = error
        }
        try checkTerms(await client.directory())
        let keptAs = damagedAccountKeyName(at: Date())
        do {
            try await storage.put(keptAs, stored)
        } catch {
            throw AutocertError(.storageFailed, "the stored ACME account key '\(accountKeyName)' is damaged (\(damage)) and could not be kept aside as '\(keptAs)': \(error.reason); move it away by hand so that a new account can be made", underlying: error)
        }
        let key = try await storeNewAccountKey()
        logger.warning("the stored ACME account key was damaged; kept it under a new name and stored a new key, with which a new account is registered",
                       metadata: ["storageKey": "\(accountKeyName)", "keptAs": "\(keptAs)", "error": "\(damage)"])
        return key
    }

    /// A new P-256 account key, stored under ``accountKeyName`` (replacing what was there)
    /// before it is used.
    private func storeNewAccountKey() async throws(AutocertError) -> ACMEAccountKey {
        let key = ACMEAccountKey.generateP256()
        do {
            try await storage.put(accountKeyName, Array(key.pemRepresentation.utf8))
        } catch {
            throw AutocertError(.storageFailed, "could not store the new ACME account key '\(accountKeyName)': \(error.reason)", underlying: error)
        }
        return key
    }

    /// Throws ``AutocertError/Code/termsNotAccepted`` when `directory` has terms of service
    /// (RFC 8555 §7.1.1 meta.termsOfService) and they were not accepted.
    private func checkTerms(_ directory: ACMEDirectory) throws(AutocertError) {
        if directory.meta?.termsOfService != nil, !acceptsTermsOfService {
            throw AutocertError(.termsNotAccepted, "the CA at \(client.directoryURL) has terms of service; read them and set Configuration.acceptsTermsOfService")
        }
    }
}
