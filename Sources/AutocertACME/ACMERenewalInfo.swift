import AutocertHTTP
import Foundation
import SwiftASN1
import X509

/// A CA's advice on when to renew a certificate: ACME Renewal Information (RFC 9773 §4.2).
public struct ACMERenewalInfo: Sendable, Hashable {
    /// The window in which the CA would like the certificate renewed (RFC 9773 §4.2).
    public struct Window: Sendable, Hashable {
        public var start: Date
        public var end: Date

        public init(start: Date, end: Date) {
            self.start = start
            self.end = end
        }

        /// Whether the window can be used: it ends after it starts (RFC 9773 §4.2 gives no
        /// meaning to any other; a client then keeps its own schedule).
        public var isWellFormed: Bool { end > start }
    }

    /// The suggested renewal window.
    public var suggestedWindow: Window
    /// A page explaining why the window is what it is (a revocation, an incident), if given.
    public var explanationURL: String?
    /// How long to wait before asking again: the response's Retry-After (RFC 9773 §4.3).
    public var retryAfter: Duration?

    public init(suggestedWindow: Window, explanationURL: String? = nil, retryAfter: Duration? = nil) {
        self.suggestedWindow = suggestedWindow
        self.explanationURL = explanationURL
        self.retryAfter = retryAfter
    }
}

/// The identifier of a certificate in ARI requests and in a new order's `replaces`
/// (RFC 9773 §4.1): base64url (no padding) of the keyIdentifier of its Authority Key
/// Identifier extension, ".", base64url of its serial number's DER content octets.
public enum ACMECertificateIdentifier {
    /// The identifier of the certificate `der`.
    ///
    /// - Throws: ``ACMEError/Code/invalidInput`` when the certificate does not parse or has
    ///   no Authority Key Identifier key identifier (ARI cannot name it).
    public static func make(certificateDER der: [UInt8]) throws -> String {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw ACMEError(.invalidInput, "the certificate does not parse (\(error)); ARI cannot name it")
        }
        guard let keyIdentifier = (try? certificate.extensions.authorityKeyIdentifier)??.keyIdentifier, !keyIdentifier.isEmpty else {
            throw ACMEError(.invalidInput, "the certificate has no Authority Key Identifier key identifier; ARI (RFC 9773 §4.1) cannot name it")
        }
        return Base64URL.encode(Array(keyIdentifier)) + "." + Base64URL.encode(try serialContentOctets(der))
    }

    /// The content octets of the certificate's serialNumber INTEGER exactly as encoded (RFC 5280
    /// §4.1.2.2), leading zero included: the parsed serial number drops that sign octet.
    static func serialContentOctets(_ der: [UInt8]) throws -> [UInt8] {
        guard case .constructed(let certificate) = try DER.parse(der).content,
              let tbs = certificate.first(where: { _ in true }), case .constructed(let fields) = tbs.content else {
            throw ACMEError(.invalidInput, "the certificate is not a DER SEQUENCE; ARI cannot name it")
        }
        // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT OPTIONAL, serialNumber INTEGER, … }
        guard let serial = fields.first(where: { $0.identifier == .integer }), case .primitive(let octets) = serial.content else {
            throw ACMEError(.invalidInput, "the certificate has no serialNumber; ARI cannot name it")
        }
        return Array(octets)
    }
}

extension ACMEClient {
    /// The CA's renewal information for the certificate `der` (RFC 9773 §4.1: an
    /// unauthenticated GET of `renewalInfo/<certificate identifier>`).
    ///
    /// - Throws: ``ACMEError/Code/unsupported`` when the directory names no `renewalInfo`;
    ///   ``ACMEError/Code/invalidResponse`` for an answer that is not renewal information.
    public func renewalInfo(forCertificate der: [UInt8]) async throws -> ACMERenewalInfo {
        guard let base = try await directory().renewalInfo else {
            throw ACMEError(.unsupported, "the CA at \(directoryURL) offers no renewal information (no renewalInfo in its directory, RFC 9773 §3)")
        }
        let url = base.hasSuffix("/") ? base + (try ACMECertificateIdentifier.make(certificateDER: der))
                                       : base + "/" + (try ACMECertificateIdentifier.make(certificateDER: der))
        let response = try await send(HTTPRequest(method: .get, url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")]),
                                      maxBytes: configuration.maxJSONBytes, redirects: 2)
        return try ACMERenewalInfo(response: response, url: url)
    }
}

extension ACMERenewalInfo {
    /// Reads the CA's answer to a renewal-information request (RFC 9773 §4.2, §4.3): its
    /// problem document, or the window and Retry-After.
    init(response: HTTPResponse, url: String) throws {
        if let error = ACMEResponse.error(in: response, url: url) { throw error }
        let wire = try ACMEResponse.decode(RenewalInfoWire.self, from: response, url: url, what: "renewal information")
        guard let start = RFC3339.date(wire.suggestedWindow.start), let end = RFC3339.date(wire.suggestedWindow.end) else {
            throw ACMEError(.invalidResponse, "the renewal information's window holds no RFC 3339 times (\(wire.suggestedWindow.start), \(wire.suggestedWindow.end))",
                            status: response.status, url: url)
        }
        self.init(suggestedWindow: .init(start: start, end: end), explanationURL: wire.explanationURL,
                  retryAfter: ACMEResponse.retryAfter(response))
    }
}

/// The renewal information as the CA sends it (RFC 9773 §4.2).
private struct RenewalInfoWire: Decodable {
    struct Window: Decodable {
        var start: String
        var end: String
    }
    var suggestedWindow: Window
    var explanationURL: String?
}

/// RFC 3339 date-times (RFC 9773 §4.2, RFC 8555 §7.1), with or without fractional seconds.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        let whole = ISO8601DateFormatter()
        whole.formatOptions = [.withInternetDateTime]
        if let date = whole.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
