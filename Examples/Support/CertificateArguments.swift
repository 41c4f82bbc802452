import ArgumentParser
import AutocertOCSP
import AutocertStapling
import AutocertStaplingTLS
import AutocertTLS
import Foundation
import Logging
import X509

/// The example servers' `--cert`, `--key`, `--staple` groups, in command-line order (a staple belongs to the
/// pair before it, which ArgumentParser's arrays cannot tell).
public enum CertificateArguments {
    public struct Pair {
        var chain: String
        var key: String
        var staple: String?
    }

    public static func pairs(from arguments: [String]) throws -> [Pair] {
        var pairs: [Pair] = []
        var index = 0
        func value(_ option: String) throws -> String {
            if arguments[index].hasPrefix(option + "=") { return String(arguments[index].dropFirst(option.count + 1)) }
            index += 1
            guard index < arguments.count else { throw ValidationError("\(option) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--cert" || argument.hasPrefix("--cert=") {
                pairs.append(Pair(chain: try value("--cert"), key: ""))
            } else if argument == "--key" || argument.hasPrefix("--key=") {
                let path = try value("--key")
                guard !pairs.isEmpty, pairs[pairs.count - 1].key.isEmpty else { throw ValidationError("--key \(path) must follow a --cert") }
                pairs[pairs.count - 1].key = path
            } else if argument == "--staple" || argument.hasPrefix("--staple=") {
                let path = try value("--staple")
                guard !pairs.isEmpty, !pairs[pairs.count - 1].key.isEmpty, pairs[pairs.count - 1].staple == nil else {
                    throw ValidationError("--staple \(path) must follow a --cert/--key pair (one staple per pair)")
                }
                pairs[pairs.count - 1].staple = path
            }
            index += 1
        }
        return pairs
    }

    /// The certificates loaded from the pairs: the selector that serves them, and each one
    /// with its names (for the health endpoint).
    public struct Loaded: Sendable {
        public var selector = StaticCertificateSelector()
        public var certificates: [(names: [String], key: CertifiedKey)] = []
    }

    /// Loads each pair and maps the DNS names of its subjectAltName (or its CN) to it, each
    /// certificate with its staple source: its `--staple` file (verified first) or, with
    /// `stapler`, the stapler (registered here); otherwise none.
    public static func load(_ pairs: [Pair], stapler: StaplingManager?, logger: Logger) async throws -> Loaded {
        var loaded = Loaded()
        for pair in pairs {
            let chainPEM = try String(contentsOfFile: pair.chain, encoding: .utf8)
            let keyPEM = try String(contentsOfFile: pair.key, encoding: .utf8)
            var key = try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: keyPEM)
            if let staple = pair.staple {
                key = key.withStapleSource(try verifiedStaple(staple, for: key, chainPath: pair.chain))
            } else if let stapler {
                do {
                    key = try await stapler.stapling(key)
                    logger.info("stapling automatically", metadata: ["cert": "\(pair.chain)"])
                } catch {
                    logger.warning("not stapling: \(error.reason)", metadata: ["cert": "\(pair.chain)"])
                }
            }
            let names = try dnsNames(of: key.certificateChain[0])
            loaded.selector.add(key, for: names)
            loaded.certificates.append((names, key))
            logger.info("certificate loaded", metadata: [
                "cert": "\(pair.chain)", "names": "\(names.joined(separator: ","))", "staple": "\(pair.staple ?? "none")",
            ])
        }
        return loaded
    }

    /// The `--staple` file at `path` as a staple source, after verifying it for the leaf of
    /// `key` with the issuer after it in the chain (RFC 6960 §3.2): served until its
    /// nextUpdate, never after. A staple that cannot be verified is refused.
    static func verifiedStaple(_ path: String, for key: CertifiedKey, chainPath: String) throws -> StaticStaple {
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let chain = key.certificateChain
        guard chain.count >= 2 else {
            throw ValidationError("--staple \(path): \(chainPath) holds no issuer certificate, so the staple cannot be verified; append the issuer's certificate after the leaf")
        }
        do {
            let subject = try OCSPSubject(certificate: try Certificate(derEncoded: chain[0]), issuerDER: chain[1])
            let policy = OCSPVerificationPolicy()
            let answer = try OCSPVerifier(subject: subject).verify(der, policy: policy)
            guard answer.status == .good else {
                throw ValidationError("--staple \(path) says the certificate is \(answer.status); staple a good response")
            }
            let until = answer.nextUpdate ?? answer.thisUpdate.addingTimeInterval(policy.maximumAgeWithoutNextUpdate.map { Double($0.components.seconds) } ?? 7 * 86_400)
            return try StaticStaple(der, until: min(until, subject.certificate.notValidAfter))
        } catch let error as OCSPError {
            throw ValidationError("--staple \(path) does not verify for \(chainPath): \(error.reason)")
        }
    }

    private static func dnsNames(of der: [UInt8]) throws -> [String] {
        let certificate = try Certificate(derEncoded: der)
        let names = try certificate.extensions.subjectAlternativeNames?.compactMap { name -> String? in
            if case .dnsName(let dns) = name { return dns }
            return nil
        } ?? []
        if !names.isEmpty { return names }
        return certificate.subject.flatMap { $0 }.compactMap { attribute in
            attribute.type == .RDNAttributeType.commonName ? String(describing: attribute.value) : nil
        }
    }
}

/// The `--cert`, `--key` and `--staple` options of the example servers (read in order by
/// ``CertificateArguments/pairs(from:)``).
public struct CertificateOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("A PEM certificate chain, leaf first (repeatable, one per set of names).", valueName: "CHAIN.pem"))
    public var cert: [String] = []

    @Option(help: ArgumentHelp("The PEM private key of the --cert before it.", valueName: "KEY.pem"))
    public var key: [String] = []

    @Option(help: ArgumentHelp("A DER OCSP response to staple for the --cert/--key pair before it.", valueName: "RESPONSE.der"))
    public var staple: [String] = []

    /// Checks that there are certificates to serve (brought, or `--domain` names) in pairs.
    public func validate(automatic: AutomaticOptions) throws {
        guard !cert.isEmpty || automatic.isEnabled else { throw ValidationError("give at least one --cert CHAIN.pem --key KEY.pem pair, or --domain NAME") }
        guard cert.count == key.count else { throw ValidationError("give exactly one --key after each --cert") }
    }

    /// The pairs in command-line order.
    public func pairs() throws -> [CertificateArguments.Pair] {
        try CertificateArguments.pairs(from: Array(CommandLine.arguments.dropFirst()))
    }
}
