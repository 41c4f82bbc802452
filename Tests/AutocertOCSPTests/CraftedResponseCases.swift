@_spi(OCSPWire) import AutocertOCSP
import Foundation
import SwiftASN1
import Testing
import X509

/// One crafted response: how it is made, our verdict, and OpenSSL's.
struct CraftedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let ours: Verdict
    let openSSL: OpenSSLOCSPVerdict
    /// Why we and OpenSSL disagree on accepting it (docs/ocsp-vector-decisions.md); nil
    /// when we agree.
    let difference: String?
    /// The response and the certificates given as untrusted (`-verify_other`).
    let make: @Sendable (CraftedPKI) throws -> (response: [UInt8], untrusted: [Certificate])

    var testDescription: String { name }

    /// A case whose response `build` makes, with no untrusted certificates.
    init(_ name: String, ours: Verdict, openSSL: OpenSSLOCSPVerdict, difference: String? = nil,
         _ build: @escaping @Sendable (CraftedPKI) throws -> ResponseBuilder) {
        (self.name, self.ours, self.openSSL, self.difference) = (name, ours, openSSL, difference)
        self.make = { pki in (try build(pki).build(), []) }
    }

    /// A case that also gives untrusted certificates.
    init(_ name: String, ours: Verdict, openSSL: OpenSSLOCSPVerdict,
         withUntrusted make: @escaping @Sendable (CraftedPKI) throws -> (response: [UInt8], untrusted: [Certificate])) {
        (self.name, self.ours, self.openSSL, self.difference, self.make) = (name, ours, openSSL, nil, make)
    }
}

/// The crafted cases around RFC 6960 §4.2.2.2 (who may sign, when), the clock skew, and
/// RFC 5280 §4.2's critical extensions on responses, single responses and delegates.
enum CraftedCases {
    private static let (hour, day, skew) = (CraftedPKI.hour, CraftedPKI.day, 300.0)
    private static let unknownOID: ASN1ObjectIdentifier = [1, 2, 3, 4, 5]
    private static let ocspNoCheck: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 5]
    private static let null: ArraySlice<UInt8> = [0x05, 0x00]

    static let skewOnCertificates = "the clock skew applies to the delegate's validity as to the response's times; OpenSSL checks certificates at -attime exactly"
    static let producedAtUnchecked = "OpenSSL never compares producedAt with the time or with the delegate's validity"
    static let extensionsUnchecked = "OpenSSL does not apply RFC 5280 §4.2 to OCSP extensions; RFC 6960 §4.4 does (the BoringSSL corpus's has_critical_*_extension cases expect a refusal)"

    static let all: [CraftedCase] = signers + delegateTimes + responseTimes + extensions + untrusted

    static let signers: [CraftedCase] = [
        CraftedCase("issuer-signed", ours: .good, openSSL: .good) { $0.response() },
        CraftedCase("delegate", ours: .good, openSSL: .good) { pki in pki.response(signedBy: try pki.delegate()) },
        CraftedCase("delegate without id-kp-OCSPSigning", ours: .rejected(.unauthorizedSigner), openSSL: .refused("missing ocspsigning usage")) { pki in
            pki.response(signedBy: try pki.delegate(ocspSigning: false))
        },
        CraftedCase("delegate from a same-named other CA", ours: .rejected(.unauthorizedSigner), openSSL: .refused("certificate signature failure")) { pki in
            pki.response(signedBy: try pki.delegate(issuer: pki.impostor()))
        },
    ]

    static let delegateTimes: [CraftedCase] = [
        CraftedCase("delegate expired, producedAt back-dated into its validity", ours: .rejected(.unauthorizedSigner), openSSL: .refused("certificate has expired")) { pki in
            pki.response(signedBy: try pki.delegate(from: -20 * hour, until: -2 * hour), producedAt: -3 * hour, thisUpdate: -3 * hour)
        },
        CraftedCase("delegate expired 10 min ago", ours: .rejected(.unauthorizedSigner), openSSL: .refused("certificate has expired")) { pki in
            pki.response(signedBy: try pki.delegate(until: -2 * skew))
        },
        CraftedCase("delegate expired 2 min ago (within the skew)", ours: .good, openSSL: .refused("certificate has expired"), difference: skewOnCertificates) { pki in
            pki.response(signedBy: try pki.delegate(until: -120))
        },
        CraftedCase("delegate not yet valid, producedAt inside its validity", ours: .rejected(.unauthorizedSigner), openSSL: .refused("certificate is not yet valid")) { pki in
            pki.response(signedBy: try pki.delegate(from: hour, until: 10 * day), producedAt: 2 * hour)
        },
        CraftedCase("delegate valid from 2 min ahead (within the skew)", ours: .good, openSSL: .refused("certificate is not yet valid"), difference: skewOnCertificates) { pki in
            pki.response(signedBy: try pki.delegate(from: 120), producedAt: 130)
        },
        CraftedCase("delegate valid now, issued after producedAt", ours: .rejected(.unauthorizedSigner), openSSL: .good, difference: producedAtUnchecked) { pki in
            pki.response(signedBy: try pki.delegate(from: -hour / 2))
        },
    ]

    static let responseTimes: [CraftedCase] = [
        CraftedCase("producedAt a day ahead", ours: .rejected(.notYetValid), openSSL: .good, difference: producedAtUnchecked) { $0.response(producedAt: day) },
        CraftedCase("producedAt 10 min ahead", ours: .rejected(.notYetValid), openSSL: .good, difference: producedAtUnchecked) { $0.response(producedAt: 2 * skew) },
        CraftedCase("producedAt 2 min ahead (within the skew)", ours: .good, openSSL: .good) { $0.response(producedAt: 120) },
        CraftedCase("thisUpdate 10 min ahead", ours: .rejected(.notYetValid), openSSL: .refused("status not yet valid")) { $0.response(thisUpdate: 2 * skew) },
        CraftedCase("thisUpdate 2 min ahead (within the skew)", ours: .good, openSSL: .good) { $0.response(thisUpdate: 120) },
        CraftedCase("nextUpdate 10 min ago", ours: .rejected(.expired), openSSL: .refused("status expired")) { pki in
            pki.response(producedAt: -day, thisUpdate: -day, nextUpdate: -2 * skew)
        },
        CraftedCase("nextUpdate 2 min ago (within the skew)", ours: .good, openSSL: .good) { pki in
            pki.response(producedAt: -day, thisUpdate: -day, nextUpdate: -120)
        },
    ]

    static let extensions: [CraftedCase] = [
        CraftedCase("unknown critical response extension", ours: .rejected(.unhandledCriticalExtension), openSSL: .good, difference: extensionsUnchecked) { pki in
            var response = pki.response()
            response.responseExtensions = [OCSPExtension(oid: unknownOID, critical: true, value: null)]
            return response
        },
        CraftedCase("unknown non-critical response extension", ours: .good, openSSL: .good) { pki in
            var response = pki.response()
            response.responseExtensions = [OCSPExtension(oid: unknownOID, critical: false, value: null)]
            return response
        },
        CraftedCase("critical nonce (none was sent)", ours: .good, openSSL: .good) { pki in
            var response = pki.response()
            response.responseExtensions = [OCSPExtension(oid: [1, 3, 6, 1, 5, 5, 7, 48, 1, 2], critical: true, value: [0x04, 0x02, 0x01, 0x02])]
            return response
        },
        CraftedCase("unknown critical single extension", ours: .rejected(.unhandledCriticalExtension), openSSL: .good, difference: extensionsUnchecked) { pki in
            var response = pki.response()
            response.singleExtensions = [OCSPExtension(oid: unknownOID, critical: true, value: null)]
            return response
        },
        CraftedCase("delegate with an unknown critical extension", ours: .rejected(.unauthorizedSigner), openSSL: .refused("unhandled critical extension")) { pki in
            pki.response(signedBy: try pki.delegate(extensions: [Certificate.Extension(oid: unknownOID, critical: true, value: null)]))
        },
        CraftedCase("delegate with an unknown non-critical extension", ours: .good, openSSL: .good) { pki in
            pki.response(signedBy: try pki.delegate(extensions: [Certificate.Extension(oid: unknownOID, critical: false, value: null)]))
        },
        CraftedCase("delegate with critical basicConstraints, keyUsage, SAN, ocsp-nocheck", ours: .good, openSSL: .good) { pki in
            pki.response(signedBy: try pki.delegate(extensions: [
                Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
                Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
                Certificate.Extension(SubjectAlternativeNames([.dnsName("ocsp.test")]), critical: true),
                Certificate.Extension(oid: ocspNoCheck, critical: true, value: null),
            ]))
        },
        CraftedCase("delegate with a critical subject key identifier", ours: .rejected(.unauthorizedSigner), openSSL: .refused("unhandled critical extension")) { pki in
            let ski = Certificate.Extension(oid: .X509ExtensionID.subjectKeyIdentifier, critical: true, value: [0x04, 0x02, 0x01, 0x02])
            return pki.response(signedBy: try pki.delegate(extensions: [ski]))
        },
    ]

    static let untrusted: [CraftedCase] = [
        CraftedCase("delegate not in the response, given as untrusted", ours: .good, openSSL: .good, withUntrusted: { pki in
            let delegate = try pki.delegate()
            return (try pki.response(signedBy: delegate, embed: false).build(), [delegate.certificate])
        }),
        CraftedCase("delegate not in the response, not given", ours: .rejected(.unauthorizedSigner), openSSL: .refused("signer certificate not found")) { pki in
            pki.response(signedBy: try pki.delegate(), embed: false)
        },
        CraftedCase("delegate without id-kp-OCSPSigning, given as untrusted", ours: .rejected(.unauthorizedSigner), openSSL: .refused("missing ocspsigning usage"), withUntrusted: { pki in
            let delegate = try pki.delegate(ocspSigning: false)
            return (try pki.response(signedBy: delegate, embed: false).build(), [delegate.certificate])
        }),
    ]
}
