import Foundation
import SwiftASN1
import X509

/// Where the OCSP vector corpus lives and how its files are read.
///
/// The permissively licensed part is vendored under `Fixtures/vectors` (read through
/// `Bundle.module`); the GnuTLS part (GPL-3.0) is not vendored and is read from
/// `shared/vectors/ocsp/gnutls` next to the repository, only when that directory exists.
enum VectorFixtures {
    /// `Fixtures/vectors` inside the test bundle.
    static let vendoredRoot: URL = {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the Fixtures resource directory is missing from the test bundle")
        }
        return fixtures.appendingPathComponent("vectors")
    }()

    /// `shared/vectors/ocsp` beside the repository root (this file is Tests/AutocertOCSPTests/…).
    static let sharedRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // AutocertOCSPTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // its parent, which holds shared/
        .appendingPathComponent("shared/vectors/ocsp")

    /// Whether the GnuTLS vectors (GPL, not vendored) can be read.
    static let gnutlsAvailable: Bool = FileManager.default.fileExists(atPath: sharedRoot.appendingPathComponent("gnutls").path)

    static let gnutlsSkipMessage = "GnuTLS vectors are GPL-3.0 and not vendored; \(sharedRoot.appendingPathComponent("gnutls").path) does not exist, so the gnutls/ rows are skipped"

    /// Whether `path` (relative to the manifest) belongs to the non-vendored GnuTLS set.
    static func isGnuTLS(_ path: String) -> Bool { path.hasPrefix("gnutls/") }

    static func url(_ path: String) -> URL {
        (isGnuTLS(path) ? sharedRoot : vendoredRoot).appendingPathComponent(path)
    }

    /// The raw bytes of a corpus file.
    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(path)))
    }

    static func text(_ path: String) throws -> String {
        try String(decoding: bytes(path), as: UTF8.self)
    }

    /// The DER an OCSP file holds: `.ors` files are bare base64 (OpenSSL's upstream form),
    /// `.pem` files hold an `OCSP RESPONSE`/`OCSP REQUEST` block, or bare base64 text
    /// (cfssl); anything else is DER already.
    static func der(_ path: String) throws -> [UInt8] {
        if path.hasSuffix(".ors") { return try base64(text(path)) }
        if path.hasSuffix(".pem") {
            let text = try text(path)
            if let block = PEMBlocks.parse(text).first(where: { $0.label.hasPrefix("OCSP") }) { return block.der }
            return try base64(text)
        }
        return try bytes(path)
    }

    /// Every base64 document in `text`, separated by whitespace lines (cfssl's resp64.pem).
    static func base64Documents(_ text: String) -> [[UInt8]] {
        text.split(whereSeparator: \.isWhitespace).compactMap { Data(base64Encoded: String($0)).map(Array.init) }
    }

    static func base64(_ text: String) throws -> [UInt8] {
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw FixtureError("not base64") }
        return Array(data)
    }

    /// The DER of every certificate in a PEM or DER file, in order.
    static func certificateDERs(_ path: String) throws -> [[UInt8]] {
        let raw = try bytes(path)
        if path.hasSuffix(".der") { return [raw] }
        return PEMBlocks.parse(String(decoding: raw, as: UTF8.self)).filter { $0.label.hasSuffix("CERTIFICATE") }.map(\.der)
    }

    /// Certificate `index` of a PEM or DER file (only that one is parsed: a file may hold
    /// others that swift-certificates cannot read, such as an MD5-signed root).
    static func certificate(_ path: String, index: Int = 0) throws -> Certificate {
        let all = try certificateDERs(path)
        guard all.indices.contains(index) else { throw FixtureError("\(path) holds \(all.count) certificate(s), not \(index + 1)") }
        return try Certificate(derEncoded: all[index])
    }
}

extension VectorFixtures {
    /// The DER of the issuer and subject Names of a DER certificate (RFC 5280 §4.1), read
    /// without parsing the rest, so that any certificate can be paired by name.
    static func names(ofCertificate der: [UInt8]) throws -> (issuer: ArraySlice<UInt8>, subject: ArraySlice<UInt8>) {
        try DER.sequence(DER.parse(der), identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else { throw FixtureError("no tbsCertificate") }
            while nodes.next() != nil {}
            return try DER.sequence(tbs, identifier: .sequence) { fields in
                var field = fields.next()
                if field?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) { field = fields.next() }  // version
                _ = fields.next()  // signature
                guard let issuer = fields.next(), fields.next() != nil, let subject = fields.next() else {
                    throw FixtureError("short tbsCertificate")
                }
                while fields.next() != nil {}
                return (issuer.encodedBytes, subject.encodedBytes)
            }
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tolerant PEM block reader: BoringSSL's annotated bundles put free text between blocks
/// and use labels such as `CA CERTIFICATE` and `OCSP RESPONSE`.
enum PEMBlocks {
    struct Block: Sendable {
        let label: String
        let der: [UInt8]
    }

    static func parse(_ text: String) -> [Block] {
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), let current = label {
                if let data = Data(base64Encoded: body) { blocks.append(Block(label: current, der: Array(data))) }
                label = nil
            } else if label != nil, !line.contains(":") {
                body += line
            }
        }
        return blocks
    }
}

/// One row of MANIFEST.tsv.
struct ManifestRow: Sendable, Hashable, CustomStringConvertible {
    let path: String
    let kind: String
    let expected: String
    let pairsWith: String

    var description: String { path }
}

/// One row of openssl/CASES.tsv.
struct OpenSSLCase: Sendable, Hashable, CustomStringConvertible {
    let id: String
    let group: String
    let title: String
    let response: String
    let caFile: String
    let untrusted: String
    let expectedExit: Int
    let expected: String

    var description: String { "\(id) \(group) \(title)" }
}

enum VectorManifest {
    /// Every row of the vendored MANIFEST.tsv (which keeps the GnuTLS rows: they name files,
    /// they hold none).
    static let rows: [ManifestRow] = {
        guard let text = try? String(contentsOf: VectorFixtures.vendoredRoot.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 6 else { return nil }
            return ManifestRow(path: fields[0], kind: fields[1], expected: fields[4], pairsWith: fields[5])
        }
    }()

    static func rows(_ kinds: String..., gnutls: Bool = false) -> [ManifestRow] {
        rows.filter { kinds.contains($0.kind) && VectorFixtures.isGnuTLS($0.path) == gnutls }
    }

    static let openSSLCases: [OpenSSLCase] = {
        guard let text = try? String(contentsOf: VectorFixtures.vendoredRoot.appendingPathComponent("openssl/CASES.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 8, let exit = Int(f[6]) else { return nil }
            return OpenSSLCase(id: f[0], group: f[1], title: f[2], response: f[3], caFile: f[4], untrusted: f[5], expectedExit: exit, expected: f[7])
        }
    }()
}
