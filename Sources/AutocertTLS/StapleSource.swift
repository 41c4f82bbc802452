#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a backend gets the OCSP response it staples for one certificate (RFC 6066 §8,
/// RFC 8446 §4.4.2.1): the seam between the TLS layer and whatever keeps staples fresh.
///
/// A ``CertifiedKey`` carries its source. A backend asks it inside the handshake (OpenSSL's
/// status_request callback, GnuTLS's certificate retrieve function), on the event loop, and
/// only when the client asked for a staple, so a new staple reaches the next handshake with
/// nothing rebuilt. Answer synchronously from memory: no I/O, no suspension, no waiting on a
/// lock held across either, and no allocation (return an array you keep: handing it out is a
/// retain). Nil means "no staple now"; the handshake goes on without one.
///
/// The source answers for what it returns: a verified OCSPResponse (RFC 6960 §3.2) for this
/// certificate whose nextUpdate has not passed. The stapler of `AutocertStapling` is one
/// (the `AutocertStaplingTLS` glue); a staple you already have is ``StaticStaple``.
public protocol StapleSource: Sendable {
    /// The DER OCSPResponse to staple now (RFC 6960 §4.2.1), or nil for none.
    func currentStaple() -> [UInt8]?
}

/// A staple that does not change: a DER OCSPResponse you already have (from `ocsp check
/// --out`, or nginx's `ssl_stapling_file`), served until `until` and never after it.
///
/// Verify it before you hand it over (`AutocertOCSP`'s `OCSPVerifier`) and pass its
/// nextUpdate as `until`: a staple past its nextUpdate makes careful clients fail the
/// connection, so none is better (RFC 6960 §4.2.2.1).
public struct StaticStaple: StapleSource {
    /// The DER OCSPResponse.
    public let der: [UInt8]
    /// The instant it stops being served (its nextUpdate); nil for no end.
    public let until: Date?

    /// - Throws: ``TLSBackendError/Code/invalidCertifiedKey`` for an empty response.
    public init(_ der: [UInt8], until: Date? = nil) throws(TLSBackendError) {
        guard !der.isEmpty else {
            throw TLSBackendError(.invalidCertifiedKey, "the OCSP staple is empty; pass no staple source instead")
        }
        self.der = der
        self.until = until
    }

    public func currentStaple() -> [UInt8]? {
        if let until, Date() >= until { return nil }
        return der
    }
}
