import AutocertACME
import AutocertTLS

/// Answers ACME challenges through ``ChallengeAnswers``, which the TLS selector (tls-alpn-01,
/// RFC 8737 §3) and the HTTP handler (http-01, RFC 8555 §8.3) read: the Manager's solver for
/// `AutocertACME`'s issuance flow.
///
/// http-01 is offered only while an HTTP handler serves the answers
/// (``Manager/http01HandlerFactory(httpsPort:)``), as in Go autocert.
struct ChallengeAnswersSolver: ACMEChallengeSolver {
    let answers: ChallengeAnswers
    /// The types the CA may use, preferred first.
    let preference: [String]

    var challengeTypes: [String] {
        preference.filter { $0 != ACMEChallenge.http01 || answers.servesHTTP01 }
    }

    func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws {
        switch challenge.type {
        case ACMEChallenge.tlsALPN01:
            // Served for the name, or an IP's reverse-DNS name (RFC 8738 §6).
            try await answers.publish(TLSALPNChallengeCertificate(name: identifier.value, keyAuthorization: keyAuthorization))
        default:
            try await answers.publishHTTP01(token: challenge.token ?? "", keyAuthorization: keyAuthorization)
        }
    }

    func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async {
        switch challenge.type {
        case ACMEChallenge.tlsALPN01: await answers.withdrawTLSALPN01(serverName: ACMEIPAddress(identifier.value)?.reverseDNSName ?? identifier.value)
        default: await answers.withdrawHTTP01(token: challenge.token ?? "")
        }
    }
}
