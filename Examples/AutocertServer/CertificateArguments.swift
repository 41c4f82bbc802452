import ArgumentParser
import AutocertTLS
import Foundation
import Logging
import X509

/// The `--cert`, `--key`, `--staple` groups, in command-line order (a staple belongs to the
/// pair before it, which ArgumentParser's arrays cannot tell).
enum CertificateArguments {
    struct Pair {
        var chain: String
        var key: String
        var staple: String?
    }

    static func pairs(from arguments: [String]) throws -> [Pair] {
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

    /// Loads each pair and maps the DNS names of its subjectAltName (or its CN) to it.
    static func selector(for pairs: [Pair], logger: Logger) throws -> StaticCertificateSelector {
        try load(pairs, logger: logger).selector
    }

    /// Loads each pair; returns the selector and the keys in the pairs' order.
    static func load(_ pairs: [Pair], logger: Logger) throws -> (selector: StaticCertificateSelector, keys: [CertifiedKey]) {
        var selector = StaticCertificateSelector()
        var keys: [CertifiedKey] = []
        for pair in pairs {
            let chainPEM = try String(contentsOfFile: pair.chain, encoding: .utf8)
            let keyPEM = try String(contentsOfFile: pair.key, encoding: .utf8)
            let staple = try pair.staple.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
            let key = try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: keyPEM, ocspStaple: staple)
            let names = try dnsNames(of: key.certificateChain[0])
            selector.add(key, for: names)
            keys.append(key)
            logger.info("certificate loaded", metadata: [
                "cert": "\(pair.chain)", "names": "\(names.joined(separator: ","))", "staple": "\(pair.staple ?? "none")",
            ])
        }
        return (selector, keys)
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
