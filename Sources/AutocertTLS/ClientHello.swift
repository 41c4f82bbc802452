import NIOCore

/// The facts of a ClientHello that certificate selection needs (RFC 8446 §4.1.2).
public struct ClientHello: Sendable, Hashable {
    /// The host name from server_name (RFC 6066 §3), as ``normalisedServerName(_:)`` makes it
    /// (the parser and the initializer normalise it; selectors compare it as it is).
    public var serverName: String?
    /// The ALPN protocols offered, in the client's order (RFC 7301 §3.1).
    public var applicationProtocols: [String]
    /// The signature_algorithms offered (RFC 8446 §4.2.3), as their 16-bit code points.
    public var signatureAlgorithms: [UInt16]
    /// Whether the client sent status_request for OCSP (RFC 6066 §8).
    public var requestsOCSPStaple: Bool
    /// The versions from supported_versions (RFC 8446 §4.2.1), or the legacy version alone.
    public var supportedVersions: [UInt16]
    /// The local address the connection arrived on, set by the handler when the client sent
    /// no server name: a server with certificates for IP addresses (RFC 8738) picks by it.
    public var localAddress: SocketAddress?

    public init(
        serverName: String? = nil,
        applicationProtocols: [String] = [],
        signatureAlgorithms: [UInt16] = [],
        requestsOCSPStaple: Bool = false,
        supportedVersions: [UInt16] = [0x0303],
        localAddress: SocketAddress? = nil
    ) {
        self.serverName = serverName.flatMap(Self.normalisedServerName)
        self.applicationProtocols = applicationProtocols
        self.signatureAlgorithms = signatureAlgorithms
        self.requestsOCSPStaple = requestsOCSPStaple
        self.supportedVersions = supportedVersions
        self.localAddress = localAddress
    }

    /// A server name as every layer compares it (the ClientHello parser, the selectors, the
    /// host policy): lower case, without the one trailing dot of a fully qualified name.
    /// Nil for an empty name or one ending in more than one dot (RFC 6066 §3 sends a host
    /// name without a trailing dot; an empty label is no host name, RFC 1034 §3.1).
    public static func normalisedServerName(_ name: some StringProtocol) -> String? {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, !name.hasSuffix(".") else { return nil }
        return name
    }

    /// The ALPN protocol of a tls-alpn-01 validation (RFC 8737 §6.2).
    public static let acmeTLSProtocol = "acme-tls/1"

    /// Whether this is an ACME tls-alpn-01 validation: the client offered `acme-tls/1`,
    /// and the server must answer with the challenge certificate for ``serverName``
    /// (RFC 8737 §3).
    public var isACMEChallenge: Bool { applicationProtocols.contains(Self.acmeTLSProtocol) }

    /// Whether the client can sign-verify ECDSA certificates (RFC 8446 §4.2.3, §9.1).
    public var acceptsECDSA: Bool {
        signatureAlgorithms.isEmpty || signatureAlgorithms.contains { $0 & 0xff == 0x03 }
    }

    /// Signature schemes (RFC 8446 §4.2.3) worth naming.
    public enum SignatureScheme {
        public static let ecdsaSecp256r1SHA256: UInt16 = 0x0403
        public static let rsaPSSRSAESHA256: UInt16 = 0x0804
        public static let ed25519: UInt16 = 0x0807
    }
}

/// Chooses the ALPN protocol the server answers (RFC 7301 §3.2): `acme-tls/1` when the client
/// offers it (RFC 8737 §3), else the server's most preferred protocol the client offered.
///
/// The one ALPN decision: the handler makes it from the parsed ClientHello before the
/// library starts, and each backend only applies the answer.
package enum ALPNPolicy {
    package static func select(offered: [String], serverPreference: [String]) -> String? {
        if offered.contains(ClientHello.acmeTLSProtocol) { return ClientHello.acmeTLSProtocol }
        return serverPreference.first { offered.contains($0) }
    }
}
