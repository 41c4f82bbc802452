import AutocertOCSP
import Foundation
import X509

/// What the manager knows about one certificate's staple: the owner-visible state.
public struct StapleInfo: Sendable, Hashable {
    /// Why a certificate has the staple it has, or has none.
    public enum Condition: String, Sendable, Hashable, CustomStringConvertible {
        /// No answer yet (the first fetch is queued or running).
        case pending
        /// A verified `good` response is stapled.
        case stapled
        /// The responder says the certificate is revoked: replace it.
        case revoked
        /// The responder does not know the certificate (RFC 6960 `unknown`): nothing stapled.
        case unknownToResponder
        /// The certificate names no OCSP responder and no override applies: nothing to staple.
        case noResponderURL
        /// Fetching fails and no staple is left to serve.
        case failing
        /// The certificate itself has expired: nothing is stapled or fetched.
        case certificateExpired

        public var description: String { rawValue }
    }

    public var condition: Condition
    /// The responder asked (override, global override, or the certificate's AIA URL).
    public var responderURL: String?
    /// thisUpdate of the served staple.
    public var thisUpdate: Date?
    /// When the served staple stops being served (nextUpdate clamped to the certificate's expiry).
    public var servedUntil: Date?
    /// When the manager plans to fetch next.
    public var nextAttempt: Date?
    /// Failed fetches in a row (0 after a success).
    public var failureStreak: Int
    /// The last failure, while failures continue.
    public var lastFailure: OCSPError?
    /// The revocation time and reason, when the responder said revoked.
    public var revocationTime: Date?
    public var revocationReason: OCSPRevocationReason?
    /// The certificate (the leaf given to `add`), DER: which certificate this is, for a layer
    /// that reacts to events (a revoked certificate's names are in it).
    public var certificateDER: [UInt8]
}

/// One certificate's state inside the manager (not public: read through ``StapleInfo``).
///
/// Kept small (96 bytes inline) because there may be 100,000 of them: the leaf is kept as its
/// DER (shared with the caller's array when added by DER), the issuer DER and the responder
/// URL are shared between certificates, times are stored as plain seconds (NaN for none),
/// and rare facts (failure, revocation) are boxed. The OCSPSubject is rebuilt for each fetch
/// (a few times a week per certificate).
struct StapleEntry {
    let leafDER: [UInt8]
    let issuerDER: Box<[UInt8]>
    let responderURL: String?
    private let notAfterSeconds: Double
    private var thisUpdateSeconds = Double.nan
    private var servedUntilSeconds = Double.nan
    private var nextAttemptSeconds = Double.nan
    private var failure: Box<OCSPError>?
    var revocation: Box<Revocation>?
    var failureStreak: Int32 = 0
    /// Bumped at each (re)schedule; heap items with another value are stale.
    var scheduleGeneration: UInt32 = 0
    /// Bumped at each new staple; expiry items with another value are stale.
    var stapleGeneration: UInt32 = 0
    var condition: StapleInfo.Condition = .pending
    var fetchInFlight = false
    /// The current plan fell due while a fetch was still running (e.g. persisting), so the
    /// scheduler set it aside; the fetch re-plans it when it ends unless it made a new one.
    var planDueDuringFetch = false
    var warnedExpiring = false
    var loggedUnknown = false

    init(leafDER: [UInt8], issuerDER: Box<[UInt8]>, responderURL: String?, notAfter: Date) {
        self.leafDER = leafDER
        self.issuerDER = issuerDER
        self.responderURL = responderURL
        self.notAfterSeconds = notAfter.timeIntervalSinceReferenceDate
    }

    var notAfter: Date { Date(timeIntervalSinceReferenceDate: notAfterSeconds) }

    var thisUpdate: Date? {
        get { Self.date(thisUpdateSeconds) }
        set { thisUpdateSeconds = Self.seconds(newValue) }
    }

    var servedUntil: Date? {
        get { Self.date(servedUntilSeconds) }
        set { servedUntilSeconds = Self.seconds(newValue) }
    }

    var nextAttempt: Date? {
        get { Self.date(nextAttemptSeconds) }
        set { nextAttemptSeconds = Self.seconds(newValue) }
    }

    var lastFailure: OCSPError? {
        get { failure?.value }
        set { failure = newValue.map(Box.init) }
    }

    private static func date(_ seconds: Double) -> Date? {
        seconds.isNaN ? nil : Date(timeIntervalSinceReferenceDate: seconds)
    }

    private static func seconds(_ date: Date?) -> Double {
        date?.timeIntervalSinceReferenceDate ?? .nan
    }

    /// The certificate and issuer, prepared for one fetch.
    func subject() throws(OCSPError) -> OCSPSubject {
        let leaf: Certificate
        do { leaf = try Certificate(derEncoded: leafDER) } catch {
            throw OCSPError(.invalidCertificate, "the stored certificate no longer parses (\(error))")
        }
        return try OCSPSubject(certificate: leaf, issuerDER: issuerDER.value)
    }

    var info: StapleInfo {
        StapleInfo(
            condition: condition, responderURL: responderURL, thisUpdate: thisUpdate, servedUntil: servedUntil,
            nextAttempt: nextAttempt, failureStreak: Int(failureStreak), lastFailure: lastFailure,
            revocationTime: revocation?.value.time, revocationReason: revocation?.value.reason, certificateDER: leafDER)
    }
}

/// When and why the responder said revoked.
struct Revocation: Sendable {
    let time: Date
    let reason: OCSPRevocationReason?
}

/// A shared, immutable value behind one reference.
final class Box<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
