import AutocertACME
import AutocertTLS

/// Which server names the ``Manager`` may obtain certificates for.
///
/// Checked before anything else on the new-name path, so a name the policy refuses never
/// causes CA traffic (an attacker sending random SNI values cannot spend the CA's rate
/// limits). The default refuses every name: list yours with ``allowing(_:)``.
public struct HostPolicy: Sendable {
    private let decide: @Sendable (String) -> Bool

    /// A policy decided by `allows`, called with a normalised name
    /// (``AutocertTLS/ClientHello/normalisedServerName(_:)``: lower case, no trailing dot).
    public init(_ allows: @escaping @Sendable (String) -> Bool) {
        self.decide = allows
    }

    /// Exactly the names in `names`: host names (case and a trailing dot do not matter) and IP
    /// addresses (RFC 8738; any spelling of one address is that address).
    public static func allowing(_ names: [String]) -> HostPolicy {
        let allowed = Set(names.compactMap(canonicalName))
        return HostPolicy { allowed.contains($0) }
    }

    /// The name as the Manager keys it: an IP address's canonical text (RFC 8738, RFC 5952),
    /// or a host name as ``AutocertTLS/ClientHello/normalisedServerName(_:)`` makes it.
    public static func canonicalName(_ name: String) -> String? {
        ACMEIPAddress(name)?.text ?? ClientHello.normalisedServerName(name)
    }

    /// Refuses every name (the default).
    public static let denyAll = HostPolicy { _ in false }

    /// Whether a certificate may be obtained for `name`: an IP address (RFC 8738, asked with its
    /// canonical text), or a plausible DNS host name (letters, digits, `-`, at least one dot,
    /// no wildcard, not all digits in its last label).
    public func allows(_ name: String) -> Bool {
        if let address = ACMEIPAddress(name) { return decide(address.text) }
        guard let name = ClientHello.normalisedServerName(name) else { return false }
        return Self.isHostName(name) && decide(name)
    }

    /// Whether `name` is an LDH host name with at least two labels, none empty or longer
    /// than 63 octets, and not all digits in its last label (an IPv4 address).
    static func isHostName(_ name: String) -> Bool {
        guard name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let last = labels.last, !last.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): true
                    default: false
                    }
                }
        }
    }
}
