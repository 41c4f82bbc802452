import AutocertHTTP

/// The readers of a CA's answers as the `ACMEResponseFuzzer` libFuzzer target (Fuzz/)
/// drives them.
///
/// Exists only for the fuzzers: Fuzz/ is a separate package and cannot see internal
/// symbols. It behaves like nothing of its own and is not API (SPI `Fuzzing`).
@_spi(Fuzzing) public enum ACMEResponseFuzzing {
    /// Reads `body` as every answer the client reads from a CA, through the client's own
    /// functions: the body of an error response (a problem document, RFC 8555 §6.7); each
    /// JSON resource (directory, account, order, authorization, challenge, renewal
    /// information); a certificate chain (RFC 8555 §7.4.2) and the ARI identifier of each of
    /// its certificates (RFC 9773 §4.1); and, as text, a `Link` and (up to 64 bytes) a
    /// `Retry-After` header.
    /// Returns how many of these readings succeeded.
    public static func read(_ body: [UInt8]) -> Int {
        let url = "https://ca.invalid/fuzz"
        let text = String(decoding: body, as: UTF8.self)
        let json = [HTTPHeader(name: "Content-Type", value: "application/json")]
        var successes = 0
        func count(_ success: Bool) { if success { successes += 1 } }

        // An error answer with the text as its Link header, and as its Retry-After when it is
        // no longer than an HTTP-date or a number of seconds in one (longer values fail at
        // once in HTTPDate).
        var headers = json + [HTTPHeader(name: "Link", value: text)]
        if body.count <= 64 { headers.append(HTTPHeader(name: "Retry-After", value: text)) }
        let failure = HTTPResponse(status: 400, headers: headers, body: body, url: url)
        count(ACMEResponse.error(in: failure, url: url).map { "\($0)" }?.isEmpty == false)
        count(!ACMEResponse.links(failure, rel: "alternate").isEmpty)
        let ok = HTTPResponse(status: 200, headers: json, body: body, url: url)
        count((try? ACMEResponse.decode(ACMEDirectory.self, from: ok, url: url, what: "directory")) != nil)
        count((try? ACMEResponse.decode(ACMEAccount.Resource.self, from: ok, url: url, what: "account")) != nil)
        count((try? ACMEResponse.decode(ACMEOrder.Resource.self, from: ok, url: url, what: "order"))?.error.map { "\($0)" } != nil)
        count((try? ACMEResponse.decode(ACMEAuthorization.Resource.self, from: ok, url: url, what: "authorization")) != nil)
        count((try? ACMEResponse.decode(ACMEChallenge.self, from: ok, url: url, what: "challenge"))?.http01Path != nil)
        count((try? ACMERenewalInfo(response: ok, url: url)) != nil)
        if text.contains("-----BEGIN CERTIFICATE-----"),
           let chain = try? ACMECertificateChain(pem: text, alternateURLs: [], url: url) {
            count((try? chain.certificates()) != nil)
            for der in chain.certificatesDER { count((try? ACMECertificateIdentifier.make(certificateDER: der)) != nil) }
        }
        return successes
    }
}
