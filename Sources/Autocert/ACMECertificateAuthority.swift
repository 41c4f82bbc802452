import AutocertACME
import AutocertStorage
import AutocertTLS
import Foundation
import SwiftASN1
import Logging
import Synchronization
import X509

/// The ``CertificateAuthority`` over an ACME CA (RFC 8555), through `AutocertACME.ACMEClient`.
///
/// Registers (or finds) the account on first use, with its key persisted in storage before
/// it is used; orders, answers tls-alpn-01 (RFC 8737) or http-01 (RFC 8555 §8.3) through
/// ``ChallengeAnswers``, finalizes with a CSR signed by the Manager's key, and downloads the
/// chain. http-01 is chosen only when an HTTP handler serves the answers
/// (``Manager/http01HandlerFactory(httpsPort:)``), as in Go autocert.
public final class ACMECertificateAuthority: CertificateAuthority {
    public let client: ACMEClient
    let storage: any BlobStorage
    let contact: [String]
    let acceptsTermsOfService: Bool
    let challengeTypes: [String]
    let logger: Logger
    private let account = Mutex<ACMEAccount?>(nil)
    private let accountFlight = SingleFlight<Int, ACMEAccount>()

    /// - Parameters:
    ///   - challengeTypes: the challenge types to answer, preferred first. Default tls-alpn-01, then http-01.
    public init(client: ACMEClient, storage: any BlobStorage, email: String?, acceptsTermsOfService: Bool,
                challengeTypes: [String] = [ACMEChallenge.tlsALPN01, ACMEChallenge.http01], logger: Logger) {
        self.client = client
        self.storage = storage
        self.contact = email.map { ["mailto:" + $0] } ?? []
        self.acceptsTermsOfService = acceptsTermsOfService
        self.challengeTypes = challengeTypes
        self.logger = logger
    }

    /// A CA at `directoryURL` on the default libcurl transport, trusting the system roots and
    /// the PEM roots in `trustedRootsPEMFile` when given.
    public convenience init(directoryURL: String, trustedRootsPEMFile: String?, storage: any BlobStorage, email: String?,
                            acceptsTermsOfService: Bool, logger: Logger) {
        self.init(client: ACMEClient(directoryURL: directoryURL, trustedRootsPEMFile: trustedRootsPEMFile, logger: logger),
                  storage: storage, email: email, acceptsTermsOfService: acceptsTermsOfService, logger: logger)
    }

    public func issueCertificate(_ request: CertificateRequest, challenges: ChallengeAnswers) async throws -> [[UInt8]] {
        let account = try await currentAccount()
        let solver = ChallengeAnswersSolver(answers: challenges, preference: challengeTypes)
        let issued = try await client.issueCertificate(for: request.names, account: account, solver: solver, key: request.key,
                                                       mustStaple: request.mustStaple, profile: request.profile, replaces: request.replaces)
        return issued.chain.certificatesDER
    }

    /// The CA's renewal information (RFC 9773), or nil when its directory offers none.
    public func renewalInfo(forCertificate leafDER: [UInt8]) async throws -> ACMERenewalInfo? {
        guard try await client.directory().renewalInfo != nil else { return nil }
        return try await client.renewalInfo(forCertificate: leafDER)
    }

    public func checkProfile(_ profile: String) async throws {
        try await client.checkProfile(profile)
    }

    /// Registers (or finds) the account, fetching the directory and a nonce on the way; a
    /// failure is left for the order, which tries again and reports it.
    public func prepare() async {
        _ = try? await currentAccount()
    }

    public func revokeCertificate(_ leafDER: [UInt8], reason: Int?) async throws {
        try await client.revoke(certificateDER: leafDER, reason: reason.map(ACMERevocationReason.init(rawValue:)), signer: .account(currentAccount()))
    }

    /// The account, registered or found once (RFC 8555 §7.3); its key is stored before use
    /// (``accountKey()``: a damaged stored key is kept aside and replaced).
    func currentAccount() async throws -> ACMEAccount {
        if let account = account.withLock({ $0 }) { return account }
        return try await accountFlight.run(0) {
            if let account = account.withLock({ $0 }) { return account }
            // One instance of a cluster makes (or repairs) the account key at a time.
            let key: ACMEAccountKey
            if let locking = storage as? any LockingStorage {
                key = try await locking.withLock(accountKeyName + ".lock", lease: .seconds(30), waitingUpTo: .seconds(120)) { _ in
                    try await self.accountKey()
                }
            } else {
                key = try await accountKey()
            }
            let registered = try await client.createAccount(key: key, contact: contact, termsOfServiceAgreed: acceptsTermsOfService)
            account.withLock { $0 = registered }
            return registered
        }
    }
}
