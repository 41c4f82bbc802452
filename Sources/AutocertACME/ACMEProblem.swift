/// An RFC 7807 problem document as an ACME server sends it (RFC 8555 §6.7).
public struct ACMEProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The problem type URI, e.g. `urn:ietf:params:acme:error:badNonce`.
    public var type: String
    /// The server's human-readable explanation.
    public var detail: String?
    /// The HTTP status the server put in the document, if any.
    public var status: Int?
    /// The identifier a subproblem is about (RFC 8555 §6.7.1).
    public var identifier: ACMEIdentifier?
    /// Per-identifier problems of a compound error (RFC 8555 §6.7.1).
    public var subproblems: [ACMEProblem]?

    public init(type: String, detail: String? = nil, status: Int? = nil, identifier: ACMEIdentifier? = nil, subproblems: [ACMEProblem]? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
        self.identifier = identifier
        self.subproblems = subproblems
    }

    /// Decodes a problem document; a missing `type` means `about:blank` (RFC 7807 §4.2).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "about:blank"
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        identifier = try container.decodeIfPresent(ACMEIdentifier.self, forKey: .identifier)
        subproblems = try container.decodeIfPresent([ACMEProblem].self, forKey: .subproblems)
    }

    private enum CodingKeys: String, CodingKey { case type, detail, status, identifier, subproblems }

    /// The ACME error name (`badNonce`) when the type is in the ACME namespace, else the whole type.
    public var name: String {
        let prefix = "urn:ietf:params:acme:error:"
        return type.hasPrefix(prefix) ? String(type.dropFirst(prefix.count)) : type
    }

    /// Whether this problem is the ACME error `name` (e.g. `"alreadyRevoked"`), RFC 8555 §6.7.
    public func isACMEError(_ name: String) -> Bool { type == "urn:ietf:params:acme:error:" + name }

    public var description: String {
        var text = name
        if let identifier { text += " (\(identifier.value))" }
        if let detail { text += ": \(detail)" }
        if let subproblems, !subproblems.isEmpty {
            text += " [" + subproblems.map(\.description).joined(separator: "; ") + "]"
        }
        return text
    }
}

/// An identifier an order or authorization is about (RFC 8555 §7.1.3, §9.7.7).
public struct ACMEIdentifier: Sendable, Hashable, Codable {
    /// `dns` for DNS names.
    public var type: String
    public var value: String

    public init(type: String = "dns", value: String) {
        self.type = type
        self.value = value
    }

    /// A DNS identifier.
    public static func dns(_ name: String) -> ACMEIdentifier { ACMEIdentifier(type: "dns", value: name) }
}
