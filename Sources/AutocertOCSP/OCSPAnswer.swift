import Foundation
import X509

/// A verified OCSP answer for one certificate: what a lookup returns and a server staples.
public struct OCSPAnswer: Sendable, Hashable {
    /// The certificate's status.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case good
        case revoked(time: Date, reason: OCSPRevocationReason?)
        case unknown

        public var description: String {
            switch self {
            case .good: "good"
            case .revoked: "revoked"
            case .unknown: "unknown"
            }
        }
    }

    /// Who signed the response (RFC 6960 §4.2.2.2).
    public enum Signer: Sendable, Hashable {
        /// The issuing CA itself.
        case issuer
        /// A delegated responder certificate (DER) issued by the CA with id-kp-OCSPSigning.
        case delegated([UInt8])
    }

    public var status: Status
    public var thisUpdate: Date
    /// When newer information will be available; nil when the responder did not say.
    public var nextUpdate: Date?
    public var producedAt: Date
    public var signer: Signer
    /// The CertID the answer was matched against.
    public var certID: OCSPCertID
    /// The exact DER of the OCSPResponse: what a TLS server staples.
    public var derBytes: [UInt8]
    /// The responder URL that answered (after redirects); nil for an offline verification.
    public var responderURL: String?
    /// The HTTP Cache-Control max-age the responder sent (RFC 5019 §6.2), if any.
    public var maxAge: Duration?

    /// The revocation time, when revoked.
    public var revocationTime: Date? {
        if case .revoked(let time, _) = status { return time }
        return nil
    }

    /// The revocation reason, when revoked and given.
    public var revocationReason: OCSPRevocationReason? {
        if case .revoked(_, let reason) = status { return reason }
        return nil
    }
}
