import AutocertOCSP
import Crypto
import Foundation
import X509

/// The PKI of the crafted cases: a CA, a leaf and delegated responders, all dated
/// relative to one verification time so that each case moves one date at a time.
struct CraftedPKI {
    typealias Issued = (certificate: Certificate, key: P256.Signing.PrivateKey)

    static let hour: TimeInterval = 3_600
    static let day: TimeInterval = 86_400

    /// The verification time, in whole seconds (what GeneralizedTime and `-attime` carry).
    let now: Date
    let authority: TestAuthority
    let leaf: Issued
    let subject: OCSPSubject

    init(now: Date = Date()) throws {
        self.now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        authority = try TestAuthority(name: "Crafted CA", notBefore: self.now - 30 * Self.day, notAfter: self.now + 365 * Self.day)
        leaf = try authority.issue("leaf.test", notBefore: self.now - 10 * Self.day, notAfter: self.now + 80 * Self.day)
        subject = try OCSPSubject(certificate: leaf.certificate, issuer: authority.certificate)
    }

    /// A good response signed by the CA: produced and updated an hour before ``now``, next
    /// update three days after. Times are given as offsets from ``now``.
    func response(producedAt: TimeInterval = -CraftedPKI.hour, thisUpdate: TimeInterval = -CraftedPKI.hour, nextUpdate: TimeInterval = 3 * CraftedPKI.day) -> ResponseBuilder {
        var response = ResponseBuilder(subject: subject, authority: authority)
        response.producedAt = now + producedAt
        response.thisUpdate = now + thisUpdate
        response.nextUpdate = now + nextUpdate
        return response
    }

    /// A response signed by `delegate` (embedded unless `embed` is false), with the times of
    /// ``response(producedAt:thisUpdate:nextUpdate:)``.
    func response(signedBy delegate: Issued, embed: Bool = true, producedAt: TimeInterval = -CraftedPKI.hour, thisUpdate: TimeInterval = -CraftedPKI.hour) -> ResponseBuilder {
        var response = response(producedAt: producedAt, thisUpdate: thisUpdate)
        response.sign(as: delegate, embed: embed)
        return response
    }

    /// A delegated responder issued by `issuer` (the CA by default), valid between the
    /// offsets `from` and `until`, with id-kp-OCSPSigning unless `ocspSigning` is false.
    func delegate(
        issuer: TestAuthority? = nil, from: TimeInterval = -CraftedPKI.day, until: TimeInterval = 30 * CraftedPKI.day,
        ocspSigning: Bool = true, extensions: [Certificate.Extension] = []
    ) throws -> Issued {
        try (issuer ?? authority).issue("OCSP Responder", ocspURL: nil, ocspSigning: ocspSigning,
                                        notBefore: now + from, notAfter: now + until, extensions: extensions)
    }

    /// Another CA with the same name and its own key.
    func impostor() throws -> TestAuthority {
        try TestAuthority(name: "Crafted CA", notBefore: now - 30 * Self.day, notAfter: now + 365 * Self.day)
    }

    /// Writes `certificates` as one PEM file at `path`, for `openssl` and the `ocsp` command.
    static func writePEM(_ certificates: [Certificate], to path: String) throws {
        try certificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
    }
}
