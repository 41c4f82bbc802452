import Foundation
import SwiftASN1
import X509

/// A downloaded certificate chain (RFC 8555 §7.4.2): the end-entity certificate first.
public struct ACMECertificateChain: Sendable, Hashable {
    /// The chain as the CA sent it (`application/pem-certificate-chain`).
    public let pem: String
    /// Each certificate, DER, end entity first.
    public let certificatesDER: [[UInt8]]
    /// URLs of alternate chains for the same certificate (`Link: rel="alternate"`).
    public let alternateURLs: [String]

    /// Parses a PEM chain; throws ``ACMEError/Code/invalidResponse`` when it holds no certificate
    /// or something that is not a certificate.
    init(pem: String, alternateURLs: [String], url: String) throws {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
            for document in documents {
                guard document.discriminator == "CERTIFICATE" else { throw ACMEError(.invalidResponse, "unexpected \(document.discriminator)") }
                _ = try Certificate(derEncoded: document.derBytes)
            }
        } catch {
            throw ACMEError(.invalidResponse, "the certificate chain is not a PEM list of certificates (\(error))", url: url)
        }
        guard !documents.isEmpty else {
            throw ACMEError(.invalidResponse, "the certificate chain is empty", url: url)
        }
        self.pem = pem
        self.certificatesDER = documents.map(\.derBytes)
        self.alternateURLs = alternateURLs
    }

    /// The certificates, parsed.
    public func certificates() throws -> [Certificate] {
        try certificatesDER.map { try Certificate(derEncoded: $0) }
    }
}

extension ACMEClient {
    /// Downloads the certificate chain of a `valid` order (RFC 8555 §7.4.2).
    public func downloadCertificate(for order: ACMEOrder, account: ACMEAccount) async throws -> ACMECertificateChain {
        guard let url = order.resource.certificate else {
            throw ACMEError(.invalidInput, "the order is \(order.status) and has no certificate yet; finalize it first", url: order.url)
        }
        return try await downloadCertificate(at: url, account: account)
    }

    /// Downloads the chain at `url` (POST-as-GET); pass one of ``ACMECertificateChain/alternateURLs``
    /// to get an alternate chain.
    public func downloadCertificate(at url: String, account: ACMEAccount) async throws -> ACMECertificateChain {
        let response = try await post(url, payload: nil, key: account.key, signer: .kid(account.url),
                                      maxBytes: configuration.maxCertificateChainBytes, accept: "application/pem-certificate-chain")
        let text = String(decoding: response.body, as: UTF8.self)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw ACMEError(.invalidResponse, "the CA did not answer with a PEM certificate chain (\(ACMEResponse.describeBody(response)))", status: response.status, url: url)
        }
        return try ACMECertificateChain(pem: text, alternateURLs: ACMEResponse.links(response, rel: "alternate"), url: url)
    }
}
