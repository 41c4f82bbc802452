import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IP address as an ACME identifier (RFC 8738): its canonical text and its bytes.
///
/// The text is what `inet_ntop` writes (RFC 5952 for IPv6), so one address has one name
/// however it was written; that name is used in orders (RFC 8738 §3), host policies and
/// storage.
public struct ACMEIPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]
    /// The canonical text (`203.0.113.7`, `2001:db8::1`).
    public let text: String

    /// Parses an IPv4 dotted quad or an IPv6 address (brackets allowed); nil for anything else.
    public init?(_ text: some StringProtocol) {
        var candidate = String(text)
        if candidate.hasPrefix("["), candidate.hasSuffix("]") { candidate = String(candidate.dropFirst().dropLast()) }
        guard !candidate.isEmpty, candidate.utf8.count <= 45 else { return nil }
        for (family, size) in [(AF_INET, 4), (AF_INET6, 16)] {
            var bytes = [UInt8](repeating: 0, count: size)
            guard inet_pton(family, candidate, &bytes) == 1 else { continue }
            self.init(bytes: bytes)
            return
        }
        return nil
    }

    /// The address of 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return nil }
        self.bytes = bytes
        self.text = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { text }

    /// The reverse-DNS name of the address (RFC 1034 §5.2.1 `in-addr.arpa`, RFC 3596 §2.5
    /// `ip6.arpa`): what a CA sends as SNI when it validates the address with tls-alpn-01
    /// (RFC 8738 §6).
    public var reverseDNSName: String {
        if bytes.count == 4 {
            return bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        }
        let nibbles = bytes.flatMap { [Int($0 >> 4), Int($0 & 0x0f)] }
        return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
    }
}

extension ACMEIdentifier {
    /// An IP address identifier (RFC 8738 §3).
    public static func ip(_ address: ACMEIPAddress) -> ACMEIdentifier { ACMEIdentifier(type: "ip", value: address.text) }

    /// The identifier for `name`: an `ip` identifier when it is an IP address (RFC 8738), else `dns`.
    public static func forName(_ name: String) -> ACMEIdentifier {
        ACMEIPAddress(name).map(ip) ?? .dns(name)
    }
}

extension ACMEIPAddress {
    /// The address whose reverse-DNS name (``reverseDNSName``) is `name`; nil for any other name.
    public init?(reverseDNSName name: String) {
        let labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 6, labels.suffix(2) == ["in-addr", "arpa"] {
            let octets = labels.prefix(4).reversed().compactMap { UInt8($0) }
            guard octets.count == 4 else { return nil }
            self.init(bytes: octets)
        } else if labels.count == 34, labels.suffix(2) == ["ip6", "arpa"] {
            let nibbles = labels.prefix(32).reversed().compactMap { $0.count == 1 ? UInt8($0, radix: 16) : nil }
            guard nibbles.count == 32 else { return nil }
            self.init(bytes: stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] })
        } else {
            return nil
        }
    }
}
