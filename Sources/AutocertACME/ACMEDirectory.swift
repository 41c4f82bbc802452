/// The CA's directory: the URLs of its resources and its metadata (RFC 8555 §7.1.1).
public struct ACMEDirectory: Sendable, Hashable, Codable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    /// Pre-authorization (RFC 8555 §7.4.1); few CAs offer it.
    public var newAuthz: String?
    public var revokeCert: String?
    public var keyChange: String?
    /// Where renewal information is fetched (RFC 9773 §3); nil for a CA without ARI.
    public var renewalInfo: String?
    public var meta: Meta?

    /// Directory metadata (RFC 8555 §7.1.1, §9.7.6).
    public struct Meta: Sendable, Hashable, Codable {
        /// The terms of service the account must agree to.
        public var termsOfService: String?
        public var website: String?
        public var caaIdentities: [String]?
        /// Whether newAccount requires an external account binding (RFC 8555 §7.3.4).
        public var externalAccountRequired: Bool?
        /// The certificate profiles the CA offers, name → description (the ACME profiles
        /// extension, draft-aaron-acme-profiles; e.g. Let's Encrypt's `classic`, `tlsserver`,
        /// `shortlived`). Nil for a CA without profiles.
        public var profiles: [String: String]?
    }
}
